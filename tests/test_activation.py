import json
import os
import pty
import select
import subprocess
import sys
from datetime import date, timedelta

import click
import pytest

from exactsync import activation
from exactsync.app import App
from exactsync.commands._run import cron_run
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, ReconnectNeeded
from exactsync.settings_check import record_verified
from exactsync.store import get_state, set_state, transaction
from exactsync.timeutil import amsterdam_today
from tests.helpers.language import english_in


def log_rows(db):
    return [(r["kind"], r["message"]) for r in db["log"].rows]


def test_activate_refuses_when_never_connected(run, db):
    result = run("activate")
    assert result.exit_code == 1
    assert result.output == ("Error: exactsync has never been connected to Exact (no login stored): "
                             "run `exactsync connect`, which also activates the integration\n")
    assert get_state(db, "active") is None


def test_deactivate_then_activate(run, db, tmp_path):
    (tmp_path / "exactsync.db.tokens.json").write_text("{}")
    set_state(db, active=1)
    result = run("deactivate", "--yes")
    assert result.exit_code == 0 and "integration deactivated" in result.output
    assert get_state(db, "active") == "0"
    assert run("deactivate").output == "integration was already not active\n"
    assert run("activate").exit_code == 0
    assert get_state(db, "active") == "1"
    assert log_rows(db) == [
        ("info", "integration deactivated: nothing is pulled from or pushed to Exact"),
        ("info", "integration activated: pull and push resume from where they stopped"),
    ]


def test_deactivate_without_a_terminal_needs_yes_and_changes_nothing(run, db):
    set_state(db, active=1)
    result = run("deactivate")
    assert result.exit_code == 2
    assert result.output.endswith("Error: deactivate asks for confirmation, and there is no terminal to ask on: "
                                  "pass --yes to deactivate without asking\n")
    assert get_state(db, "active") == "1" and get_state(db, "deactivated_at") is None
    assert log_rows(db) == []


def deactivate_on_a_terminal(config_path, answer: str, choices: bytes = b"[y/N]: ") -> tuple[int, str]:
    """`exactsync deactivate` as a separate process on a pseudo-terminal, answering its question."""
    main, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(config_path), "deactivate"],
                               stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    shown = _read_until(main, choices)
    os.write(main, answer.encode() + b"\n")
    shown += _read_until(main, None)
    os.close(main)
    return process.wait(timeout=60), shown.decode()


def _read_until(fd: int, end: bytes | None) -> bytes:
    """What the process writes, up to `end` (None: until it closes the terminal)."""
    seen = b""
    while end is None or end not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no output from the process; so far: {seen!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # Linux: EIO once the process has closed its side
            chunk = b""
        if not chunk:
            assert end is None, f"the process ended before asking; it wrote: {seen!r}"
            return seen
        seen += chunk
    return seen


@pytest.mark.slow
def test_deactivate_asks_first_on_a_terminal(config_path, db):
    set_state(db, active=1)
    code, shown = deactivate_on_a_terminal(config_path, "n")
    assert "Deactivate the integration? From now on no invoices go to Exact" in shown and "Aborted" in shown
    assert code == 1 and get_state(db, "active") == "1" and log_rows(db) == []
    code, shown = deactivate_on_a_terminal(config_path, "y")
    assert code == 0 and "integration deactivated" in shown
    assert get_state(db, "active") == "0"


def test_deactivate_and_activate_in_dutch(run, db, tmp_path):
    set_state(db, active=1)
    refused = run("--lang", "nl", "deactivate")
    assert (refused.exit_code, refused.output) == (2, "Fout: deactivate vraagt om bevestiging, en er is geen "
                                                      "terminal om dat te vragen: geef --yes mee om zonder vragen te "
                                                      "deactiveren\n")
    assert get_state(db, "active") == "1"
    assert run("--lang", "nl", "deactivate", "--yes").output == "koppeling gedeactiveerd\n"
    assert run("--lang", "nl", "deactivate").output == "koppeling was al niet actief\n"
    never = run("--lang", "nl", "activate")
    assert (never.exit_code, never.output) == (1, "Fout: exactsync is nog nooit bij Exact aangemeld (geen "
                                                  "aanmelding opgeslagen): voer `exactsync connect` uit, dat ook de "
                                                  "koppeling activeert\n")
    (tmp_path / "exactsync.db.tokens.json").write_text("{}")
    assert run("--lang", "nl", "activate").output == "koppeling geactiveerd\n"
    assert run("--lang", "nl", "activate").output == "koppeling was al actief\n"
    rows = [json.loads(line) for line in run("--lang", "nl", "log", "--json").output.splitlines()]
    assert [(r["message"], r["action"]) for r in rows] == [
        ("koppeling geactiveerd: pull en push gaan verder waar ze gebleven waren", "geen"),
        ("koppeling gedeactiveerd: er wordt niets uit Exact opgehaald of naar Exact verstuurd",
         "voer `exactsync activate` uit om verder te gaan")]
    assert english_in(run("--lang", "nl", "log").output) == set()
    assert run("--lang", "en", "deactivate", "--yes").output == "integration deactivated\n"


@pytest.mark.slow
def test_deactivate_asks_in_dutch_on_a_terminal(config_path, db, monkeypatch):
    monkeypatch.setenv("EXACTSYNC_LANG", "nl")
    set_state(db, active=1)
    code, shown = deactivate_on_a_terminal(config_path, "nee", b"[j/N]: ")
    assert "De koppeling deactiveren? Vanaf nu gaan er geen facturen naar Exact" in shown
    assert code == 1 and shown.rstrip().endswith("Afgebroken.") and get_state(db, "active") == "1"
    assert english_in(shown) == set()
    assert deactivate_on_a_terminal(config_path, "j", b"[j/N]: ")[0] == 0 and get_state(db, "active") == "0"


SINCE = "the integration is deactivated since {}: no invoices go to Exact; exactsync activate resumes"


def warnings(run) -> list[dict]:
    return [json.loads(line) for line in run("log", "--warnings", "--json").stdout.splitlines()]


def status_row(run, name: str) -> str:
    """The value status shows for `name`."""
    line = next(line for line in run("status").stdout.splitlines() if line.startswith(f"  {name} "))
    return line.removeprefix(f"  {name} ").strip()


def test_while_deactivated_cron_runs_exit_0_and_warn_once_a_day(run, db, tmp_path):
    (tmp_path / "exactsync.db.tokens.json").write_text("{}")
    set_state(db, active=1)
    assert run("deactivate", "--yes").exit_code == 0
    since = SINCE.format(amsterdam_today().isoformat())
    for name in ("pull", "push", "cleanup", "pull"):
        result = run(name)
        assert (result.exit_code, result.output) == (0, f"{name} skipped: {since}\n")
    assert [(w["kind"], w["table"], w["message"], w["action"]) for w in warnings(run)] == [
        ("warning", "connection", since, "run `exactsync activate` to resume")]
    assert since in status_row(run, "integration")
    assert json.loads(run("status", "--json").stdout)["inactive_reason"] == since

    # The next day's first run warns again; a day is the office's day, in Amsterdam.
    yesterday = (amsterdam_today() - timedelta(days=1)).isoformat()
    set_state(db, inactive_warned_on=yesterday)
    assert run("push").exit_code == 0 and run("pull").exit_code == 0
    assert [w["message"] for w in warnings(run)] == [since, since]

    assert run("activate").exit_code == 0
    assert json.loads(run("status", "--json").stdout)["inactive_reason"] is None
    assert status_row(run, "integration") == "active"


def test_a_deactivation_later_the_same_day_warns_again(run, db, tmp_path):
    (tmp_path / "exactsync.db.tokens.json").write_text("{}")
    set_state(db, active=1)
    for _ in range(2):
        assert run("deactivate", "--yes").exit_code == 0
        assert run("pull").exit_code == 0 and run("pull").exit_code == 0
        assert run("activate").exit_code == 0
    assert len(warnings(run)) == 2


def test_the_warning_is_written_once_per_day_of_the_clock(db):
    set_state(db, active=0, deactivated_at="2026-11-30T23:30:00Z")  # 1 December in Amsterdam
    reason = activation.why_inactive(db)
    assert str(reason) == SINCE.format("2026-12-01")
    assert [activation.warn_once_a_day(db, reason, today) for today in
            (date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 2))] == [True, False, True, False]


