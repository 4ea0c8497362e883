"""CLI tests share the session's sandbox stack (tests/conftest.py); faults are cleared around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.support import clear_faults
from tests.stackctl import RunningStack


@pytest.fixture
def faults(stack: RunningStack) -> Iterator[RunningStack]:
    clear_faults(stack)
    yield stack
    clear_faults(stack)
