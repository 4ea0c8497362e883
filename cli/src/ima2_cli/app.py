"""The Typer application, the options every command shares and the runtime handed to commands.

`--server`, `--json`, `--quiet` and `--timeout` work before the subcommand (`ima2 --json ls`) and
after it (`ima2 ls --json`); the later one wins. Every command is declared with `command()`,
which adds those options, prints an example under its help, and turns a `CliError` into its
message on stderr (plus one JSON document on stdout with --json) and its exit code.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.client import ApiClient, CliError
from ima2_cli.output import Output
from ima2_common.settings import Settings

CONTEXT = {"help_option_names": ["-h", "--help"]}


def new_app(help_text: str, example: str) -> typer.Typer:
    """A command group; `example` is shown under its help like every command's."""
    return typer.Typer(
        help=help_text,
        epilog=f"Example: {example}",
        no_args_is_help=True,
        context_settings=CONTEXT,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
    )


@dataclass
class Globals:
    server: str | None = None
    json: bool = False
    quiet: bool = False
    timeout: float | None = None


GLOBALS = Globals()


@dataclass
class Runtime:
    server_flag: str | None
    out: Output
    timeout: float | None
    settings: Settings = field(default_factory=Settings)
    _api: ApiClient | None = None
    _config: dict[str, Any] | None = None

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            self._config = client.load_config(self.settings.cli_config_file)
        return self._config

    def api(self, timeout: float | None = None) -> ApiClient:
        """The gateway, discovered (and probed) on first use."""
        if self._api is None:
            token = client.access_token(self.settings, self.config)
            api = ApiClient("", token, timeout or self.timeout or client.DEFAULT_TIMEOUT)
            api.browser = client.browser_id(self.settings)
            api.server = self._discover(api)
            self._api = api
        return self._api

    def _discover(self, api: ApiClient) -> str:
        found = client.candidates(self.server_flag, self.settings, self.config)
        if len(found) == 1 and found[0].explicit:
            state = client.probe(found[0].url, api.headers())
            if state == "redirect":
                raise CliError(
                    f"{found[0].url} ({found[0].source}) answered with a redirect; redirects are not followed",
                    client.EXIT_UNREACHABLE,
                    "REDIRECT_REFUSED",
                )
            if state == "unreachable":
                raise CliError(
                    f"cannot reach {found[0].url} ({found[0].source})",
                    client.EXIT_UNREACHABLE,
                    "SERVER_UNREACHABLE",
                )
            return found[0].url
        tried = []
        for candidate in found:
            state = client.probe(candidate.url, api.headers())
            if state == "ok":
                return candidate.url
            tried.append(f"{candidate.url} ({candidate.source}: {state})")
        raise CliError(
            "no ima2 server answered; tried " + ", ".join(tried),
            client.EXIT_UNREACHABLE,
            "SERVER_UNREACHABLE",
        )


ServerOpt = Annotated[
    str | None,
    typer.Option("--server", help="Server URL (default: IMA2_SERVER, cli.json, server.json, localhost:3333)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document (errors too)")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="Print only the essentials; no progress")]
TimeoutOpt = Annotated[float | None, typer.Option("--timeout", help="Seconds to wait for the server")]

_SHARED = {"server_": ServerOpt, "json_": JsonOpt, "quiet_": QuietOpt, "timeout_": TimeoutOpt}
_DEFAULTS = {"server_": None, "json_": False, "quiet_": False, "timeout_": None}


def runtime_for(server: str | None, as_json: bool, quiet: bool, timeout: float | None) -> Runtime:
    out = Output(as_json or GLOBALS.json, quiet or GLOBALS.quiet)
    return Runtime(server or GLOBALS.server, out, timeout or GLOBALS.timeout)


def command(
    group: typer.Typer,
    name: str,
    example: str,
    *,
    aliases: tuple[str, ...] = (),
    shared: bool = True,
) -> Callable[[Callable[..., int | None]], Callable[..., int | None]]:
    """Declare `fn(rt, ...)` as a command of `group`; its docstring is the help text."""

    def decorate(fn: Callable[..., int | None]) -> Callable[..., int | None]:
        hints = typing.get_type_hints(fn, include_extras=True)
        sig = inspect.signature(fn)
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in sig.parameters.values()
            if p.name != "rt"
        ]
        if shared:
            params += [
                inspect.Parameter(
                    key, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS[key], annotation=kind
                )
                for key, kind in _SHARED.items()
            ]

        @functools.wraps(fn)
        def wrapper(**kwargs: Any) -> None:
            options = [kwargs.pop(key, _DEFAULTS[key]) for key in _SHARED]
            rt = runtime_for(*options)
            code = run(rt, lambda: fn(rt, **kwargs))
            raise typer.Exit(code)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        help_text = inspect.cleandoc(fn.__doc__ or "")
        epilog = f"Example: {example}"
        for index, label in enumerate((name, *aliases)):
            group.command(
                label,
                help=help_text if index == 0 else f"Alias of `{name}`. {help_text}",
                epilog=epilog,
                context_settings=CONTEXT,
            )(wrapper)
        return fn

    return decorate


def run(rt: Runtime, body: Callable[[], int | None]) -> int:
    try:
        return body() or client.EXIT_OK
    except CliError as err:
        rt.out.fail(err)
        return err.exit_code
    except KeyboardInterrupt:
        rt.out.fail(CliError("interrupted", client.EXIT_INTERRUPTED, "INTERRUPTED"))
        return client.EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`ima2 ls | head -1`): stop quietly, as other Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return client.EXIT_OK
    except OSError as exc:
        rt.out.fail(
            CliError(
                f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "), client.EXIT_ERROR, "IO_ERROR"
            )
        )
        return client.EXIT_ERROR


def usage(message: str) -> CliError:
    return CliError(message, client.EXIT_USAGE, "USAGE")
