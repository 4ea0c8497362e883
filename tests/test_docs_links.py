"""The README and docs/ link only to files a clone has (no paths outside the repository)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")
CODE_PATH_RE = re.compile(r"`((?:\.\./|/work/)[^`]*)`")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_links_resolve_inside_the_repository() -> None:
    broken = []
    for doc in documents():
        text = doc.read_text(encoding="utf-8")
        for target in LINK_RE.findall(text):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
        broken += [f"{doc.relative_to(ROOT)} -> {p}" for p in CODE_PATH_RE.findall(text)]
    assert broken == []


def test_reference_anchors_exist() -> None:
    reference = (ROOT / "docs" / "api-reference.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip().lower() for line in reference.splitlines() if line.startswith("#")}
    for doc in documents():
        for target in LINK_RE.findall(doc.read_text(encoding="utf-8")):
            if "api-reference.md#" in target or (doc.name == "api-reference.md" and target.startswith("#")):
                assert target.split("#", 1)[1] in headings, f"{doc.name}: {target}"
