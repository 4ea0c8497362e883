"""ima2 sandbox: offline emulators of every upstream the providers talk to (see app.py for prefixes).

`create_app` is imported lazily so that the fake `agy` script starts without loading FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ima2_sandbox.app import create_app
    from ima2_sandbox.state import SandboxState

__all__ = ["SandboxState", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ima2_sandbox.app import create_app

        return create_app
    if name == "SandboxState":
        from ima2_sandbox.state import SandboxState

        return SandboxState
    raise AttributeError(name)
