"""Write the committed API documents from the gateway's own OpenAPI document.

    uv run python gateway/scripts/api_docs.py           # rewrite docs/openapi.json and docs/api-reference.md
    uv run python gateway/scripts/api_docs.py --check   # exit 1 when either differs (tests/test_openapi.py)

The document comes from `create_app(Settings())`, so it is exactly what `/api/openapi.json` serves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ima2_common.settings import Settings
from ima2_gateway.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
OPENAPI_PATH = DOCS / "openapi.json"
REFERENCE_PATH = DOCS / "api-reference.md"
REFRESH = "uv run python gateway/scripts/api_docs.py"
METHODS = ("get", "post", "put", "patch", "delete")


def openapi_document() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def type_of(schema: dict[str, Any]) -> str:
    """A short type for a table cell: `string`, `Prompt[]`, `low | medium | high`, `integer?`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        text = " or ".join(type_of(s) for s in options) or "null"
        return f"{text} (nullable)" if nullable else text
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"{type_of(schema.get('items', {}))}[]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {type_of(schema['additionalProperties'])}"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    return str(kind)


def constraints(schema: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("maxItems", "max items"),
        ("pattern", "pattern"),
    ):
        for candidate in (schema, *schema.get("anyOf", [])):
            if key in candidate:
                value = candidate[key]
                parts.append(f"{label} `{value}`" if key == "pattern" else f"{label} {value}")
    if "default" in schema and schema["default"] is not None:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return "; ".join(parts)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def schema_section(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    properties = schema.get("properties", {})
    if not properties:
        lines += ["An object (free-form).", ""]
        return lines
    required = set(schema.get("required", []))
    lines += ["| Field | Type | Required | Notes |", "|---|---|---|---|"]
    for field, prop in properties.items():
        notes = " ".join(x for x in (prop.get("description", ""), constraints(prop)) if x)
        required_text = "yes" if field in required else "no"
        lines.append(f"| `{field}` | {type_of(prop)} | {required_text} | {cell(notes)} |")
    if schema.get("additionalProperties") is True:
        lines.append("")
        lines.append("Other fields may be present.")
    lines.append("")
    return lines


def body_type(content: dict[str, Any]) -> str:
    entries = []
    for media, spec in content.items():
        schema = spec.get("schema", {})
        entries.append(f"`{media}` {type_of(schema) if schema else ''}".strip())
    return ", ".join(entries)


def operation_lines(method: str, path: str, op: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if op.get("summary"):
        lines += [op["summary"], ""]
    params = op.get("parameters", [])
    if params:
        lines += ["| Parameter | In | Type | Required |", "|---|---|---|---|"]
        for param in params:
            lines.append(
                f"| `{param['name']}` | {param['in']} | {cell(type_of(param.get('schema', {})))} "
                f"| {'yes' if param.get('required') else 'no'} |"
            )
        lines.append("")
    body = op.get("requestBody")
    if body:
        required = "required" if body.get("required") else "optional"
        lines += [f"Body ({required}): {body_type(body.get('content', {}))}", ""]
    lines += ["| Status | Meaning | Body |", "|---|---|---|"]
    for status, answer in op.get("responses", {}).items():
        lines.append(
            f"| {status} | {cell(answer.get('description', ''))} | {body_type(answer.get('content', {}))} |"
        )
    lines.append("")
    return lines


def render_reference(doc: dict[str, Any]) -> str:
    lines = [
        "# HTTP API reference",
        "",
        f"Generated from the OpenAPI document (`docs/openapi.json`, version {doc['info']['version']}) by",
        f"`{REFRESH}`; do not edit by hand. The overview, the error envelopes and the event stream are",
        "described in [api.md](api.md).",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    lines += ["## Routes", ""]
    for tag in sorted(by_tag):
        lines += [f"- [{tag}](#{tag})"]
    lines.append("")
    for tag in sorted(by_tag):
        lines += [f"## {tag}", ""]
        for method, path, op in by_tag[tag]:
            lines += operation_lines(method, path, op)
    lines += ["## Schemas", ""]
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        lines += schema_section(name, schema)
    return "\n".join(lines).rstrip() + "\n"


def rendered() -> dict[Path, str]:
    doc = openapi_document()
    return {OPENAPI_PATH: render_json(doc), REFERENCE_PATH: render_reference(doc)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed document is stale")
    args = parser.parse_args()
    stale = []
    for path, text in rendered().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"stale: {', '.join(map(str, stale))}; refresh with: {REFRESH}", file=sys.stderr)
        return 1
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
