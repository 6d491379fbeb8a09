import json

import pytest

from exactsync import log
from exactsync.store import set_state


@pytest.fixture
def filled(db):
    log.info(db, "customer", "pulled 3 customers", record="")
    log.warning(db, "item", "skipped item without code", record="x-1", action="give the item a code in Exact")
    log.error(db, "workorder", "no customer on the work order", record="WO00007",
              action="set a customer from Exact on the work order")
    db.execute("INSERT INTO log (at, kind, tbl, record, message, action) VALUES "
               "('2020-01-01T00:00:00Z', 'error', 'workorder', 'WO00001', 'old', '')")
    return db


def test_rows_newest_first_and_kinds(filled):
    rows = log.rows(filled, log.LogFilter())
    assert [r["kind"] for r in rows] == ["error", "warning", "info", "error"]
    assert rows[0] == {
        "at": rows[0]["at"], "kind": "error", "table": "workorder", "record": "WO00007",
        "message": "no customer on the work order", "action": "set a customer from Exact on the work order",
        "message_key": None, "message_params": None, "action_key": None, "action_params": None,
    }


def test_unknown_kind_or_table_is_a_bug(db):
    with pytest.raises(ValueError):
        log.write(db, "fatal", "customer", "x")
    with pytest.raises(ValueError):
        log.write(db, "info", "invoices", "x")


def test_cli_errors_only_as_json(filled, run):
    result = run("log", "--errors", "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["kind"], r["record"]) for r in rows] == [("error", "WO00007"), ("error", "WO00001")]


def test_cli_warnings_include_errors(filled, run):
    rows = [json.loads(line) for line in run("log", "--warnings", "--json").output.splitlines()]
    assert [r["kind"] for r in rows] == ["error", "warning", "error"]


def test_cli_table_since_and_limit(filled, run):
    output = run("log", "--table", "workorder", "--since", "2021-01-01", "--json").output
    rows = [json.loads(line) for line in output.splitlines()]
    assert [r["record"] for r in rows] == ["WO00007"]
    rows = [json.loads(line) for line in run("log", "--since", "1d", "--limit", "2", "--json").output.splitlines()]
    assert len(rows) == 2


def test_cli_bad_since_is_a_usage_error(filled, run):
    result = run("log", "--since", "last week")
    assert result.exit_code == 2
    assert "'last week' is not a time" in result.output


def test_cli_table_shows_rows_and_highest_mutation_date(filled, run):
    set_state(filled, highest_mutation_at="2026-11-28T10:00:00Z")
    result = run("log")
    assert result.exit_code == 0
    assert "no customer on the work order" in result.output
    assert "set a customer from Exact" in result.output
    assert "highest mutation date: 2026-11-28" in result.output


def test_prune_removes_rows_older_than_retention(filled):
    assert log.prune(filled, 90) == 1
    assert [r["record"] for r in log.rows(filled, log.LogFilter(kinds=("error",)))] == ["WO00007"]


def test_a_log_row_inside_a_rolled_back_transaction_goes_with_it(db):
    from exactsync.store import transaction

    with pytest.raises(RuntimeError):
        with transaction(db):
            log.info(db, "customer", "half done")
            raise RuntimeError
    assert log.rows(db, log.LogFilter()) == []


def test_text_in_brackets_is_printed_as_written(db, run):
    log.error(db, "settings", "journal: no sales journal is set",
              action="set [settings] journal to the code of your sales journal")
    assert "set [settings] journal to the code" in run("log").output


@pytest.mark.parametrize("kind, records", [("info", [""]), ("warning", ["x-1"]), ("error", ["WO00007", "WO00001"])])
def test_cli_kind_shows_exactly_that_kind(filled, run, kind, records):
    result = run("log", "--kind", kind, "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["kind"], r["record"]) for r in rows] == [(kind, record) for record in records]


def test_cli_kind_with_table_and_in_the_table_view(filled, run):
    rows = [json.loads(line) for line in run("log", "--kind", "error", "--table", "item", "--json").output.splitlines()]
    assert rows == []
    shown = run("log", "--kind", "warning").output
    assert "skipped item without code" in shown and "no customer on the work order" not in shown


def test_cli_kind_and_errors_together_is_a_usage_error(filled, run):
    result = run("log", "--kind", "info", "--errors")
    assert result.exit_code == 2
    assert "--kind and --errors both choose the kinds" in result.output
    assert run("log", "--kind", "fatal").exit_code == 2


def test_records_past_the_limit_are_one_row_that_says_where_to_look(db):
    records = log.Records(limit=2)
    for code in ("A", "B", "C", "D"):
        records.write(db, "info", "customer", f"customer {code} gone", record=code)
    records.write(db, "warning", "customer", "skipped E", record="E")
    records.finish(db, {("info", "customer"): "exactsync customers --all"})
    assert [(r["kind"], r["record"], r["message"]) for r in reversed(log.rows(db, log.LogFilter()))] == [
        ("info", "A", "customer A gone"), ("info", "B", "customer B gone"), ("warning", "E", "skipped E"),
        ("info", "", "... and 2 more: exactsync customers --all")]
