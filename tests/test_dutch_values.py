"""Numbers, dates and plurals as each language's reader writes them, shown and typed (issue 24)."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from exactsync import i18n, log
from exactsync.i18n import msg, nmsg
from exactsync.store import get_state, set_state
from exactsync.workorders.lookup import WorkOrderError, parse_date, parse_quantity, typed_date, typed_time
from tests.helpers.cli_results import ok
from tests.helpers.factories import add_customer, add_item


@pytest.mark.parametrize("language, shown", [
    ("en", ["4,383", "1.5", "0.25", "€2,402.36", "6.2", "2,402.36", "2026-12-07", "2026-12-07 23:07"]),
    ("nl", ["4.383", "1,5", "0,25", "€\xa02.402,36", "6,2", "2.402,36", "07-12-2026", "07-12-2026 23:07"]),
])
def test_numbers_amounts_and_dates_as_each_language_writes_them(language, shown):
    i18n.use(language)
    assert [i18n.number(4383), i18n.quantity("1.5"), i18n.decimal(Decimal("0.2500"), 4),
            i18n.money(Decimal("2402.36")), i18n.tenths(6.24), i18n.amount(2402.36),
            i18n.day(date(2026, 12, 7)), i18n.moment("2026-12-07 23:07:13")] == shown


@pytest.mark.parametrize("count, english, dutch", [
    (1, "1 customer", "1 klant"), (3, "3 customers", "3 klanten"), (4383, "4383 customers", "4.383 klanten")])
def test_plurals_follow_the_count_in_both_languages(count, english, dutch):
    m = nmsg("{count} customer", "{count} customers", count)
    assert m.english() == english
    i18n.use("nl")
    assert str(m) == dutch
    assert i18n.ngettext("{count} form", "{count} forms", 1).format(count=1) == f"{1} formulier"


def test_a_plural_message_stored_in_the_log_reads_in_each_language(db, run):
    log.info(db, "customer", nmsg("cleanup removed {count} customer that is not (or no longer) in Exact",
                                  "cleanup removed {count} customers that are not (or no longer) in Exact", 2))
    [english] = [json.loads(line) for line in ok(run("--lang", "en", "log", "--json")).splitlines()]
    [dutch] = [json.loads(line) for line in ok(run("--lang", "nl", "log", "--json")).splitlines()]
    assert english["message"] == "cleanup removed 2 customers that are not (or no longer) in Exact"
    assert dutch["message"] == "schoonmaak verwijderde 2 klanten die niet (meer) in Exact staan"
    assert i18n.Msg.from_json(json.loads(json.dumps(nmsg("a {count}", "b {count}", 2).as_json()))).english() == "b 2"


def test_a_date_in_a_stored_message_reads_as_each_language_writes_it():
    m = msg("the integration is deactivated since {day}: no invoices go to Exact; exactsync activate resumes",
            day="2026-12-07")
    assert "since 2026-12-07:" in m.english()
    i18n.use("nl")
    assert "sinds 07-12-2026:" in str(m)


@pytest.mark.parametrize("typed, date_text", [("2026-12-08", "2026-12-08"), ("08-12-2026", "2026-12-08"),
                                              ("8-12-2026", "2026-12-08")])
def test_a_date_is_typed_as_iso_or_day_first(typed, date_text):
    assert parse_date(typed_date(typed)) == date_text


@pytest.mark.parametrize("typed, time_text", [("08:30", "08:30"), ("8:30", "08:30"), ("23:59", "23:59")])
def test_a_time_is_typed_with_or_without_its_leading_zero(typed, time_text):
    assert typed_time(typed) == time_text


def test_31_november_is_no_date_and_a_file_s_date_is_iso_only():
    for typed in ("31-11-2026", "2026-11-31"):
        with pytest.raises(WorkOrderError):
            parse_date(typed_date(typed))
    with pytest.raises(WorkOrderError):  # an import file is read as its schema says: ISO
        parse_date("08-12-2026")


def test_plan_takes_the_dutch_date_and_says_it_back_in_dutch(run, db):
    add_customer(db, "25", "Bakkerij")
    number = ok(run("workorder", "create", "--customer", "25", "--description", "Lekkage"))
    result = run("--lang", "nl", "workorder", "plan", number, "--employee", "Jan", "--date", "08-12-2026",
                 "--time", "8:30")
    assert result.exit_code == 0 and result.stderr == f"{number} ingepland voor Jan op 08-12-2026 om 08:30\n"
    assert db.execute("SELECT planned_date, planned_time FROM work_orders").fetchall() == [("2026-12-08", "08:30")]


@pytest.mark.parametrize("language, typed, readings", [("nl", "1.500", ("1500", "1,5")),
                                                       ("en", "1,500", ("1500", "1.5"))])
def test_a_quantity_with_the_language_s_thousands_separator_is_refused_naming_both_readings(language, typed,
                                                                                            readings):
    i18n.use(language)
    with pytest.raises(WorkOrderError) as refused:
        parse_quantity(typed)
    assert all(reading in str(refused.value) for reading in readings), str(refused.value)


@pytest.mark.parametrize("language, typed, quantity", [("nl", "1,5", "1.5"), ("nl", "1.5", "1.5"),
                                                       ("nl", "1500", "1500"), ("en", "1.500", "1.5"),
                                                       ("en", "1,5", "1.5")])
def test_a_quantity_that_reads_one_way_is_taken(language, typed, quantity):
    i18n.use(language)
    assert parse_quantity(typed) == Decimal(quantity)


def test_add_material_refuses_the_ambiguous_quantity_in_dutch_and_shows_quantities_in_dutch(run, db):
    add_customer(db, "25", "Bakkerij")
    add_item(db, "M100", "Kraan")
    number = ok(run("workorder", "create", "--customer", "25", "--description", "Lekkage"))
    ambiguous = run("--lang", "nl", "workorder", "add-material", number, "M100", "1.500")
    assert ambiguous.exit_code == 1 and ambiguous.stderr == (
        "Fout: aantal 1.500 is op twee manieren te lezen: 1500 (met een punt tussen de duizendtallen) of 1,5 (met "
        "decimalen); typ 1500 of 1,5\n")
    assert db["materials"].count == 0
    ok(run("--lang", "nl", "workorder", "add-material", number, "M100", "0,25"))
    assert "0,25" in ok(run("--lang", "nl", "workorder", "show", number))
    assert "0.25" in ok(run("--lang", "en", "workorder", "show", number))


def test_log_since_yesterday_and_a_dutch_date_and_kind_in_dutch(run, db):
    old = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("INSERT INTO log (at, kind, tbl, record, message, action) VALUES (?, 'warning', 'customer', '', "
               "'old', '')", [old])
    log.warning(db, "customer", msg("pull: nothing changed in Exact"))
    log.info(db, "customer", msg("pull: nothing changed in Exact"))
    for since in ("gisteren", "vandaag", "yesterday", "24u", "24h", (datetime.now() - timedelta(days=1))
                  .strftime("%d-%m-%Y")):
        rows = [json.loads(line) for line in ok(run("log", "--since", since, "--json")).splitlines()]
        assert [r["kind"] for r in rows] == ["info", "warning"], since
    for kind in ("waarschuwing", "Waarschuwing", "warning"):
        rows = [json.loads(line) for line in ok(run("--lang", "nl", "log", "--kind", kind, "--json")).splitlines()]
        assert [r["kind"] for r in rows] == ["warning", "warning"], kind
    refused = run("--lang", "nl", "log", "--since", "vorige week")
    assert refused.exit_code == 2 and "gebruik 30m, 24u, 7d, vandaag, gisteren, 28-11-2026" in refused.output


def test_the_pull_summary_and_status_read_in_office_words_and_dutch_numbers(run, db):
    set_state(db, last_pull_at="2026-01-15T10:31:00Z", last_pull_outcome="ok")
    status = ok(run("--lang", "nl", "status"))
    assert "15-01-2026 11:31 (gelukt)" in status and "2026-01-15" not in status
    assert "2026-01-15 11:31:00 (ok)" in ok(run("--lang", "en", "status"))
    assert get_state(db, "last_pull_outcome") == "ok"
