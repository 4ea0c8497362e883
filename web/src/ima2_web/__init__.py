"""ima2 browser UI: plain static files (ES modules + CSS), no build step.

The gateway serves ``STATIC_DIR / "index.html"`` at ``/`` and the folder itself at ``/static/``.
Importing this package does no work beyond computing that path.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"

__all__ = ["STATIC_DIR"]
