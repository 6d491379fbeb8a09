import click
import pytest

from exactsync.app import App
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import DailyLimitReached, ReconnectNeeded
from exactsync.settings_check import record_verified
from exactsync.store import get_state, set_state, transaction


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
    result = run("deactivate")
    assert result.exit_code == 0 and "integration deactivated" in result.output
    assert get_state(db, "active") == "0"
    assert run("deactivate").output == "integration was already not active\n"
    assert run("activate").exit_code == 0
    assert get_state(db, "active") == "1"
    assert log_rows(db) == [
        ("info", "integration deactivated: nothing is pulled from or pushed to Exact"),
        ("info", "integration activated: pull and push resume from where they stopped"),
    ]


@pytest.fixture
def app(config_path):
    app = App(config_path)
    record_verified(app.db, app.config.settings)
    return app


def test_a_sync_run_while_inactive_writes_one_info_row_and_exits_0(app):
    ran = []
    with pytest.raises(click.exceptions.Exit) as caught:
        with app.sync_run("pull"):
            ran.append(True)
    assert caught.value.exit_code == 0 and ran == []
    assert log_rows(app.db) == [("info", "pull skipped: the integration is not active")]


def test_a_sync_run_that_runs_out_of_daily_calls_keeps_whole_pages_only(app):
    set_state(app.db, active=1)

    pages = [[{"exact_id": "a", "code": "1"}, {"exact_id": "b", "code": "2"}],
             [{"exact_id": "c", "code": "3"}],
             [{"exact_id": "d", "code": "4"}, "the call for the rest of this page finds the day's calls spent"]]

    with pytest.raises(DailyLimitReached), app.sync_run("pull") as db:
        for page in pages:
            with transaction(db):
                for row in page:
                    if isinstance(row, str):
                        raise DailyLimitReached(None)
                    db["customers"].insert({**row, "updated_at": "now"})
                db["sync_checkpoints"].upsert({"entity": "accounts", "timestamp": len(page), "updated_at": "now"},
                                               pk="entity")
    assert [r["code"] for r in app.db["customers"].rows] == ["1", "2", "3"]
    assert app.db["sync_checkpoints"].get("accounts")["timestamp"] == 1
    assert log_rows(app.db) == [("warning", "pull stopped: Exact's daily call limit is reached; pull resumes after "
                                            "the reset tomorrow")]
    assert get_state(app.db, "last_pull_outcome") == "stopped: Exact's daily call limit is spent"


def test_a_sync_run_without_login_logs_an_error(app):
    set_state(app.db, active=1)
    with pytest.raises(ReconnectNeeded):
        with app.sync_run("push"):
            raise ReconnectNeeded("exactsync is not logged in to Exact")
    assert log_rows(app.db) == [("error", "push failed: exactsync is not logged in to Exact: "
                                          "run `exactsync connect` to log in to Exact again")]
    assert [r["action"] for r in app.db["log"].rows] == ["run exactsync connect to log in to Exact again"]
    assert get_state(app.db, "last_push_outcome") == "failed: the Exact login must be renewed"


def test_a_sync_run_with_unchecked_settings_is_refused_with_an_error_row(config_path):
    app = App(config_path)
    set_state(app.db, active=1)
    with pytest.raises(ExactsyncError, match="settings were never checked"):
        with app.sync_run("push"):
            pass
    assert log_rows(app.db) == [("error", "settings were never checked: run exactsync check-settings")]
