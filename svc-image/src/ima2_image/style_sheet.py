"""Style-sheet extraction (reference `lib/styleSheet.ts`) through the OpenAI `api` provider path.

One non-streaming Responses API call with the key svc-auth holds for `openai`, asking for a JSON
object (`text.format = json_object`) with the reference's fields: palette, composition, mood,
medium, subject_details, negative. The answer is coerced to that shape; an empty answer, non-JSON
or a shape with no content are STYLE_SHEET_EMPTY / _PARSE / _SHAPE (422). No key is
API_KEY_REQUIRED (401) before anything goes upstream; upstream failures map like image calls.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import strip_data_url
from ima2_common.settings import Settings
from ima2_image.clients import AuthClient
from ima2_image.providers.openai_errors import classify, from_transport
from ima2_proto.v1 import auth_pb2

log = logging.getLogger("ima2.image.style_sheet")

SYSTEM_PROMPT = (
    "You extract a reusable visual style guide from a user image prompt (and an optional reference "
    "image). Return ONLY a JSON object with these keys: palette (array of 3-6 concrete color names), "
    "composition (one sentence), mood (2-4 comma-separated adjectives), medium (one short phrase naming "
    "technique/material), subject_details (one sentence capturing identity cues: face, outfit, pose, "
    "distinctive features), negative (array of 0-4 short phrases of things to avoid). Keep entries tight "
    "- each under 120 characters. Do not wrap in markdown. Do not add commentary."
)
TIMEOUT_SECONDS = 120.0
STRING_CAP = 400
PALETTE_MAX = 6
NEGATIVE_MAX = 4


def coerce_style_sheet(raw: Any) -> dict[str, Any] | None:
    """The reference's shape, trimmed; None when nothing usable is left."""
    if not isinstance(raw, dict):
        return None

    def strings(value: Any, limit: int) -> list[str]:
        if not isinstance(value, list):
            return []
        return [item.strip() for item in value if isinstance(item, str) and item.strip()][:limit]

    def text(value: Any) -> str:
        return value.strip()[:STRING_CAP] if isinstance(value, str) else ""

    sheet = {
        "palette": strings(raw.get("palette"), PALETTE_MAX),
        "composition": text(raw.get("composition")),
        "mood": text(raw.get("mood")),
        "medium": text(raw.get("medium")),
        "subject_details": text(raw.get("subject_details")),
        "negative": strings(raw.get("negative"), NEGATIVE_MAX),
    }
    return sheet if any(sheet.values()) else None


def render_prefix(sheet: dict[str, Any] | None) -> str:
    """The prompt preamble an enabled style sheet puts before a generation prompt (reference)."""
    if not sheet:
        return ""
    parts = []
    if sheet.get("medium"):
        parts.append(f"Medium: {sheet['medium']}.")
    if sheet.get("palette"):
        parts.append(f"Palette: {', '.join(sheet['palette'])}.")
    if sheet.get("composition"):
        parts.append(f"Composition: {sheet['composition']}.")
    if sheet.get("mood"):
        parts.append(f"Mood: {sheet['mood']}.")
    if sheet.get("subject_details"):
        parts.append(f"Subject: {sheet['subject_details']}.")
    if sheet.get("negative"):
        parts.append(f"Avoid: {', '.join(sheet['negative'])}.")
    return " ".join(parts)


def build_payload(model: str, prompt: str, references: list[str]) -> dict[str, Any]:
    content: Any = prompt
    if references:
        images = []
        for ref in references:
            mime, payload = strip_data_url(ref)
            images.append(
                {"type": "input_image", "image_url": f"data:{mime or 'image/png'};base64,{payload}"}
            )
        content = [{"type": "input_text", "text": prompt}, *images]
    return {
        "model": model,
        "input": [{"role": "developer", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}],
        "text": {"format": {"type": "json_object"}},
        "stream": False,
    }


def output_text(body: dict[str, Any]) -> str:
    """The joined `output_text` parts of the message items of a Responses API answer."""
    texts = []
    for item in body.get("output") or []:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        for part in item.get("content") or []:
            if (
                isinstance(part, dict)
                and part.get("type") == "output_text"
                and isinstance(part.get("text"), str)
            ):
                texts.append(part["text"])
    if not texts and isinstance(body.get("output_text"), str):
        texts.append(body["output_text"])
    return "".join(texts).strip()


class StyleSheetExtractor:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, auth: AuthClient) -> None:
        self.settings = settings
        self.http = http
        self.auth = auth

    async def _key(self) -> str:
        credential = await self.auth.unary(
            self.auth.stub.GetCredential, auth_pb2.GetCredentialRequest(provider="openai")
        )
        key = str(credential.secret)
        if not key:
            raise Ima2Error("API_KEY_REQUIRED", "Style-sheet extraction requires an OpenAI API key.")
        if any(ord(c) < 32 for c in key):
            raise Ima2Error("AUTH_API_KEY_INVALID")
        return key

    async def extract(self, prompt: str, references: list[str], session_id: str = "") -> dict[str, Any]:
        if not prompt.strip():
            raise Ima2Error("STYLE_SHEET_BAD_INPUT", "prompt required")
        key = await self._key()
        url = f"{self.settings.openai_base_url.rstrip('/')}/responses"
        payload = build_payload(self.settings.style_sheet_model, prompt, references)
        try:
            response = await self.http.post(
                url,
                content=json.dumps(payload).encode(),
                headers={
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=self.settings.openai_connect_timeout_seconds),
            )
        except httpx.HTTPError as exc:
            raise from_transport(exc, "GENERATION_TIMEOUT", "NETWORK_FAILED") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise classify(response.status_code, body)
        if not isinstance(body, dict) or body.get("status") == "failed" or body.get("error"):
            raise classify(0, body if isinstance(body, dict) else {})
        text = output_text(body)
        if not text:
            raise Ima2Error("STYLE_SHEET_EMPTY")
        try:
            parsed = json.loads(text)
        except ValueError:
            raise Ima2Error("STYLE_SHEET_PARSE") from None
        sheet = coerce_style_sheet(parsed)
        if sheet is None:
            raise Ima2Error("STYLE_SHEET_SHAPE")
        log.info(
            "style_sheet_extracted",
            extra=log_fields(sessionId=session_id, promptChars=len(prompt), refsCount=len(references)),
        )
        return sheet
