"""`python -m ima2_sandbox --host 127.0.0.1 --port P`: serve every emulator with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

from ima2_common.logging import setup_logging
from ima2_sandbox.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ima2_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    setup_logging("sandbox", None, args.log_level)
    print(f"ima2 sandbox listening on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_config=None,
        log_level=args.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
