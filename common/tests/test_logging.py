from __future__ import annotations

import json
import logging

from ima2_common.logging import JsonFormatter, log_fields, redact, request_id_var


def test_secret_keys_and_values_are_redacted() -> None:
    out = redact(
        {
            "prompt": "a cat",
            "promptChars": 5,
            "apiKey": "sk-live-123456789",
            "note": "Bearer abc.def",
            "url": "http://x/?token=abc",
            "refs": ["a", "b"],
            "image_b64": "AAAA",
            "raw": b"123",
        }
    )
    assert (
        out["prompt"] == "[redacted]" and out["apiKey"] == "[redacted]" and out["image_b64"] == "[redacted]"
    )
    assert out["promptChars"] == 5 and out["refs"] == "[array:2]" and out["raw"] == "[buffer:3]"
    assert "abc.def" not in out["note"] and "token=abc" not in out["url"]


def test_formatter_adds_request_id_and_scrubs_messages() -> None:
    token = request_id_var.set("req_1")
    try:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "key sk-abcdefghijkl used", None, None)
        record.fields = log_fields(path="/api/x", authorization="Bearer zzz")["fields"]
        line = json.loads(JsonFormatter("test").format(record))
    finally:
        request_id_var.reset(token)
    assert line["requestId"] == "req_1" and line["part"] == "test"
    assert "sk-abcdefghijkl" not in line["msg"] and line["authorization"] == "[redacted]"
