"""The Grok planner model chosen at runtime (/api/config/grok-planner).

The reference keeps it in one process's memory; our svc-image runs replicated, so the value
lives in the JetStream KV config bucket and every replica reads the same one.
"""

from __future__ import annotations

import logging

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from ima2_common import catalog
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.image.planner")
PLANNER_KEY = "grok.plannerModel"


class PlannerConfigStore:
    def __init__(self, kv: KeyValue, default: str) -> None:
        self.kv = kv
        self.default = (
            default if default in catalog.GROK_PLANNER_MODELS else catalog.GROK_DEFAULT_PLANNER_MODEL
        )

    @staticmethod
    def options() -> list[str]:
        return list(catalog.GROK_PLANNER_MODELS)

    async def get(self) -> str:
        try:
            entry = await self.kv.get(PLANNER_KEY)
        except KeyNotFoundError:
            return self.default
        except Exception as exc:  # NATS down: the default still lets jobs run
            log.warning("planner config unreadable", extra=log_fields(error=type(exc).__name__))
            return self.default
        model = (entry.value or b"").decode()
        return model if model in catalog.GROK_PLANNER_MODELS else self.default

    async def set(self, model: str) -> str:
        if model not in catalog.GROK_PLANNER_MODELS:
            raise Ima2Error(
                "INVALID_PLANNER_MODEL",
                f"model must be one of: {', '.join(catalog.GROK_PLANNER_MODELS)}.",
            )
        try:
            await self.kv.put(PLANNER_KEY, model.encode())
        except Exception as exc:
            raise Ima2Error("EVENTS_UNAVAILABLE", "The shared configuration store is unavailable.") from exc
        return model
