"""The browser UI: index.html (never cached) and its static files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles


def bundled_web_dir() -> Path | None:
    spec = importlib.util.find_spec("ima2_web")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def mount_web(app: FastAPI, web_dir: Path | None) -> None:
    folder = web_dir or bundled_web_dir()
    if folder is None or not (folder / "index.html").is_file():
        return
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(folder / "index.html", headers={"Cache-Control": "no-store"})

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=folder), name="static")
