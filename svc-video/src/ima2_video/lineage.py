"""`videoContinuity`: the branch-local lineage of a continued clip (spec "Video Generation").

At most four entries: the first clip (`start`) plus the latest three. Roles are start, ancestor,
parent and current. When a clip is continued, its own sidecar is the authority: the client's
`continuityLineage` hint is used only when no `continueFromVideo` is given.
"""

from __future__ import annotations

import time
from typing import Any

from ima2_common import limits

RETENTION = "keep-start-plus-latest-3"
ROLES = ("start", "ancestor", "parent", "current")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ms(value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return int(time.time() * 1000)


def lineage_id_for(filename: str) -> str:
    return "lineage:" + filename.rsplit(".", 1)[0]


def trim(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the start plus the latest three and renumber: the first is the start, the clip right
    before `current` its parent, the others between them ancestors."""
    cap = limits.VIDEO_CONTINUITY_MAX_ENTRIES
    kept = entries if len(entries) <= cap else [entries[0], *entries[-(cap - 1) :]]
    last = len(kept) - 1
    out = []
    for index, entry in enumerate(kept):
        if index == 0:
            role = "start"
        elif index == last:
            role = entry["role"]
        elif index == last - 1 and kept[last]["role"] == "current":
            role = "parent"  # the clip this one continues
        else:
            role = "ancestor"
        out.append({**entry, "ordinal": index + 1, "role": role})
    return out


def normalize(value: Any) -> dict[str, Any] | None:
    """A lineage from untrusted JSON (a client hint, or an older sidecar); None when unusable."""
    if not isinstance(value, dict) or not isinstance(value.get("entries"), list):
        return None
    raw = [e for e in value["entries"] if isinstance(e, dict)]
    entries: list[dict[str, Any]] = []
    for index, entry in enumerate(raw):
        revised = _text(entry.get("revisedPrompt"))
        if revised is None:
            continue
        role = "start" if index == 0 else "parent" if index == len(raw) - 1 else "ancestor"
        entries.append(
            {
                "id": _text(entry.get("id")) or f"entry:{index + 1}",
                "ordinal": index + 1,
                "role": role,
                "filename": _text(entry.get("filename")),
                "userPrompt": _text(entry.get("userPrompt")),
                "revisedPrompt": revised,
                "createdAt": _ms(entry.get("createdAt")),
            }
        )
    if not entries:
        return None
    return {
        "lineageId": _text(value.get("lineageId")) or f"lineage:{entries[0]['id']}",
        "parentFilename": _text(value.get("parentFilename")),
        "sourceFrame": "last",
        "maxEntries": limits.VIDEO_CONTINUITY_MAX_ENTRIES,
        "retention": RETENTION,
        "entries": trim(entries),
    }


def from_parent(filename: str, sidecar: dict[str, Any] | None) -> dict[str, Any] | None:
    """The lineage a continuation of `filename` inherits, rebuilt from that clip's sidecar."""
    sidecar = sidecar or {}
    existing = normalize(sidecar.get("videoContinuity"))
    if existing is not None:
        return {**existing, "parentFilename": filename, "sourceFrame": "last"}
    revised = _text(sidecar.get("revisedPrompt")) or _text(sidecar.get("prompt"))
    if revised is None:
        return None
    entry = {
        "id": f"clip:{filename}",
        "ordinal": 1,
        "role": "start",
        "filename": filename,
        "userPrompt": _text(sidecar.get("userPrompt")) or _text(sidecar.get("prompt")),
        "revisedPrompt": revised,
        "createdAt": _ms(sidecar.get("createdAt")),
    }
    return {
        "lineageId": lineage_id_for(filename),
        "parentFilename": filename,
        "sourceFrame": "last",
        "maxEntries": limits.VIDEO_CONTINUITY_MAX_ENTRIES,
        "retention": RETENTION,
        "entries": [entry],
    }


def append(
    parent: dict[str, Any] | None,
    filename: str,
    user_prompt: str | None,
    revised_prompt: str,
    created_at: int,
) -> dict[str, Any]:
    """The new clip's lineage: the parent's entries plus this clip as `current`."""
    previous = [
        {**entry, "role": "parent" if entry.get("role") == "current" else entry.get("role")}
        for entry in (parent or {}).get("entries", [])
    ]
    current = {
        "id": f"clip:{filename}",
        "ordinal": len(previous) + 1,
        "role": "current",
        "filename": filename,
        "userPrompt": user_prompt,
        "revisedPrompt": revised_prompt,
        "createdAt": created_at,
    }
    return {
        "lineageId": (parent or {}).get("lineageId") or lineage_id_for(filename),
        "parentFilename": (parent or {}).get("parentFilename"),
        "sourceFrame": "last" if parent else None,
        "maxEntries": limits.VIDEO_CONTINUITY_MAX_ENTRIES,
        "retention": RETENTION,
        "entries": trim([*previous, current]),
    }


def for_planner(lineage: dict[str, Any] | None) -> str:
    """The lineage as the planner reads it (revised prompts first)."""
    if not lineage or not lineage.get("entries"):
        return ""
    lines = ["[Continuity lineage: branch-local, max 4 entries, start anchor preserved]"]
    for entry in lineage["entries"]:
        lines.append(f"{entry['ordinal']}. Clip {entry['ordinal']} / {entry['role']}")
        lines.append(f"   file: {entry.get('filename') or 'unknown'}")
        lines.append(f"   revisedPrompt: {entry['revisedPrompt']}")
        if entry.get("userPrompt"):
            lines.append(f"   userPrompt: {entry['userPrompt']}")
    lines.append(
        "Continue from the final frame and final action/audio state of the latest lineage item. "
        "Do not restart the scene."
    )
    return "\n".join(lines)
