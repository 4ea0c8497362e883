"""Request ids, body size limits and the (redacted) access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields, request_id_var
from ima2_gateway.errors import error_body, family_for

log = logging.getLogger("ima2.gateway.access")
REQUEST_ID_RE = re.compile(limits.REQUEST_ID_PATTERN)
QUIET_PATHS = ("/api/health", "/api/inflight")


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


class RequestContextMiddleware:
    """Echo a valid X-Request-Id (or mint one), bind it to the log context, refuse oversized bodies."""

    def __init__(self, app: ASGIApp, body_limit: int) -> None:
        self.app = app
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID_RE.match(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        status_holder = {"status": 0}
        path = scope.get("path", "")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.body_limit:
                await self._reject_too_large(scope, send_with_id, request_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        finally:
            if not path.startswith(QUIET_PATHS):
                log.info(
                    "request",
                    extra=log_fields(
                        method=scope.get("method"),
                        path=path,
                        status=status_holder["status"],
                        ms=round((time.monotonic() - started) * 1000, 1),
                    ),
                )
            request_id_var.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.body_limit:
                    raise Ima2Error("PAYLOAD_TOO_LARGE")
            return message

        return limited

    async def _reject_too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        import json

        err = Ima2Error("PAYLOAD_TOO_LARGE")
        body = json.dumps(error_body(err, family_for(scope.get("path", "")), request_id)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
