"""The `ima2` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable

from ima2_cli import access_token, client
from ima2_cli.launcher.stack import LaunchError, Stack, UpOptions, existing_server, run_until_signal
from ima2_common import limits
from ima2_common.settings import Settings

_ACCESS: dict[str, access_token.AccessToken] = {}


def _print_ready(stack: Stack) -> None:
    info = stack.server_info()
    mode = " (sandbox mode: providers answer from local emulators)" if stack.options.sandbox else ""
    note = ""
    if stack.gateway_port != stack.options.port:
        note = f" (port {stack.options.port} was busy)"
    print(f"ima2 is running at {info['url']}{note}{mode}", flush=True)
    token = _ACCESS.get("token")
    if token is not None:
        print(f"LAN mode: every request needs the access token (bound to {stack.options.host})", flush=True)
        if token.origin == "generated":
            print(
                f"access token (shown this once; kept in {token.path}, mode 0600): {token.value}\n"
                f"open {info['url']}/?token=<token> once in a browser, or send Authorization: Bearer <token>",
                flush=True,
            )
        elif token.origin == "file":
            print(f"access token: the one kept in {token.path}", flush=True)
        else:
            print("access token: from IMA2_ACCESS_TOKEN", flush=True)
    print(f"data: {stack.settings.home_dir}  logs: {stack.settings.logs_dir}  Ctrl-C to stop", flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    settings = Settings()
    running = existing_server(settings.server_file)
    if running:
        print(f"ima2 is already running at {running}", file=sys.stderr)
        return 1
    host = args.host or settings.host
    token = ""
    if not access_token.is_local_bind(host):
        try:
            resolved = access_token.resolve(settings)
        except access_token.AccessTokenError as exc:
            print(f"ima2: {exc}", file=sys.stderr)
            return 1
        _ACCESS["token"] = resolved
        token = resolved.value
    options = UpOptions(host=host, port=args.port or settings.port, sandbox=args.sandbox, access_token=token)
    stack = Stack(settings, options)
    restart_delay = float(os.environ.get("IMA2_RESTART_DELAY_SECONDS", "1"))
    try:
        return asyncio.run(run_until_signal(stack, _print_ready, restart_delay))
    except LaunchError as exc:
        print(f"ima2: {exc}", file=sys.stderr)
        return 1


def _client(args: argparse.Namespace) -> client.ApiClient:
    settings = Settings()
    config = client.load_config(settings.cli_config_file)
    return client.ApiClient(
        client.discover_server(args.server, settings, config), client.access_token(settings, config)
    )


def _run_client(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except client.CliError as exc:
            print(f"ima2: {exc}", file=sys.stderr)
            return exc.exit_code

    return run


def cmd_ping(args: argparse.Namespace) -> int:
    api = _client(args)
    started = time.monotonic()
    health = api.request("GET", "/api/health")
    ms = (time.monotonic() - started) * 1000
    if args.json:
        print(json.dumps(health, indent=2))
    else:
        state = "ok" if health.get("ok") else health.get("status", "degraded")
        sandbox = " sandbox" if health.get("sandbox") else ""
        print(f"{state} {api.server} version {health.get('version')}{sandbox} ({ms:.0f} ms)")
    return client.EXIT_OK if health.get("ok") else client.EXIT_SERVER


def cmd_providers(args: argparse.Namespace) -> int:
    providers = _client(args).request("GET", "/api/providers")
    if args.json:
        print(json.dumps(providers, indent=2))
        return client.EXIT_OK
    for name, state in (providers.get("providers") or {}).items():
        reason = f" ({state['reason']})" if state.get("reason") else ""
        print(f"{name:<11} {state.get('status', '?')}{reason}")
    for name, key in (providers.get("keys") or {}).items():
        print(f"key {name:<7} {key.get('source', 'none')}")
    return client.EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    settings = Settings()
    path = settings.cli_config_file
    if args.action == "path":
        print(path)
        return client.EXIT_OK
    if args.key not in client.CONFIG_KEYS:
        raise client.CliError(
            f"unknown key {args.key!r}; known: {', '.join(client.CONFIG_KEYS)}", client.EXIT_USAGE
        )
    config = client.load_config(path)
    if args.action == "get":
        value = config.get(args.key)
        if value is None:
            return client.EXIT_ERROR
        print(client.mask(value) if args.key in client.SECRET_CONFIG_KEYS else value)
        return client.EXIT_OK
    if args.action == "unset":
        config.pop(args.key, None)
    else:
        value = sys.stdin.readline().strip() if args.value in (None, "-") else args.value
        if not value:
            raise client.CliError("no value given", client.EXIT_USAGE)
        config[args.key] = value
    client.save_config(path, config)
    return client.EXIT_OK


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
    for name, handler, text in (
        ("ping", cmd_ping, "check that the server answers (GET /api/health)"),
        ("providers", cmd_providers, "provider availability and key sources (GET /api/providers)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument(
            "--server", default=None, help="server URL (default: IMA2_SERVER, config, server.json)"
        )
        sub.add_argument("--json", action="store_true", help="print the raw JSON")
        sub.set_defaults(handler=_run_client(handler))
    config = commands.add_parser(
        "config", help="the CLI's own settings (server, accessToken) in IMA2_HOME/cli.json"
    )
    config.add_argument("action", choices=("get", "set", "unset", "path"))
    config.add_argument("key", nargs="?", default="")
    config.add_argument(
        "value", nargs="?", default=None, help="the value; '-' or nothing reads one line from stdin"
    )
    config.set_defaults(handler=_run_client(cmd_config))
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))


if __name__ == "__main__":
    main()