def test_never_connected_runs_say_so(run, db):
    result = run("pull")
    assert result.exit_code == 0
    never = "the integration is not active yet: no invoices go to Exact; exactsync connect starts it"
    assert result.output == f"pull skipped: {never}\n"
    assert [(w["message"], w["action"]) for w in warnings(run)] == [(never, "run `exactsync connect`")]


@pytest.fixture
def app(config_path):
    app = App(config_path)
    record_verified(app.db, app.config.settings)
    return app


def test_a_sync_run_that_runs_out_of_daily_calls_keeps_whole_pages_only(app):
    set_state(app.db, active=1)

    pages = [[{"exact_id": "a", "code": "1"}, {"exact_id": "b", "code": "2"}],
             [{"exact_id": "c", "code": "3"}],
             [{"exact_id": "d", "code": "4"}, "the call for the rest of this page finds the day's calls spent"]]

    with pytest.raises(click.exceptions.Exit) as stopped, cron_run(app, "pull") as run:
        db = run.db
        for page in pages:
            with transaction(db):
                for row in page:
                    if isinstance(row, str):
                        raise DailyLimitReached(None)
                    db["customers"].insert({**row, "updated_at": "now"})
                db["sync_checkpoints"].upsert({"entity": "accounts", "timestamp": len(page), "updated_at": "now"},
                                               pk="entity")
    assert stopped.value.exit_code == 0
    assert [r["code"] for r in app.db["customers"].rows] == ["1", "2", "3"]
    assert app.db["sync_checkpoints"].get("accounts")["timestamp"] == 1
    assert log_rows(app.db) == [("warning", "pull stopped: Exact's daily call limit is reached; pull resumes after "
                                            "the reset tomorrow")]
    assert get_state(app.db, "last_pull_outcome") == "stopped: Exact's daily call limit is spent"


def test_a_sync_run_without_login_logs_an_error(app):
    set_state(app.db, active=1)
    with pytest.raises(ReconnectNeeded):
        with cron_run(app, "push"):
            raise ReconnectNeeded("exactsync is not logged in to Exact")
    assert log_rows(app.db) == [("error", "push failed: exactsync is not logged in to Exact: "
                                          "run `exactsync connect` to log in to Exact again")]
    assert [r["action"] for r in app.db["log"].rows] == ["run exactsync connect to log in to Exact again"]
    assert get_state(app.db, "last_push_outcome") == "failed: the Exact login must be renewed"


def test_a_sync_run_with_unchecked_settings_is_refused_with_an_error_row(config_path):
    app = App(config_path)
    set_state(app.db, active=1)
    with pytest.raises(ExactsyncError, match="settings were never checked"):
        with cron_run(app, "push"):
            pass
    assert log_rows(app.db) == [("error", "settings were never checked: run exactsync check-settings")]
