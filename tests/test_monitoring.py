"""`exactsync status --check` as a monitor runs it: the store put in each state, the exit code
(0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and the summary line asserted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from exactsync import config as config_mod
from exactsync import log
from exactsync.exact.tokens import Tokens, TokenStore
from exactsync.settings_check import record_verified
from exactsync.store import set_state
from exactsync.sync import runs
from exactsync.timeutil import for_people, iso
from tests.helpers.factories import add_customer
from tests.helpers.push import archived


def ago(**delta) -> str:
    return iso(datetime.now(UTC) - timedelta(**delta))


@pytest.fixture
def healthy(config_path, db):
    """An active integration, logged in, its settings checked, the last pull a minute ago."""
    config = config_mod.load(config_path)
    TokenStore.beside(config.store_path).save(Tokens("access", "refresh", 2e9))
    record_verified(db, config.settings)
    set_state(db, active=1, connected_at=ago(days=3), last_pull_ok_at=ago(minutes=1), last_pull_outcome=runs.OK)
    return config


def checked(run, *args) -> tuple[int, list[str]]:
    result = run("status", "--check", *args)
    return result.exit_code, result.stdout.splitlines()


def test_all_well_is_ok(run, healthy):
    assert checked(run) == (0, ["EXACTSYNC OK - active; no problems found"])
    assert json.loads(run("status", "--check", "--json").stdout) == {
        "status": "OK", "code": 0, "summary": "EXACTSYNC OK - active; no problems found", "findings": []}


def test_an_expired_login_is_critical(run, healthy):
    tokens = TokenStore.beside(healthy.store_path)
    tokens.save(Tokens("access", "refresh", 2e9).refused("2026-12-01T10:00:00Z", "invalid_grant"))
    code, lines = checked(run)
    assert code == 2
    assert lines[0] == ("EXACTSYNC CRITICAL - the Exact login expired or was revoked (found 2026-12-01 11:00:00): "
                        "run exactsync connect")


def test_an_unreadable_token_file_is_critical(run, healthy):
    TokenStore.beside(healthy.store_path).path.write_text("not json")
    code, lines = checked(run)
    assert (code, lines[0]) == (2, "EXACTSYNC CRITICAL - the Exact login's token file is unreadable: "
                                   "run exactsync connect")


def test_settings_changed_and_not_checked_again_are_critical(run, healthy):
    config_mod.update(healthy, "settings", "journal", "71")
    code, lines = checked(run)
    assert (code, lines[0]) == (2, "EXACTSYNC CRITICAL - settings changed since they were checked: "
                                   "run exactsync check-settings")


def test_a_scope_exact_refused_is_critical(run, db, healthy):
    set_state(db, last_push_outcome=runs.NO_SCOPE)
    code, lines = checked(run)
    assert (code, lines[0]) == (2, "EXACTSYNC CRITICAL - the last push stopped: Exact refused a scope the app "
                                   "lacks; exactsync log --errors names it")


def test_no_good_pull_for_longer_than_stale_after_minutes_is_critical(run, db, healthy):
    set_state(db, last_pull_ok_at=ago(minutes=29), last_pull_outcome=runs.LIMIT_SPENT)
    assert checked(run)[0] == 0
    set_state(db, last_pull_ok_at=ago(minutes=31))
    code, lines = checked(run)
    assert code == 2
    assert lines[0].startswith("EXACTSYNC CRITICAL - no successful pull for 31 minutes, since ")
    assert lines[0].endswith("(last pull: stopped: Exact's daily call limit is spent): check cron and "
                             "exactsync log --errors")
    assert lines[1:] == [lines[0].replace("EXACTSYNC CRITICAL - ", "CRITICAL: ")]
    config_mod.update(healthy, "monitoring", "stale_after_minutes", 60)
    assert checked(run)[0] == 0


def test_an_active_integration_that_never_pulled_is_critical_once_stale(run, db, healthy):
    set_state(db, last_pull_ok_at=None, last_pull_outcome=None, connected_at=ago(minutes=45))
    assert checked(run) == (2, ["EXACTSYNC CRITICAL - no successful pull for 45 minutes, since "
                                f"{_local(ago(minutes=45))} (last pull: never): check cron and exactsync log --errors",
                                "CRITICAL: no successful pull for 45 minutes, since "
                                f"{_local(ago(minutes=45))} (last pull: never): check cron and exactsync log --errors"])


def _local(at: str) -> str:
    return for_people(at)


def test_an_unreadable_store_is_critical(run, healthy):
    healthy.store_path.write_bytes(b"this is no SQLite file at all, " * 100)
    code, lines = checked(run)
    assert code == 2 and lines[0].startswith("EXACTSYNC CRITICAL - the store cannot be read: "), lines


def test_an_unreadable_config_is_unknown(run, config_path, healthy):
    config_path.write_text("[log\n")
    code, lines = checked(run)
    assert code == 3 and lines[0].startswith("EXACTSYNC UNKNOWN - could not check: "), lines


def test_deactivated_is_a_warning(run, db, healthy):
    assert run("deactivate", "--yes").exit_code == 0
    code, lines = checked(run)
    assert code == 1
    assert lines[0].startswith("EXACTSYNC WARNING - the integration is deactivated since ")


def test_work_orders_waiting_for_a_person_are_a_warning(run, db, healthy):
    add_customer(db, "1")
    failed, refused = archived(db, "1"), archived(db, "1")
    db.execute("UPDATE work_orders SET status = 'failed' WHERE number = ?", [failed])
    db.execute("INSERT INTO outbox (work_order_id, step, last_error, updated_at) SELECT id, 'invoice', "
               "'nothing to invoice', '2026-12-01T00:00:00Z' FROM work_orders WHERE number = ?", [refused])
    db.conn.commit()
    assert checked(run) == (1, ["EXACTSYNC WARNING - 2 work orders refused or failed wait for a person: "
                                "exactsync log --errors says what to fix",
                                "WARNING: 2 work orders refused or failed wait for a person: "
                                "exactsync log --errors says what to fix"])


def test_a_work_order_queued_longer_than_queued_hours_is_a_warning(run, db, healthy):
    add_customer(db, "1")
    number = archived(db, "1")
    assert checked(run)[0] == 0
    archived_at = ago(hours=3)
    db.execute("UPDATE work_orders SET archived_at = ? WHERE number = ?", [archived_at, number])
    db.conn.commit()
    assert checked(run) == (1, [f"EXACTSYNC WARNING - work order {number} waits for Exact since "
                                f"{_local(archived_at)}, longer than 2 hours: exactsync push --dry-run says why",
                                f"WARNING: work order {number} waits for Exact since {_local(archived_at)}, longer "
                                "than 2 hours: exactsync push --dry-run says why"])
    config_mod.update(healthy, "monitoring", "queued_hours", 4)
    assert checked(run)[0] == 0


def test_errors_in_the_last_24_hours_are_a_warning(run, db, healthy):
    log.error(db, "connection", "push failed: Exact answered 500", action="none")
    assert checked(run)[1][0] == "EXACTSYNC WARNING - 1 error in the last 24 hours: exactsync log --errors"


def test_fewer_than_a_tenth_of_the_daily_calls_left_is_a_warning(run, db, healthy):
    resets = iso(datetime.now(UTC) + timedelta(hours=5))

    def seen(remaining: int) -> None:
        set_state(db, exact_daily_calls=json.dumps({"division": 1, "limit": 5000, "remaining": remaining,
                                                    "resets_at": resets, "seen_at": ago(minutes=1)}))
    seen(500)
    assert checked(run)[0] == 0
    seen(499)
    assert checked(run) == (1, [f"EXACTSYNC WARNING - 499 of Exact's 5,000 daily calls left, until {_local(resets)}",
                                f"WARNING: 499 of Exact's 5,000 daily calls left, until {_local(resets)}"])


def test_the_worst_level_leads_and_every_finding_follows_also_in_json(run, db, healthy):
    set_state(db, last_pull_outcome=runs.NO_SCOPE)
    log.error(db, "connection", "pull stopped", action="none")
    code, lines = checked(run)
    assert code == 2 and lines[0].startswith("EXACTSYNC CRITICAL - the last pull stopped")
    assert [line.split(":")[0] for line in lines[1:]] == ["CRITICAL", "WARNING"]
    shown = json.loads(run("status", "--check", "--json").stdout)
    assert (shown["status"], shown["code"]) == ("CRITICAL", 2)
    assert [f["level"] for f in shown["findings"]] == ["CRITICAL", "WARNING"]


def test_the_check_writes_its_times_as_the_reader_reads_them(run, healthy):
    tokens = TokenStore.beside(healthy.store_path)
    tokens.save(Tokens("access", "refresh", 2e9).refused("2026-12-01T10:00:00Z", "invalid_grant"))
    assert run("--lang", "nl", "status", "--check").stdout.splitlines()[0] == (
        "EXACTSYNC CRITICAL - de aanmelding bij Exact is verlopen of ingetrokken (gezien 01-12-2026 11:00): voer "
        "exactsync connect uit")


def test_the_check_speaks_dutch_but_keeps_the_level_words(run, db, healthy):
    assert run("deactivate", "--yes").exit_code == 0
    line = run("--lang", "nl", "status", "--check").stdout.splitlines()[0]
    assert line.startswith("EXACTSYNC WARNING - de koppeling is gedeactiveerd sinds ")
