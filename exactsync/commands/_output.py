"""Rendering shared by the commands: data to stdout (rich tables or JSON), chatter to stderr.

Everything printed for people goes through here (`echo`, `table`, `print_key_values`), and has its
control characters made visible (exactsync.text.visible): a name from Exact holding ESC [2J must
not clear the reader's screen. JSON keeps every value, with its control characters escaped.
rich is imported where it renders: `--json` and the commands that print no table do without it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import click

from exactsync import i18n
from exactsync.i18n import _
from exactsync.text import visible
from exactsync.timeutil import for_people, office_zone, parse

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

KIND_STYLES = {"info": "blue", "warning": "yellow", "error": "bold red"}
# JSON escapes C0 controls itself; DEL and the C1 controls (0x9b starts an escape sequence too) are
# escaped here, so that no JSON output acts on a terminal either.
_JSON_UNESCAPED_CONTROL = re.compile("[\x7f-\x9f]")
# The console drawing live progress lines, while one does: a line echoed then is printed above them,
# where their redraws cannot erase it.
_live: Console | None = None


@contextlib.contextmanager
def printing_above(progress: Progress) -> Iterator[None]:
    """While `progress` draws its live lines, `echo` prints above them."""
    global _live
    _live = progress.console
    try:
        yield
    finally:
        _live = None


def echo(text: object, *, err: bool = False) -> None:
    """A line for people, its control characters made visible."""
    if _live is not None:
        _live.print(visible(str(text)), markup=False, highlight=False, soft_wrap=True)
        return
    click.echo(visible(str(text)), err=err)


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def stdout() -> Console:
    from rich.console import Console

    # Piped into a file or a mail from cron, a table folded at 80 columns is hard to read.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _json(value, indent: int | None = None) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNESCAPED_CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def print_json(value) -> None:
    click.echo(_json(value, indent=2))


def print_json_text(text: str) -> None:
    """JSON already written (a schema shipped in the package), as it is."""
    click.echo(text, nl=False)


def print_json_lines(values: Iterable[dict]) -> None:
    for value in values:
        click.echo(_json(value))


def local_time(iso_utc: str | None) -> str:
    """A stored UTC timestamp in the office's time zone ([interface] timezone), for people: to the second in
    English (2026-12-07 23:07:13), to the minute as the werkbon writes it in Dutch (07-12-2026 23:07)."""
    if not iso_utc:
        return _("never")
    if i18n.language() == "en":
        return for_people(iso_utc)
    return i18n.moment(parse(iso_utc).astimezone(office_zone()))


def table(columns: list[str], rows: Iterable[list[str]], *, title: str | None = None,
          row_styles: Iterable[str] | None = None, caption: str | None = None) -> Table:
    from rich.table import Table
    from rich.text import Text

    # Text, not markup (as for the headers and cells): a path or message is printed as written, and rich
    # need not load its emoji table.
    result = Table(title=title and Text(visible(title), style="table.title"),
                   caption=caption and Text(visible(caption), style="table.caption"), caption_justify="left",
                   show_header=any(columns))
    for column in columns:
        result.add_column(Text(column), overflow="fold")
    styles = list(row_styles) if row_styles is not None else None
    for i, row in enumerate(rows):
        # Text, not markup: "[settings] journal" in a message must print as written.
        result.add_row(*(Text(visible(cell)) for cell in row), style=styles[i] if styles else None)
    return result


def print_key_values(title: str, rows: list[list[str]]) -> None:
    """A title and one line per label and value, the labels padded to one width. Plain text, not a
    rich table: importing rich alone would cost `status` a quarter of its start-up."""
    width = max(len(label) for label, _value in rows)
    echo(title)
    for label, value in rows:
        echo(f"  {label.ljust(width)}  {value}")


def is_terminal() -> bool:
    return sys.stderr.isatty()


_read_by_a_person = False


@contextlib.contextmanager
def read_by_a_person() -> Iterator[None]:
    """Runs inside print what they print on a terminal, piped or not: the demo is always read by a person."""
    global _read_by_a_person
    before, _read_by_a_person = _read_by_a_person, True
    try:
        yield
    finally:
        _read_by_a_person = before


def watched() -> bool:
    """Whether a person may be reading: stdout or stderr is a terminal (under cron or systemd neither is)."""
    return _read_by_a_person or sys.stdout.isatty() or sys.stderr.isatty()
