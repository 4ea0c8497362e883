"""The media index: what was generated, in listing order (base / common / sqlite split)."""
