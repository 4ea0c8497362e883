"""Start a throwaway sandbox stack for a benchmark (shares the tests' launcher helper)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.stackctl import RunningStack, start_stack


def bench_stack(**env: str) -> RunningStack:
    return start_stack(Path(tempfile.mkdtemp(prefix="ima2-bench-")), extra_env=env)
