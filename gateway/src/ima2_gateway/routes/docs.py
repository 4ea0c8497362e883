"""GET /api/docs: Swagger UI for /api/openapi.json, with its assets served from this package
(vendored from swagger-ui-dist by gateway/scripts/vendor_swagger_ui.sh), so it works offline."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).resolve().parents[1] / "static" / "swagger-ui"
DOCS_PATH = "/api/docs"
ASSETS_PATH = "/api/docs/assets"


def mount_docs(app: FastAPI, openapi_url: str) -> None:
    router = APIRouter()

    @router.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=None,
            # No badge from the public validator service: nothing leaves this machine.
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
