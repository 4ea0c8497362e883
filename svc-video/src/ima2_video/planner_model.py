"""The Grok planner model: the run-time choice shared with svc-image (JetStream config bucket),
else the IMA2_GROK_PLANNER_MODEL setting."""

from __future__ import annotations

import logging

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from ima2_common import catalog
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.video.planner_model")


class PlannerModelSource:
    def __init__(self, kv: KeyValue | None, default: str) -> None:
        self.kv = kv
        self.default = (
            default if default in catalog.GROK_PLANNER_MODELS else catalog.GROK_DEFAULT_PLANNER_MODEL
        )

    async def get(self) -> str:
        if self.kv is None:
            return self.default
        try:
            entry = await self.kv.get(catalog.GROK_PLANNER_CONFIG_KEY)
        except KeyNotFoundError:
            return self.default
        except Exception as exc:  # NATS down: the default still lets jobs run
            log.warning("planner config unreadable", extra=log_fields(error=type(exc).__name__))
            return self.default
        model = (entry.value or b"").decode()
        return model if model in catalog.GROK_PLANNER_MODELS else self.default
