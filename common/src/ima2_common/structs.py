"""google.protobuf.Struct ⇄ dict. Struct numbers are doubles, so whole numbers come back as ints."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    converted: dict[str, Any] = _integral(json_format.MessageToDict(message))
    return converted


def dict_to_struct(value: dict[str, Any], target: struct_pb2.Struct | None = None) -> struct_pb2.Struct:
    """Fill `target` (or a new Struct) with the non-None entries of `value`."""
    message = target if target is not None else struct_pb2.Struct()
    message.update({key: item for key, item in value.items() if item is not None})
    return message


def str_field(raw: dict[str, Any], key: str) -> str:
    """`raw[key]` when it is a string, else '' (JSON bodies hold anything)."""
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def list_field(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def dict_field(raw: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = raw.get(key)
    return value if isinstance(value, dict) else None
