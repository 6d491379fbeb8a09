"""Without a terminal (cron, systemd) a run prints only what needs a person, so cron's MAILTO mails
exactly then; on a terminal it prints what it always did."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from exactsync import config as config_mod
from exactsync.store import run_lock, set_state
from tests.helpers.push import archived, connected_store, customer_codes

pytestmark = pytest.mark.sandbox(seed=5, customers=5, items=5, minutely_limit=10_000)


@pytest.fixture
def cron(monkeypatch):
    """As cron runs exactsync: neither stdout nor stderr is a terminal."""
    monkeypatch.setattr("exactsync.commands._output.watched", lambda: False)


NEVER = "pull skipped: the integration is not active yet: no invoices go to Exact; exactsync connect starts it\n"


def test_the_first_skipped_run_of_the_day_says_why(run, cron):
    first, second = run("pull"), run("pull")
    assert (first.exit_code, first.output) == (0, NEVER)
    assert (second.exit_code, second.output) == (0, "")


def test_a_refused_run_says_why_every_time(run, db, cron):
    set_state(db, active=1)  # settings never checked
    for _ in range(2):
        result = run("push")
        assert result.exit_code == 1
        # Once: the error row says the same as the error, and its action is already in its message.
        assert result.output == "Error: settings were never checked: run exactsync check-settings\n"


def test_a_run_that_finds_another_busy_says_nothing(run, config_path, db, cron):
    with run_lock(config_mod.load(config_path).store_path, 0):
        result = run("pull", env={"EXACTSYNC_LOCK_WAIT": "0"})
    assert (result.exit_code, result.output) == (0, "")


def test_good_runs_are_silent_and_a_refused_work_order_is_told_once(run, sandbox, config_path, cron):
    _, db = connected_store(sandbox, config_path)
    for command in ("pull", "push", "cleanup"):
        result = run(command)
        assert (result.exit_code, result.output) == (0, ""), command

    number = archived(db, customer_codes(db)[0], work=None, travel=None, form=False)
    told = run("push")
    assert told.exit_code == 0
    summary, error = told.output.splitlines()
    assert summary.startswith("0 sent, 1 refused")
    assert error.startswith(f"work order {number} ") and "; what to do: " in error
    assert run("push").output == ""  # the refusal was said; the log and status --check keep it


def test_a_spent_daily_limit_needs_nobody(run, sandbox, config_path, cron):
    connected_store(sandbox, config_path)
    sandbox.exhaust_daily_limit()
    result = run("pull")
    assert (result.exit_code, result.output) == (0, "")


def test_on_a_terminal_a_good_run_still_says_what_it_did(run, sandbox, config_path):
    connected_store(sandbox, config_path)
    assert run("pull").output.startswith("pulled in ")
    assert run("push").output.startswith("0 sent, 0 refused")


def exactsync(config_path, *args: str, terminal: bool) -> str:
    """The real program in a child process, its output on a pseudo-terminal or on a pipe."""
    command = [sys.executable, "-m", "exactsync.cli", "--config", str(config_path), *args]
    if not terminal:
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout
    leader, follower = pty.openpty()
    try:
        subprocess.run(command, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, check=True)
        os.close(follower)
        follower = -1
        said = b""
        while chunk := _read(leader):
            said += chunk
        return said.decode().replace("\r\n", "\n")
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end is closed: all was read
        return b""


@pytest.mark.parametrize("terminal, second_run_says", [(True, NEVER), (False, "")], ids=["terminal", "cron"])
def test_the_program_itself_tells_a_terminal_from_cron(config_path, terminal, second_run_says):
    exactsync(config_path, "pull", terminal=terminal)
    assert exactsync(config_path, "pull", terminal=terminal) == second_run_says
