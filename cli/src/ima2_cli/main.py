"""The `ima2` command: the root application, `up`/`serve`, `config` and shell completion."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from typer import _completion_shared

# click's usage error, as vendored by Typer (typer.BadParameter is one); typer exports no alias
from typer._click.exceptions import UsageError

from ima2_cli import access_token, client
from ima2_cli.app import CONTEXT, GLOBALS, JsonOpt, QuietOpt, ServerOpt, TimeoutOpt, run, runtime_for
from ima2_cli.commands import (
    cardnews,
    comfy,
    generate,
    inflight,
    library,
    prompt_build,
    prompt_import,
    prompts,
    sessions,
    system,
    video,
)
from ima2_common import limits
from ima2_common.settings import (
    CONFIG_FILE_FIELDS,
    Settings,
    config_file_kind,
    config_file_value,
    config_file_value_fits,
)

app = typer.Typer(
    name="ima2",
    help="ima2: a self-hosted image and video generation studio. `ima2 up` starts it; the other "
    "commands talk to a running server over HTTP.",
    epilog='Example: ima2 gen "a shiba in space" -q high -o shiba.png',
    no_args_is_help=True,
    context_settings=CONTEXT,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

_ACCESS: dict[str, access_token.AccessToken] = {}


@app.callback()
def root(
    server: ServerOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    timeout: TimeoutOpt = None,
) -> None:
    GLOBALS.server, GLOBALS.json, GLOBALS.quiet, GLOBALS.timeout = server, as_json, quiet, timeout


# --- up / serve -----------------------------------------------------------------------------------


def _print_ready(stack: Any) -> None:
    info = stack.server_info()
    mode = " (sandbox mode: providers answer from local emulators)" if stack.options.sandbox else ""
    note = ""
    if stack.gateway_port != stack.options.port:
        note = f" (port {stack.options.port} was busy)"
    print(f"ima2 is running at {info['url']}{note}{mode}", flush=True)
    if stack.options.scale.counts:
        replicas = ", ".join(f"{part} x{len(items)}" for part, items in info["stack"]["replicas"].items())
        print(f"replicas: {replicas}; gateways: {' '.join(info['gateways'])}", flush=True)
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


def _up(host: str | None, port: int | None, sandbox: bool, scale_values: list[str] | None = None) -> int:
    # imported here: the launcher pulls in gRPC and the process tooling, which no client command needs
    from ima2_cli.launcher.scale import ScaleError, parse_scale
    from ima2_cli.launcher.stack import LaunchError, Stack, UpOptions, existing_server, run_until_signal

    settings = Settings()
    try:
        scale = parse_scale(scale_values or [], settings.database_url)
    except ScaleError as exc:
        print(f"ima2: {exc}", file=sys.stderr)
        return 2
    running = existing_server(settings.server_file)
    if running:
        print(f"ima2 is already running at {running}", file=sys.stderr)
        return 1
    host = host or settings.host
    token = ""
    if not access_token.is_local_bind(host):
        try:
            resolved = access_token.resolve(settings)
        except access_token.AccessTokenError as exc:
            print(f"ima2: {exc}", file=sys.stderr)
            return 1
        _ACCESS["token"] = resolved
        token = resolved.value
    options = UpOptions(
        host=host, port=port or settings.port, sandbox=sandbox, access_token=token, scale=scale
    )
    stack = Stack(settings, options)
    restart_delay = float(os.environ.get("IMA2_RESTART_DELAY_SECONDS", "1"))
    try:
        return asyncio.run(run_until_signal(stack, _print_ready, restart_delay))
    except LaunchError as exc:
        print(f"ima2: {exc}", file=sys.stderr)
        return 1


HostOpt = Annotated[str | None, typer.Option("--host", help="Gateway bind address (default 127.0.0.1)")]
PortOpt = Annotated[int | None, typer.Option("--port", help=f"Gateway port (default {limits.DEFAULT_PORT})")]
SandboxOpt = Annotated[bool, typer.Option("--sandbox", help="Use the offline upstream emulators")]
ScaleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scale",
        metavar="PART=N",
        help="Replicas of a part (gateway, svc-image, svc-video, svc-library, svc-auth, nats); repeatable",
    ),
]


@app.command(
    "up", epilog="Example: ima2 up --sandbox --scale svc-image=3 --scale nats=3", context_settings=CONTEXT
)
def up(
    host: HostOpt = None, port: PortOpt = None, sandbox: SandboxOpt = False, scale: ScaleOpt = None
) -> None:
    """Start the whole stack on this machine (gateway, services, NATS); Ctrl-C stops it."""
    raise typer.Exit(_up(host, port, sandbox, scale))


@app.command("serve", epilog="Example: ima2 serve --port 3400", context_settings=CONTEXT)
def serve(host: HostOpt = None, port: PortOpt = None, sandbox: SandboxOpt = False) -> None:
    """Same as `ima2 up`."""
    raise typer.Exit(_up(host, port, sandbox))


# --- config ---------------------------------------------------------------------------------------


class ConfigAction(StrEnum):
    get = "get"
    set = "set"
    unset = "unset"
    path = "path"


# The server settings config.json may hold (dotted: features.cardNews); the services read them at start.
SERVER_CONFIG_KEYS = {".".join(path): path for path in CONFIG_FILE_FIELDS}
TRUE_WORDS, FALSE_WORDS = ("true", "1", "on", "yes"), ("false", "0", "off", "no")


def _server_value(key: str, text: str) -> Any:
    """The JSON value of a server setting from its command-line text."""
    kind = config_file_kind(CONFIG_FILE_FIELDS[SERVER_CONFIG_KEYS[key]])
    word = text.strip()
    value: Any = word
    if kind is bool and word.lower() in TRUE_WORDS + FALSE_WORDS:
        value = word.lower() in TRUE_WORDS
    elif kind is int and word.isdigit():
        value = int(word)
    if not config_file_value_fits(value, kind):
        wanted = {bool: "true or false", int: "a positive whole number"}.get(kind, "a value")
        raise client.CliError(f"{key} takes {wanted}, not {text!r}", client.EXIT_USAGE, "USAGE")
    return value


def _nested_set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set `value` at the dotted path (None removes it), keeping every other key of the file."""
    *parents, last = path
    for part in parents:
        child = data.get(part)
        if not isinstance(child, dict):
            if value is None:
                return
            child = data[part] = {}
        data = child
    if value is None:
        data.pop(last, None)
    else:
        data[last] = value


