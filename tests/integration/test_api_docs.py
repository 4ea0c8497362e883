"""/api/docs works offline: the page and every asset it loads come from the gateway itself, and
/api/openapi.json is the committed document."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "gateway" / "src" / "ima2_gateway" / "static" / "swagger-ui"
ASSET_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")
TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}


async def test_docs_page_loads_every_asset_from_the_gateway(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?:https?:)?//[a-z0-9]", page.text, re.I), "the page references another host"
    assets = [a or b for a, b in ASSET_RE.findall(page.text)]
    assert {Path(a).suffix for a in assets} >= {".js", ".css", ".json"}
    for asset in assets:
        assert asset.startswith("/"), asset
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert TYPES[Path(asset).suffix] in answer.headers["content-type"], asset
        assert len(answer.content) > 100, asset
    bundle = (await client.get("/api/docs/assets/swagger-ui-bundle.js")).text
    assert "SwaggerUIBundle" in bundle and "sourceMappingURL" not in bundle


async def test_served_document_is_the_committed_one(client: httpx.AsyncClient) -> None:
    served = (await client.get("/api/openapi.json")).json()
    assert served == json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))


async def test_served_assets_are_the_pinned_release(client: httpx.AsyncClient) -> None:
    """What /api/docs serves is what gateway/scripts/vendor_swagger_ui.sh recorded (and its license)."""
    sums = dict(line.split()[::-1] for line in (VENDORED / "SHA256SUMS").read_text().splitlines())
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"} <= set(sums)
    assert "swagger-ui-dist 5." in (VENDORED / "VERSION").read_text()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        served = (await client.get(f"/api/docs/assets/{name}")).content
        assert hashlib.sha256(served).hexdigest() == sums[name], name
