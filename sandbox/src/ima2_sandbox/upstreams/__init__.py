"""One module per emulated upstream; each exposes `build_router(...)`."""
