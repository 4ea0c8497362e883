"""The media index: what was generated, in listing order (contract, plain data, portable SQL, store)."""