@app.command(
    "config",
    epilog="Example: ima2 config set server http://192.168.1.5:3333 (or: ima2 config set features.cardNews true)",
    context_settings=CONTEXT,
)
def config(
    action: Annotated[ConfigAction, typer.Argument(help="get, set, unset or path")],
    key: Annotated[
        str,
        typer.Argument(
            help="server or accessToken (the CLI's cli.json); features.cardNews, server.port and the other "
            "server settings (the server's config.json, read when it starts; a wrong key lists them)"
        ),
    ] = "",
    value: Annotated[
        str | None, typer.Argument(help="The value; '-' or nothing reads a line from stdin")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Settings: the CLI's own (server, accessToken) in IMA2_HOME/cli.json, and the server's
    (features.cardNews, server.port, ...) in IMA2_HOME/config.json; both files are kept at mode 0600."""
    rt = runtime_for(None, as_json, False, None)

    def body() -> int:
        settings = Settings()
        server_key = SERVER_CONFIG_KEYS.get(key)
        path = settings.config_file if server_key else settings.cli_config_file
        if action is ConfigAction.path:
            rt.out.emit({"ok": True, "path": str(path)}, lambda: print(path))
            return client.EXIT_OK
        if key not in client.CONFIG_KEYS and server_key is None:
            known = ", ".join((*client.CONFIG_KEYS, *SERVER_CONFIG_KEYS))
            raise client.CliError(f"unknown key {key!r}; known: {known}", client.EXIT_USAGE, "USAGE")
        saved = client.load_config(path)
        if action is ConfigAction.get:
            found = config_file_value(saved, server_key) if server_key else saved.get(key)
            if found is None:
                raise client.CliError(f"{key} is not set", client.EXIT_ERROR, "NOT_SET")
            shown = client.mask(found) if key in client.SECRET_CONFIG_KEYS else found
            rt.out.emit(
                {"ok": True, "key": key, "value": shown},
                lambda: print(json.dumps(shown) if isinstance(shown, bool) else shown),
            )
            return client.EXIT_OK
        given: Any = None
        if action is ConfigAction.set:
            given = sys.stdin.readline().strip() if value in (None, "-") else value
            if not given:
                raise client.CliError("no value given", client.EXIT_USAGE, "USAGE")
            if key == "server":
                given = client.check_url(given, "server")
            elif server_key:
                given = _server_value(key, given)
        if server_key:
            _nested_set(saved, server_key, given)
        elif given is None:
            saved.pop(key, None)
        else:
            saved[key] = given
        client.save_config(path, saved)
        rt.out.emit({"ok": True, "key": key, "set": action is ConfigAction.set}, lambda: None)
        return client.EXIT_OK

    raise typer.Exit(run(rt, body))


# --- completion -----------------------------------------------------------------------------------


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command(
    "completion",
    epilog="Example: ima2 completion bash >> ~/.bashrc",
    context_settings=CONTEXT,
)
def completion(shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish")]) -> None:
    """Print the shell completion script for bash, zsh or fish."""
    script = _completion_shared.get_completion_script(
        prog_name="ima2", complete_var="_IMA2_COMPLETE", shell=shell.value
    )
    print(script)


for module in (
    system,
    generate,
    video,
    library,
    sessions,
    prompts,
    prompt_build,
    prompt_import,
    inflight,
    comfy,
    cardnews,
):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run `ima2`; a usage error is also one JSON document on stdout when --json was asked for."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = app(args=args, prog_name="ima2", standalone_mode=False)
    except UsageError as err:
        if "--json" in args:
            body = {"ok": False, "error": err.format_message(), "code": "USAGE", "status": None}
            print(json.dumps(body), flush=True)
        err.show()
        sys.exit(client.EXIT_USAGE)
    except typer.Abort:
        print("ima2: interrupted", file=sys.stderr)
        sys.exit(client.EXIT_INTERRUPTED)
    sys.exit(result if isinstance(result, int) else client.EXIT_OK)


if __name__ == "__main__":
    main()
