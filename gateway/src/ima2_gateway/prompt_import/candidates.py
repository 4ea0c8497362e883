"""Prompt candidates in a Markdown or text file.

Markdown: fenced blocks (no language, `prompt`, `text`, `markdown`, `md`) first, then each heading
section's body without any fenced block, badges, image/link-only lines and tables. Text: `---`-separated blocks,
else blank-line paragraphs, else numbered items, else long lines, else the whole text. A candidate
is kept when its length is within the import limits; a file gives at most
`PROMPT_IMPORT_MAX_CANDIDATES_PER_FILE`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ima2_common import limits

FENCE = re.compile(r"```([A-Za-z0-9_-]*)\n(.*?)```", re.DOTALL)
FENCE_LANGUAGES = ("", "prompt", "text", "markdown", "md")
FRONTMATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
HEADING = re.compile(r"^#{1,4}\s+(.+)$", re.MULTILINE)
BOILERPLATE = (
    re.compile(r"^\[!\[.*\]\(.+\)\]\(.+\)$"),
    re.compile(r"^!\[.*\]\(.+\)$"),
    re.compile(r"^\[.*\]\(.+\)$"),
    re.compile(r"^\|.*\|$"),
)


def normalize(text: str) -> str:
    return re.sub(r"[ \t]+\n", "\n", text.replace("\r\n", "\n")).strip()


def title_of(filename: str) -> str:
    base = re.sub(r"\.(txt|md|markdown)$", "", filename.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    return re.sub(r"[-_]+", " ", base).strip() or "Imported prompt"


class CandidateList:
    def __init__(self, filename: str, source: dict[str, Any], tags: list[str]) -> None:
        self.items: list[dict[str, Any]] = []
        self.base = title_of(filename)
        self.source = source
        self.tags = list(dict.fromkeys(tags))

    @property
    def full(self) -> bool:
        return len(self.items) >= limits.PROMPT_IMPORT_MAX_CANDIDATES_PER_FILE

    def add(self, raw: str, name: str | None = None, heading: str | None = None) -> None:
        text = normalize(raw)
        if (
            not limits.PROMPT_IMPORT_MIN_CANDIDATE_CHARS
            <= len(text)
            <= limits.PROMPT_IMPORT_MAX_CANDIDATE_CHARS
        ):
            return
        ordinal = len(self.items) + 1
        digest = hashlib.sha256(text.encode()).hexdigest()
        self.items.append(
            {
                "id": f"candidate_{ordinal}_{digest[:10]}",
                "name": name or f"{self.base} {ordinal}",
                "text": text,
                "textPreview": text[:220],
                "tags": self.tags,
                "source": self.source,
                "headingPath": heading,
                "ordinal": ordinal,
                "promptHash": hashlib.sha256(text.lower().encode()).hexdigest(),
            }
        )


def _markdown(text: str, found: CandidateList) -> None:
    body = FRONTMATTER.sub("", text, count=1)
    kept: list[str] = []
    last = 0
    for match in FENCE.finditer(body):  # every fence leaves the prose; prompt fences are candidates
        kept.append(body[last : match.start()])
        last = match.end()
        if match.group(1).lower() not in FENCE_LANGUAGES:
            continue
        found.add(match.group(2))
        if found.full:
            return
    kept.append(body[last:])
    rest = "".join(kept)
    for section in re.split(r"(?=^#{1,4}\s+)", rest, flags=re.MULTILINE):
        heading_match = HEADING.search(section)
        heading = heading_match.group(1).strip() if heading_match else None
        lines = HEADING.sub("", section, count=1).split("\n")
        clean = [line for line in lines if not any(p.match(line.strip()) for p in BOILERPLATE)]
        found.add("\n".join(clean), name=heading, heading=heading or found.base)
        if found.full:
            return


def _plain(text: str, found: CandidateList) -> None:
    normalized = normalize(text)
    separated = [b for b in re.split(r"\n\s*---+\s*\n", normalized) if b.strip()]
    paragraphs = [b for b in re.split(r"\n\s*\n+", normalized) if b.strip()]
    numbered = [b for b in re.split(r"(?=^\s*\d+[.)]\s+)", normalized, flags=re.MULTILINE) if b.strip()]
    long_lines = [line.strip() for line in normalized.split("\n") if len(line.strip()) >= 80]
    for chunks in (separated, paragraphs, numbered, long_lines):
        if len(chunks) > 1:
            break
    else:
        chunks = [normalized]
    for chunk in chunks:
        found.add(re.sub(r"^\s*\d+[.)]\s+", "", chunk))
        if found.full:
            return


def parse_candidates(
    text: str, filename: str, source: dict[str, Any], tags: list[str]
) -> list[dict[str, Any]]:
    found = CandidateList(filename, source, tags)
    scanned = text[: limits.PROMPT_IMPORT_MAX_SOURCE_CHARS]
    if filename.lower().endswith(".txt"):
        _plain(scanned, found)
    else:
        _markdown(scanned, found)
    return found.items
