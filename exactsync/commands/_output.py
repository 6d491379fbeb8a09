"""Rendering shared by the commands: data to stdout (rich tables or JSON), chatter to stderr.

rich is imported where it renders: `--json` and the commands that print no table do without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from exactsync.i18n import _
from exactsync.timeutil import for_people

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

KIND_STYLES = {"info": "blue", "warning": "yellow", "error": "bold red"}


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def stdout() -> Console:
    from rich.console import Console

    # Piped into a file or a mail from cron, a table folded at 80 columns is hard to read.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def print_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def print_json_lines(values: Iterable[dict]) -> None:
    for value in values:
        click.echo(json.dumps(value, ensure_ascii=False))


def local_time(iso_utc: str | None) -> str:
    """A stored UTC timestamp in the office's time zone ([interface] timezone), for people."""
    if not iso_utc:
        return _("never")
    return for_people(iso_utc)


def table(columns: list[str], rows: Iterable[list[str]], *, title: str | None = None,
          row_styles: Iterable[str] | None = None, caption: str | None = None) -> Table:
    from rich.table import Table
    from rich.text import Text

    # Text, not markup (as for the headers and cells): a path or message is printed as written, and rich
    # need not load its emoji table.
    result = Table(title=title and Text(title, style="table.title"),
                   caption=caption and Text(caption, style="table.caption"), caption_justify="left",
                   show_header=any(columns))
    for column in columns:
        result.add_column(Text(column), overflow="fold")
    styles = list(row_styles) if row_styles is not None else None
    for i, row in enumerate(rows):
        # Text, not markup: "[settings] journal" in a message must print as written.
        result.add_row(*(Text(cell) for cell in row), style=styles[i] if styles else None)
    return result


def print_key_values(title: str, rows: list[list[str]]) -> None:
    """A title and one line per label and value, the labels padded to one width. Plain text, not a
    rich table: importing rich alone would cost `status` a quarter of its start-up."""
    width = max(len(label) for label, _value in rows)
    click.echo(title)
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {value}")


def is_terminal() -> bool:
    return sys.stderr.isatty()


def watched() -> bool:
    """Whether a person may be reading: stdout or stderr is a terminal (under cron or systemd neither is)."""
    return sys.stdout.isatty() or sys.stderr.isatty()
