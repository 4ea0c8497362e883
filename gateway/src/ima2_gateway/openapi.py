"""Route contracts for the OpenAPI document: request bodies, answers and error envelopes.

Routes read their bodies themselves (see `models.base`), so request schemas are declared through
`openapi_extra` and their models (and the SSE frame's) are added to the components here. Answers are documented with
`responses=` rather than `response_model`, so a generation answer (megabytes of base64) is not
validated and serialised a second time on its way out; schemathesis checks that the answers
match these schemas (tests/test_openapi_fuzz.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.routing import BaseRoute

from ima2_gateway.models.errors import FlatError, KeysError, NestedError, NodeError
from ima2_gateway.models.images import Accepted
from ima2_gateway.models.jobs import SseEvent

ERROR_MODELS: dict[str, type[BaseModel]] = {
    "flat": FlatError,
    "nested": NestedError,
    "keys": KeysError,
    "node": NodeError,
}
STATUS_TEXT = {
    400: "The request is not valid (the code names the field); a path alias is LOCAL_PATH_REJECTED, nested.",
    401: "A credential is missing or was refused (off loopback: ACCESS_TOKEN_REQUIRED, nested).",
    403: "Host or Origin is not this server's (LOCAL_HOST_REJECTED, LOCAL_ORIGIN_REJECTED, nested).",
    404: "Not found.",
    409: "Conflict (a request id in use, a stale graph version).",
    413: "The body is too large.",
    428: "If-Match with the current graph version is required.",
    422: "The upstream refused the content.",
    429: "Too many jobs (`Retry-After`) or the upstream's rate limit.",
    499: "The job was canceled.",
    502: "The upstream failed.",
    503: "A service, the event backbone or the upstream is unavailable.",
    504: "The upstream or the job timed out.",
}
ACCESS_STATUSES = (400, 401, 403)
GENERATION_STATUSES = (400, 401, 409, 422, 429, 499, 502, 503, 504)
_COMPONENT_MODELS: dict[str, type[BaseModel]] = {}


def component(model: type[BaseModel]) -> dict[str, str]:
    """A `$ref` to `model`, which joins the document's components."""
    _COMPONENT_MODELS[model.__name__] = model
    return {"$ref": f"#/components/schemas/{model.__name__}"}


SSE_CONTENT = {"text/event-stream": {"schema": component(SseEvent)}}


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` declaring a JSON request body of `model`."""
    content = {"application/json": {"schema": component(model)}}
    return {"requestBody": {"required": required, "content": content}}


def header(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    """A request header parameter (they are read from the request, not declared as arguments)."""
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


BROWSER_ID = header(
    "X-Ima2-Browser-Id",
    "Whose annotations and favourites these are (the CLI sends cli-<id>).",
    required=True,
    minLength=1,
    maxLength=128,
)


def binary_body(*media_types: str) -> dict[str, Any]:
    """`openapi_extra` declaring a raw file body (an image upload)."""
    content = {t: {"schema": {"type": "string", "format": "binary"}} for t in media_types}
    return {"requestBody": {"required": True, "content": content}}


def contract(
    ok: type[BaseModel] | None,
    *,
    errors: str,
    statuses: tuple[int, ...] = (),
    ok_status: int = 200,
    body: dict[str, Any] | None = None,
    headers: tuple[dict[str, Any], ...] = (),
    sse: bool = False,
    accepted: bool = False,
    extra: dict[int | str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a route decorator: its answer, its error envelope for `statuses` and
    for any other status (`default`: a service down is 503, an unexpected failure 500)."""
    error_model = ERROR_MODELS[errors]
    answers: dict[int | str, dict[str, Any]] = {}
    if ok is not None:
        answers[ok_status] = {"model": ok, "description": "Success."}
    if sse:
        answers.setdefault(ok_status, {"description": "Success."})["content"] = dict(SSE_CONTENT)
    if accepted:
        answers[202] = {"model": Accepted, "description": "An async job was admitted (`async: true`)."}
    # The access guard answers before any route, always in the nested envelope (reference §1.10).
    guarded: Any = error_model if errors == "nested" else error_model | NestedError
    for status in sorted({*statuses, *ACCESS_STATUSES}):
        model = guarded if status in ACCESS_STATUSES else error_model
        answers[status] = {"model": model, "description": STATUS_TEXT.get(status, "Error.")}
    answers.update(extra or {})
    answers["default"] = {
        "model": guarded,
        "description": "Any other error, in the route's envelope (the access guard's: nested).",
    }
    kwargs: dict[str, Any] = {"response_model": None, "responses": answers, "status_code": ok_status}
    extra_doc = dict(body or {})
    if headers:
        extra_doc["parameters"] = list(headers)
    if extra_doc:
        kwargs["openapi_extra"] = extra_doc
    return kwargs


def _component_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name, model in sorted(_COMPONENT_MODELS.items()):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def _drop_default_json(doc: dict[str, Any]) -> None:
    """FastAPI lists its default `application/json` (no schema) on every success answer; a route
    that answers events, an image or a zip answers that type alone."""
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for answer in operation.get("responses", {}).values():
                content = answer.get("content", {})
                if len(content) > 1 and content.get("application/json") == {"schema": {}}:
                    del content["application/json"]


def install(app: FastAPI, documented: Sequence[BaseRoute] = ()) -> None:
    """Generate the document once, with the request models in its components. `documented` routes
    are described although they are not served (features that are off: card news)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=[*app.routes, *documented],
            )
            components = doc.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in _component_schemas().items():
                components.setdefault(name, schema)
            doc["components"]["schemas"] = dict(sorted(components.items()))
            _drop_default_json(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
