"""Structured JSON logs with redaction and request-id correlation.

Never logged: prompts, image/base64 data, keys, tokens, cookies, auth headers or raw
upstream bodies. Callers pass structured fields with `extra={"fields": {...}}`; the
formatter drops secret-like keys, scrubs secret-like substrings from every string and
cuts long strings. Only lengths and ids are meant to get through.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("ima2_request_id", default="")
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("ima2_job_id", default="")

MAX_STRING = 240
ALLOWED_KEYS = {"promptChars", "promptMode", "prompt_chars"}
REDACTED_KEYS = {
    "authorization",
    "cookie",
    "headers",
    "apikey",
    "token",
    "password",
    "secret",
    "body",
    "prompt",
    "effectiveprompt",
    "userprompt",
    "revisedprompt",
    "textprompt",
    "stylesheet",
    "image",
    "imageb64",
    "image_url",
    "references",
    "rawresponse",
    "mask",
    "data",
    "result",
    "partial_image_b64",
}
REDACTED_KEY_PARTS = (
    "token",
    "authorization",
    "cookie",
    "apikey",
    "api_key",
    "secret",
    "b64",
    "base64",
    "dataurl",
    "password",
    "prompt",
)
SCRUB_PATTERNS = [
    (re.compile(r"(?i)bearer\s+[^\s\"',;]+"), "Bearer [redacted]"),
    (re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=_-]*"), "data:[redacted]"),
    (re.compile(r"\b(sk|xai)-[A-Za-z0-9_-]{6,}"), "[redacted-key]"),
    (re.compile(r"\bAI[A-Za-z0-9_-]{20,}"), "[redacted-key]"),
    (re.compile(r"(?i)([?&](?:token|key|api_key|access_token)=)[^&\s\"]+"), r"\1[redacted]"),
    (re.compile(r"[A-Za-z0-9+/]{200,}={0,2}"), "[redacted-blob]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in SCRUB_PATTERNS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= MAX_STRING else text[:MAX_STRING] + "…"


def _key_is_secret(key: str) -> bool:
    if key in ALLOWED_KEYS:
        return False
    low = key.lower()
    return low in REDACTED_KEYS or any(part in low for part in REDACTED_KEY_PARTS)


def redact(value: Any, key: str = "") -> Any:
    if key and _key_is_secret(key):
        return "[redacted]"
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, bytes | bytearray):
        return f"[buffer:{len(value)}]"
    if isinstance(value, dict):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return f"[array:{len(value)}]"
    return f"[{type(value).__name__}]"


class JsonFormatter(logging.Formatter):
    def __init__(self, part: str) -> None:
        super().__init__()
        self.part = part

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "part": self.part,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        job_id = getattr(record, "job_id", None) or job_id_var.get()
        if request_id:
            entry["requestId"] = request_id
        if job_id:
            entry["jobId"] = job_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(redact(fields))
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc"] = record.exc_info[0].__name__
            entry["excMsg"] = scrub(str(record.exc_info[1]))
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(part: str, logs_dir: Path | None, level: str = "INFO", stderr: bool = True) -> None:
    """Route every logger of this process through the redacting JSON formatter."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = JsonFormatter(part)
    handlers: list[logging.Handler] = []
    if logs_dir is not None:
        logs_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(WatchedFileHandler(logs_dir / f"{part}.log", encoding="utf-8"))
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "hpack", "asyncio", "nats", "grpc._cython"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for uv in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(uv).handlers = []
        logging.getLogger(uv).propagate = True
    logging.Formatter.converter = time.gmtime


def log_fields(**fields: Any) -> dict[str, Any]:
    """Shorthand for `extra=` carrying structured fields."""
    return {"fields": fields}
