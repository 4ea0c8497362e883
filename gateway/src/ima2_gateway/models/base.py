"""The base of every HTTP body model, and turning a body into one with the spec's error codes.

Bodies are read by the routes themselves (some cap the size while streaming, some answer errors as
SSE or in their own envelope), parsed once with the model's validator, and a validation failure
becomes the code the spec documents for that field (`ApiModel.error_codes`), never FastAPI's 422.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from ima2_common.errors import CATALOGUE, Ima2Error

M = TypeVar("M", bound="ApiModel")
DOMAIN_ERROR = "ima2_error"  # the context key of a domain check's error


class ApiModel(BaseModel):
    """A request or response body. Unknown request fields are ignored, as the reference does.

    `error_codes` maps a field to the code its validation failure answers: `"field"`, `"field:<error
    type>"` (a pydantic error type such as `too_long`), `"field.*"` for an item of a list field.
    The first failing field in `check_order`, then declaration order, decides (the order the
    reference checks them); unmapped failures are `default_error_code`. A domain check inside the
    model (`domain_check`) answers its own code.
    """

    model_config = ConfigDict(populate_by_name=True)
    error_codes: ClassVar[dict[str, str]] = {}
    default_error_code: ClassVar[str] = "INVALID_REQUEST"
    check_order: ClassVar[tuple[str, ...]] = ()  # fields checked first, in this order

    @classmethod
    def rank(cls, error: ErrorDetails) -> int:
        field = str(error["loc"][0]) if error["loc"] else ""
        names = [*cls.check_order, *(f.alias or n for n, f in cls.model_fields.items())]
        return names.index(field) if field in names else -1

    @classmethod
    def code_for(cls, error: ErrorDetails) -> str:
        loc = error["loc"]
        if not loc:
            return "INVALID_BODY"
        field, kind = str(loc[0]), error["type"]
        keys = [f"{field}:{kind}", field]
        if len(loc) > 1:
            keys = [f"{field}.*:{kind}", f"{field}.*", *keys]
        return next((cls.error_codes[k] for k in keys if k in cls.error_codes), cls.default_error_code)


def error_message(error: ErrorDetails) -> str:
    """A short message naming the field; never the rejected value (it may be a prompt or an image)."""
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"[:200]


def validation_error(model: type[ApiModel], exc: ValidationError) -> Ima2Error:
    first = min(exc.errors(include_url=False, include_input=False), key=model.rank)
    raised = first.get("ctx", {}).get(DOMAIN_ERROR)
    if isinstance(raised, Ima2Error):  # a domain check (`domain_check`, `domain_error`): as raised
        return raised
    if first["type"] in CATALOGUE:  # a domain check inside the model (see `domain_check`)
        return Ima2Error(first["type"], first["msg"])
    code = model.code_for(first)
    return Ima2Error(code, error_message(first)) if code == "INVALID_REQUEST" else Ima2Error(code)


def parse_json_object(raw: bytes, *, empty_ok: bool = True) -> dict[str, Any]:
    """A JSON object body (INVALID_BODY when it is not JSON or not an object)."""
    if not raw.strip():
        if empty_ok:
            return {}
        raise Ima2Error("INVALID_BODY", "A JSON object body is required.")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Ima2Error("INVALID_BODY") from None
    if not isinstance(body, dict):
        raise Ima2Error("INVALID_BODY", "The request body must be a JSON object.")
    return body


def validate_body(model: type[M], body: dict[str, Any], context: dict[str, Any] | None = None) -> M:
    """`body` as `model`; `context` reaches validators that need server state (`ValidationInfo`)."""
    try:
        return model.model_validate(body, context=context)
    except ValidationError as exc:
        raise validation_error(model, exc) from None


def parse_body(
    model: type[M], raw: bytes, *, empty_ok: bool = True, context: dict[str, Any] | None = None
) -> M:
    return validate_body(model, parse_json_object(raw, empty_ok=empty_ok), context)


def empty_to_none(value: Any) -> Any:
    """The reference treats an empty string like an absent field (the default applies)."""
    return None if value == "" else value


def member_of(values: tuple[str, ...] | list[str]) -> Callable[[str], str]:
    allowed = frozenset(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(values)}")
        return value

    return check


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def domain_error(err: Ima2Error) -> PydanticCustomError:
    """A pydantic error carrying `err`: the body answers it as raised (message, status, guidance)."""
    return PydanticCustomError(err.code, err.message, {DOMAIN_ERROR: err})


def domain_check(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A validator from a check that raises `Ima2Error`: its code becomes the pydantic error type,
    so the failure keeps its place in field order and answers that exact error (code, message,
    status, guidance)."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except Ima2Error as err:
            raise domain_error(err) from None

    return run
