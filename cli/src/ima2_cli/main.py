"""The `ima2` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from ima2_cli.launcher.stack import LaunchError, Stack, UpOptions, existing_server, run_until_signal
from ima2_common import limits
from ima2_common.settings import Settings


def _print_ready(stack: Stack) -> None:
    info = stack.server_info()
    mode = " (sandbox mode: providers answer from local emulators)" if stack.options.sandbox else ""
    note = ""
    if stack.gateway_port != stack.options.port:
        note = f" (port {stack.options.port} was busy)"
    print(f"ima2 is running at {info['url']}{note}{mode}", flush=True)
    print(f"data: {stack.settings.home_dir}  logs: {stack.settings.logs_dir}  Ctrl-C to stop", flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    settings = Settings()
    running = existing_server(settings.server_file)
    if running:
        print(f"ima2 is already running at {running}", file=sys.stderr)
        return 1
    options = UpOptions(
        host=args.host or settings.host, port=args.port or settings.port, sandbox=args.sandbox
    )
    stack = Stack(settings, options)
    restart_delay = float(os.environ.get("IMA2_RESTART_DELAY_SECONDS", "1"))
    try:
        return asyncio.run(run_until_signal(stack, _print_ready, restart_delay))
    except LaunchError as exc:
        print(f"ima2: {exc}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ima2", description="ima2: image and video generation studio")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "serve"):
        up = commands.add_parser(name, help="start the whole stack on this machine")
        up.add_argument("--host", default=None, help="gateway bind address (default 127.0.0.1)")
        up.add_argument(
            "--port", type=int, default=None, help=f"gateway port (default {limits.DEFAULT_PORT})"
        )
        up.add_argument("--sandbox", action="store_true", help="use the offline upstream emulators")
        up.set_defaults(handler=cmd_up)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))


if __name__ == "__main__":
    main()
