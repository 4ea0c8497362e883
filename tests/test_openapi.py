"""The committed OpenAPI document and API reference are exactly what the gateway generates, and
the document describes every route the gateway serves."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def api_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "gateway" / "scripts" / "api_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_committed_documents_match_the_gateway() -> None:
    docs = api_docs()
    stale = [
        str(path.relative_to(ROOT))
        for path, text in docs.rendered().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"the API documents drifted ({', '.join(stale)}); refresh with: {docs.REFRESH}"


def test_every_route_documents_its_bodies_and_errors() -> None:
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    schemas = doc["components"]["schemas"]
    operations = [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 60
    for method, path, op in operations:
        answers = op["responses"]
        assert "default" in answers, f"{method} {path}: no error envelope"
        ok = [a for status, a in answers.items() if status.startswith("2")]
        assert ok and all("content" in a for a in ok), f"{method} {path}: undocumented answer"
        envelope = answers["default"]["content"]["application/json"]["schema"]
        refs = [e["$ref"] for e in envelope.get("anyOf", [envelope])]
        assert refs and all(ref.endswith("Error") for ref in refs), f"{method} {path}: {envelope}"
        # the access guard's refusals are nested on every route
        assert any(ref.endswith("/NestedError") for ref in refs), f"{method} {path}: {envelope}"
        body = op.get("requestBody")
        if method in ("PUT", "PATCH"):
            assert body, f"{method} {path}: undocumented body"
        if body and "application/json" in body["content"]:
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schemas[name].get("properties") or schemas[name].get("additionalProperties"), name
