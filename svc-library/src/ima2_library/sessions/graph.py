"""Validating and normalizing a graph snapshot before it is stored (pure functions, no I/O).

Follows the reference: nodes without an id are skipped, edges whose ends are not nodes are
dropped, a node with two parent edges is a GRAPH_PARENT_CONFLICT, and each node's
`data.parentServerNodeId` is set from its parent's `serverNodeId`. Duplicate ids and oversized
node data are refused (the reference silently replaced such data with `{}`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ima2_common import limits
from ima2_common.errors import Ima2Error

MAX_ID_CHARS = 10_000
MAX_DATA_CHARS = 100_000
GENERATED_PREFIX = "/generated/"


@dataclass(slots=True)
class NodeRow:
    id: str
    x: float
    y: float
    data: dict[str, Any]
    data_json: str
    asset: str | None


@dataclass(slots=True)
class EdgeRow:
    id: str
    source: str
    target: str
    data_json: str


@dataclass(slots=True)
class NormalizedGraph:
    nodes: list[NodeRow] = field(default_factory=list)
    edges: list[EdgeRow] = field(default_factory=list)
    parent_conflict: str | None = None  # the target with two parent edges, raised after the version check


def check_size(node_count: int, edge_count: int) -> None:
    if node_count > limits.GRAPH_MAX_NODES or edge_count > limits.GRAPH_MAX_EDGES:
        raise Ima2Error(
            "GRAPH_TOO_LARGE",
            f"Graph too large (max {limits.GRAPH_MAX_NODES} nodes / {limits.GRAPH_MAX_EDGES} edges), "
            f"got {node_count}/{edge_count}.",
        )


def _ident(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int | float):
        text = str(value)
        return text if len(text) <= MAX_ID_CHARS else ""
    return ""


def _coord(node: dict[str, Any], axis: str) -> float:
    value = node.get(axis)
    if value is None and isinstance(node.get("position"), dict):
        value = node["position"].get(axis)
    if isinstance(value, bool) or not isinstance(value, int | float):
        if not isinstance(value, str | bool):  # None, lists and objects have no coordinate
            return 0.0
        try:
            value = float(value)
        except ValueError:
            return 0.0
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _json(value: Any, what: str) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise Ima2Error("INVALID_GRAPH", f"{what} data is not JSON.") from None
    if len(text) > MAX_DATA_CHARS:
        raise Ima2Error("GRAPH_TOO_LARGE", f"{what} data exceeds {MAX_DATA_CHARS} characters.")
    return text


def asset_of(image_url: Any) -> str | None:
    """The generated file a node shows: `/generated/<name>` (absolute or relative URL) → name."""
    if not isinstance(image_url, str) or not image_url or image_url.startswith("data:"):
        return None
    path = urlsplit(image_url).path if "://" in image_url else image_url.split("?", 1)[0].split("#", 1)[0]
    if GENERATED_PREFIX in path:
        name = unquote(path.rsplit(GENERATED_PREFIX, 1)[1])
    elif "/" not in path:
        name = unquote(path)
    else:
        return None
    if not name or "/" in name or "\x00" in name or len(name) > 255:
        return None
    return name


def normalize(nodes: list[Any], edges: list[Any]) -> NormalizedGraph:
    check_size(len(nodes), len(edges))
    result = NormalizedGraph()
    data_by_id: dict[str, dict[str, Any]] = {}
    raw_nodes: list[tuple[str, dict[str, Any]]] = []
    for node in nodes:
        if not isinstance(node, dict):
            continue
        node_id = _ident(node.get("id"))
        if not node_id:
            continue
        if node_id in data_by_id:
            raise Ima2Error("INVALID_GRAPH", f"Duplicate node id {node_id[:80]!r}.")
        data = node.get("data")
        data_by_id[node_id] = dict(data) if isinstance(data, dict) else {}
        raw_nodes.append((node_id, node))

    incoming: dict[str, str] = {}
    seen_edges: set[str] = set()
    for edge in edges:
        if not isinstance(edge, dict):
            continue
        edge_id, source, target = (_ident(edge.get(k)) for k in ("id", "source", "target"))
        if not (edge_id and source and target) or source not in data_by_id or target not in data_by_id:
            continue
        if edge_id in seen_edges:
            raise Ima2Error("INVALID_GRAPH", f"Duplicate edge id {edge_id[:80]!r}.")
        seen_edges.add(edge_id)
        if target in incoming and result.parent_conflict is None:
            result.parent_conflict = target
        incoming[target] = source
        result.edges.append(EdgeRow(edge_id, source, target, _json(edge.get("data") or {}, "Edge")))

    for node_id, node in raw_nodes:
        data = dict(data_by_id[node_id])
        parent = incoming.get(node_id)
        parent_server = data_by_id.get(parent, {}).get("serverNodeId") if parent else None
        data["parentServerNodeId"] = parent_server if isinstance(parent_server, str) else None
        result.nodes.append(
            NodeRow(
                id=node_id,
                x=_coord(node, "x"),
                y=_coord(node, "y"),
                data=data,
                data_json=_json(data, "Node"),
                asset=asset_of(data.get("imageUrl")),
            )
        )
    return result
