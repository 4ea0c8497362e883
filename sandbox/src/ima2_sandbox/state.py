"""Everything the emulators remember: switches, faults, the request log, issued tokens, jobs and files.

One `SandboxState` per app. Nothing here touches the network or the disk.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

REQUEST_LOG_LIMIT = 2000
FILE_LIMIT = 200  # temporary media URLs; the oldest are forgotten first

# Switches changed with PUT /_sandbox/settings (camelCase, like the rest of the control API).
DEFAULT_SETTINGS: dict[str, Any] = {
    "progrokLoggedIn": True,  # false: /progrok/v1/* answers 401 "Not logged in"
    "videoPolls": 2,  # pending polls before a video job is done
    "videoPendingStatus": 200,  # HTTP status of a pending poll (the OpenAPI lists 202)
    "xaiVideo15RejectsT2V": False,  # grok-imagine-video-1.5 without `image` -> 400
    "xaiVideo15RejectsR2V": False,  # grok-imagine-video-1.5 with `reference_images` -> 400
    "autoApproveDevice": False,  # device codes approve themselves after `autoApprovePolls` polls
    "autoApprovePolls": 1,
    "deviceEmail": "sandbox-user@example.com",  # email of an approved device when none is given
    "deviceInterval": 5,  # seconds a device-code client must wait between polls
    "deviceExpiresIn": 900,  # lifetime of a device code in seconds
    "accessTokenTtl": 3600,  # lifetime of xAI / OpenAI OAuth access tokens
    "googleTokenTtl": 3599,  # lifetime of Vertex ya29 tokens
    "geminiThoughtImage": False,  # Gemini answers start with an interim thought image
    "grokMonthlyLimitCents": 15000,
    "grokUsedCents": 1234,
    "grokCreditUsagePercent": 37,
    "codexPlan": "plus",
    "codexPrimaryUsedPercent": 12.5,
    "codexSecondaryUsedPercent": 40.0,
    "hangMaxSeconds": 3600.0,  # a "hang" fault gives up (504) after this long
    "imageNoise": False,  # Responses images are random noise at the requested size (large, incompressible)
    "videoOversizeBytes": 101 * 1024 * 1024,  # Content-Length of a "video-too-large" download
}


@dataclass
class Fault:
    id: int
    upstream: str = "*"
    path: str = ""
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    mode: str = "error"
    count: int = 1
    reason: str | None = None  # Gemini finishReason for safety/empty faults
    block_reason: str | None = None  # Gemini promptFeedback.blockReason for safety faults
    hits: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "upstream": self.upstream,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "delay": self.delay,
            "mode": self.mode,
            "count": self.count,
            "reason": self.reason,
            "blockReason": self.block_reason,
            "hits": self.hits,
        }


@dataclass
class DeviceGrant:
    """One device-code login, xAI (RFC 8628) or OpenAI (deviceauth)."""

    kind: str  # "xai" | "openai"
    device_code: str
    user_code: str
    client_id: str
    scope: str
    interval: int
    expires_at: float
    status: str = "pending"  # pending | approved | denied | consumed
    email: str = ""
    polls: int = 0
    last_poll: float = 0.0
    authorization_code: str = ""
    code_verifier: str = ""


@dataclass
class VideoJob:
    id: str
    kind: str  # generation | edit | extension
    model: str
    prompt: str
    duration: int
    aspect_ratio: str
    resolution: str
    outcome: str = (
        "ok"  # ok | moderated | empty | expired | stalled | not-mp4 | too-large | failed:<code>:<msg>
    )
    polls: int = 0
    polls_needed: int = 2
    stalled_progress: int = 0


@dataclass
class StoredFile:
    data: bytes
    media_type: str
    declared_size: int = 0  # > len(data): served as a body of this many bytes (an oversized download)


@dataclass
class SandboxState:
    settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    faults: list[Fault] = field(default_factory=list)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT))
    files: OrderedDict[str, StoredFile] = field(default_factory=OrderedDict)
    videos: dict[str, VideoJob] = field(default_factory=dict)
    devices: dict[str, DeviceGrant] = field(default_factory=dict)  # by device code / device_auth_id
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> claims (+ "used")
    google_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # ya29 token -> info
    issued_tokens: set[str] = field(default_factory=set)  # OAuth access tokens handed out
    next_fault_id: int = 1

    def setting(self, name: str) -> Any:
        return self.settings.get(name, DEFAULT_SETTINGS[name])

    def store_file(self, name: str, data: bytes, media_type: str, declared_size: int = 0) -> None:
        self.files[name] = StoredFile(data, media_type, declared_size)
        while len(self.files) > FILE_LIMIT:
            self.files.popitem(last=False)

    def device_by_user_code(self, user_code: str) -> DeviceGrant | None:
        wanted = user_code.strip().upper()
        for grant in self.devices.values():
            if grant.user_code.upper() == wanted:
                return grant
        return None

    def auto_approve(self, grant: DeviceGrant) -> None:
        """With `autoApproveDevice`, a pending grant approves itself once polled more than N times."""
        if (
            grant.status == "pending"
            and self.setting("autoApproveDevice")
            and grant.polls > int(self.setting("autoApprovePolls"))
        ):
            grant.status = "approved"
            grant.email = grant.email or str(self.setting("deviceEmail"))

    def reset(self) -> None:
        fresh = SandboxState()
        for name in (
            "settings",
            "faults",
            "files",
            "videos",
            "devices",
            "refresh_tokens",
            "google_tokens",
            "issued_tokens",
        ):
            setattr(self, name, getattr(fresh, name))
        self.requests.clear()


def new_user_code(alphabet: str, left: int, right: int) -> str:
    pick = "".join(secrets.choice(alphabet) for _ in range(left + right))
    return f"{pick[:left]}-{pick[left:]}"
