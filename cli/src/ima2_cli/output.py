"""What the CLI prints: one JSON document with --json, rich tables and messages otherwise.

Colour only when the stream is a terminal and NO_COLOR is unset (rich checks both); --quiet
keeps stdout to the essentials (paths, ids) and drops notes and progress.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ima2_cli.client import CliError

PIPE_WIDTH = 200  # tables written to a pipe or file are not folded at 80 columns


def _console(stderr: bool, color: bool) -> Console:
    no_color = not color or bool(os.environ.get("NO_COLOR"))
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True, width=width)


class Output:
    def __init__(self, as_json: bool = False, quiet: bool = False, color: bool = True) -> None:
        self.json = as_json
        self.quiet = quiet
        self.out = _console(False, color)
        self.err = _console(True, color)

    @property
    def interactive(self) -> bool:
        """Live progress: stderr is a terminal and nothing asked for quiet or JSON output."""
        return self.err.is_terminal and not self.quiet and not self.json

    def emit(self, data: Any, human: Callable[[], None] | None = None) -> None:
        """The command's result: JSON with --json, else `human()` (or the JSON, indented)."""
        if self.json:
            print(json.dumps(data, ensure_ascii=False, default=str), flush=True)
        elif human is not None:
            human()
        else:
            print(json.dumps(data, indent=2, ensure_ascii=False, default=str), flush=True)

    def line(self, text: str, *, style: str | None = None) -> None:
        """A result line on stdout (kept with --quiet, dropped with --json)."""
        if not self.json:
            self.out.print(text, style=style, markup=False, highlight=False)

    def note(self, text: str, *, style: str = "dim") -> None:
        """A side remark on stderr, dropped with --quiet or --json."""
        if not self.quiet and not self.json:
            self.err.print(text, style=style, markup=False, highlight=False)

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
        table = Table(title=title, show_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.out.print(table)

    def fail(self, err: CliError) -> None:
        if self.json:
            print(json.dumps(err.to_json(), ensure_ascii=False), flush=True)
        label = f"{err.code}: {err.message}" if err.code else err.message
        self.err.print(f"ima2: {label}", style="bold red", markup=False, highlight=False)
        if err.guidance:
            self.err.print(f"hint: {err.guidance}", style="yellow", markup=False, highlight=False)
