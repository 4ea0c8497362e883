"""schemathesis against the committed OpenAPI document, on a sandbox stack of its own.

Every operation gets generated requests (valid and invalid bodies, parameters, headers); no answer
may be a 5xx and every answer must match the schema documented for its status. The stack is this
module's own, so deleting history items, keys or sessions cannot disturb the other tests' stack.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.stackctl import RunningStack, start_stack

ROOT = Path(__file__).resolve().parents[2]
# ~65 operations x 5 examples: about 1.5 minutes on two cores (3 when they are busy).
# IMA2_FUZZ_EXAMPLES=30 digs deeper locally.
EXAMPLES_PER_OPERATION = int(os.environ.get("IMA2_FUZZ_EXAMPLES", "5"))

schema = (
    schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")
    # An endless SSE stream: a client reading it to the end would never finish.
    # tests/integration/test_events.py covers it.
    .exclude(path="/api/events")
)


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("ima2-fuzz")
    # `true` as the file manager: POST /api/storage/open-generated-dir opens nothing on this machine.
    # Card news on (IMA2_CARD_NEWS): its documented routes are served, so they are fuzzed too.
    running = start_stack(
        home,
        extra_env={
            "IMA2_OPEN_COMMAND": "true",
            "IMA2_SSE_PING_SECONDS": "1",
            "IMA2_CARD_NEWS": "1",
            # video jobs the fuzzer starts poll the sandbox fast and give up after 8 s, not 15 min
            "IMA2_VIDEO_POLL_INTERVAL_SECONDS": "0.1",
            "IMA2_VIDEO_STALL_SECONDS": "1",
            "IMA2_VIDEO_POLL_BUDGET_SECONDS": "8",
        },
    )
    yield running
    running.stop()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_answers_match_the_document(case: schemathesis.Case[Any], fuzz_stack: RunningStack) -> None:
    case.call_and_validate(
        base_url=fuzz_stack.url,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=120,
    )
