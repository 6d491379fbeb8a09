"""The first pull on a terminal: one progress line per entity, drawn once, then its summary line."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from tests.helpers.login import connect

pytestmark = pytest.mark.sandbox(seed=3, customers=40, items=10)

CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n")


def on_a_terminal(args: list[str]) -> str:
    """Run exactsync with stdout and stderr on a pseudo-terminal; return all it drew."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "exactsync", *args], stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env=env)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, drawn
    return drawn.decode()


def screen(drawn: str) -> list[str]:
    """The lines a terminal shows after `drawn`: text, line feeds, carriage returns, cursor up and erase
    line as a terminal does them; colours and the cursor's visibility change nothing."""
    rows, row, column = [""], 0, 0
    for text, control in zip(CONTROL.split(drawn)[::3], [*CONTROL.finditer(drawn), None], strict=True):
        rows[row] = rows[row][:column].ljust(column) + text + rows[row][column + len(text):]
        column += len(text)
        code = control and control.group()
        if code == "\n":
            row, column = row + 1, 0
            rows += [""] * (row + 1 - len(rows))
        elif code == "\r":
            column = 0
        elif code and control.group(2) == "A":
            row = max(row - int(control.group(1) or 1), 0)
        elif code and control.group(2) == "K":
            rows[row] = ""
    return [line.rstrip() for line in rows if line.strip()]


def test_the_first_pull_on_a_terminal_draws_each_line_once_and_ends_with_its_summary(sandbox, config_path):
    connect(sandbox, config_path)
    drawn = on_a_terminal(["--config", str(config_path), "pull"])
    shown = [re.sub(r"^\W+|\s+\d+:\d\d:\d\d$", "", line) for line in screen(drawn)]
    assert shown == ["reading accounts 40 rows", "reading addresses 51 rows", "reading items 10 rows",
                     "reading deleted 0 rows", shown[-1]], drawn
    assert shown[-1].startswith("pulled in 6 calls: 37 new customers, 0 changed"), drawn


def test_a_line_echoed_while_progress_lines_are_live_is_printed_above_them_and_kept(monkeypatch):
    import io

    from rich.console import Console

    from exactsync.commands import _output, _progress

    drawn = io.StringIO()
    monkeypatch.setattr(_output, "is_terminal", lambda: True)
    monkeypatch.setattr(_output, "stderr", lambda: Console(file=drawn, force_terminal=True, width=80))
    with _progress.row_counter(lambda entity, rows: f"reading {entity} {rows} rows") as update:
        update("accounts", 5)
        _output.echo("a warning \x1b[2J in between", err=True)
        update("items", 7)
    shown = [re.sub(r"^\W+|\s+\d+:\d\d:\d\d$", "", line) for line in screen(drawn.getvalue())]
    assert shown == ["a warning \\x1b[2J in between", "reading accounts 5 rows", "reading items 7 rows"]
