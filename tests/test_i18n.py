"""Dutch or English (issue 17): the catalog covers every message, the log is stored language-neutral and
read in each reader's language, and people read times in the office's time zone."""

import ast
import io
import json
import re
import string
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pypdf import PdfReader

from exactsync import activation, i18n, log
from exactsync import config as config_mod
from exactsync.exact.errors import DailyLimitReached
from exactsync.i18n import msg
from exactsync.store import set_state
from exactsync.sync import runs
from exactsync.workorders import workorder_pdf
from tests.helpers.cli_results import ok
from tests.helpers.factories import add_customer
from tests.helpers.language import english_in

ROOT = Path(__file__).parent.parent
CATALOG = ROOT / "exactsync" / "locale" / "nl" / "LC_MESSAGES" / "exactsync.po"

# Words that only an untranslated English text would put in front of a Dutch reader.
def extracted() -> set[str]:
    """Every message marked in the code (a plural by its singular), extracted as `make catalogs` does
    (babel.cfg), offline."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((ROOT / "babel.cfg").read_text()))
    return {message if isinstance(message, str) else message[0]
            for _, _, message, *_ in extract_from_dir(str(ROOT), method_map, options_map)}


def dutch() -> dict[str, str]:
    """English -> Dutch, each plural form of a message as its own pair."""
    with CATALOG.open("rb") as file:
        pairs = {}
        for m in read_po(file):
            if isinstance(m.id, tuple):
                pairs.update({m.id[0]: m.string[0], m.id[1]: m.string[1]})
            elif m.id:
                pairs[m.id] = m.string
        return pairs


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_in_the_code_has_its_dutch():
    catalog = dutch()
    assert len(extracted()) > 50  # the keywords of babel.cfg do find the messages
    assert sorted(m for m in extracted() if not catalog.get(m)) == [], "run make catalogs and write their Dutch"


def test_no_translation_drops_or_adds_a_placeholder():
    for english, translation in dutch().items():
        try:
            assert placeholders(translation) == placeholders(english), english
        except ValueError:  # a help text, shown as it is (its braces are JSON, not placeholders)
            assert sorted(re.findall(r"[{}]", translation)) == sorted(re.findall(r"[{}]", english)), english


def test_the_shipped_catalog_is_the_compiled_po():
    with CATALOG.open("rb") as file:
        catalog = read_po(file)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert CATALOG.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run make catalogs"


def test_a_message_renders_later_in_the_language_in_force_with_its_nested_parameters():
    m = msg("{run} skipped: {reason}", run="push",
            reason=msg("the integration is deactivated since {day}: no invoices go to Exact; exactsync activate "
                       "resumes", day="2026-12-01"))
    assert i18n.Msg.from_json(json.loads(json.dumps(m.as_json()))) == m
    i18n.use("nl")
    assert str(m) == ("push overgeslagen: de koppeling is gedeactiveerd sinds 01-12-2026: er gaan geen facturen "
                      "naar Exact; exactsync activate zet haar weer aan")
    assert m.english().startswith("push skipped: the integration is deactivated since 2026-12-01")
    with pytest.raises(TypeError):
        msg("{count} more", count=1.5)


def _write_run_rows(db):
    """Run-level rows as the runs write them: skipped while inactive, and a spent daily limit."""
    activation.warn_once_a_day(db, activation.why_inactive(db))
    runs.daily_limit_reached(db, "push", DailyLimitReached(datetime(2026, 1, 16, tzinfo=UTC).timestamp()))


def test_one_stored_row_reads_in_dutch_for_one_reader_and_in_english_for_another(db, run):
    _write_run_rows(db)
    dutch_rows = [json.loads(line) for line in ok(run("--lang", "nl", "log", "--json")).splitlines()]
    english_rows = [json.loads(line) for line in ok(run("--lang", "en", "log", "--json")).splitlines()]
    assert [r["message"] for r in english_rows] == [
        "push stopped: Exact's daily call limit is reached; push resumes after the reset at 2026-01-16 01:00",
        "the integration is not active yet: no invoices go to Exact; exactsync connect starts it"]
    assert [r["message"] for r in dutch_rows] == [
        "push gestopt: de daglimiet van Exact-aanroepen is bereikt; push gaat verder als de teller op "
        "16-01-2026 01:00 opnieuw begint",
        "de koppeling is nog niet actief: er gaan geen facturen naar Exact; exactsync connect zet haar aan"]
    for row in dutch_rows + english_rows:  # the same key and parameters, whoever reads
        assert row["message_key"] and row["action_key"]
    assert dutch_rows[0]["message_params"] == english_rows[0]["message_params"] == {
        "run": "push", "time": "2026-01-16 01:00"}
    assert dutch_rows[0]["message_key"] == english_rows[0]["message_key"] == (
        "{run} stopped: Exact's daily call limit is reached; {run} resumes after the reset at {time}")


def test_log_in_dutch_has_the_manuals_columns_and_no_english(db, run):
    _write_run_rows(db)
    log.error(db, "workorder", msg("another run is busy; this one stopped without doing anything"),
              record="WO00007", action=msg("none: the next run picks up the work"))
    output = ok(run("--lang", "nl", "log"))
    for dutch_text in ("Tabel", "Bericht", "Te nemen actie", "Soort bericht", "Waarschuwing", "Foutmelding",
                       "werkbon", "koppeling", "hoogste mutatiedatum"):
        assert dutch_text in output
    assert english_in(output) == set()
    english = ok(run("--lang", "en", "log"))
    assert "Action to take" in english and "the integration is not active yet" in english


def test_status_in_dutch_has_no_english(db, run, config_path):
    _write_run_rows(db)
    now = time.time()
    set_state(db, division="123456", last_pull_at="2026-01-15T10:31:00Z", last_pull_outcome="ok",
              last_push_at="2026-01-15T10:35:00Z", highest_mutation_at="2026-01-15T10:30:00Z",
              exact_daily_calls=json.dumps({"division": 123456, "limit": 5000, "remaining": 4321,
                                            "resets_at": datetime.fromtimestamp(now + 3600, UTC)
                                            .strftime("%Y-%m-%dT%H:%M:%SZ"),
                                            "seen_at": "2026-01-15T10:35:00Z"}))
    output = ok(run("--lang", "nl", "status")).replace(str(config_path.parent / "exactsync.db"), "")
    assert "nog 4.321 van 5.000" in output and "gestopt: de daglimiet van Exact-aanroepen is op" in output
    assert "15-01-2026 11:31 (gelukt)" in output
    assert english_in(output) == set()
    assert "4,321 of 5,000 left" in ok(run("--lang", "en", "status"))


def test_the_language_comes_from_the_option_then_the_environment_then_the_config(run, config_path):
    config_mod.update(config_mod.load(config_path), "interface", "language", "nl")
    assert "Tabel" in ok(run("log"))
    assert "Table" in ok(run("log", env={"EXACTSYNC_LANG": "en"}))
    assert "Tabel" in ok(run("--lang", "nl", "log", env={"EXACTSYNC_LANG": "en"}))
    assert "Table" in ok(run("--lang", "en", "log"))


def test_a_missing_config_says_so_in_the_language_of_the_option_or_the_environment(tmp_path, run):
    missing = str(tmp_path / "missing.toml")
    for args, env in ((["--lang", "nl"], None), ([], {"EXACTSYNC_LANG": "nl"})):
        result = run("--config", missing, *args, "status", env=env)
        assert result.exit_code == 1
        assert result.output.startswith(f"Fout: configuratiebestand {missing} bestaat niet")


def test_init_writes_the_language(tmp_path, run):
    path = tmp_path / "new.toml"
    ok(run("--config", str(path), "init", "--language", "nl"))
    assert config_mod.load(path).language == "nl"
    assert run("--config", str(path), "init", "--force", "--language", "de").exit_code == 2


def test_the_time_zone_must_be_an_iana_name(tmp_path):
    problems, _ = config_mod.validate({"interface": {"timezone": "Amsterdam"}})
    assert [str(p) for p in problems] == [
        "[interface] timezone: 'Amsterdam' is not an IANA time zone name, such as Europe/Amsterdam or Europe/Brussels"]
    assert config_mod.validate({"interface": {"timezone": "Europe/Brussels"}})[0] == []


def test_a_row_from_before_the_change_reads_as_written(db, run):
    db.execute("INSERT INTO log (at, kind, tbl, record, message, action) VALUES "
               "('2026-01-15T10:31:00Z', 'error', 'workorder', 'WO00001', 'old text', 'old action')")
    [row] = [json.loads(line) for line in ok(run("--lang", "nl", "log", "--json")).splitlines()]
    assert (row["message"], row["message_key"], row["message_params"]) == ("old text", None, None)
    assert (row["action"], row["action_key"]) == ("old action", None)


@pytest.fixture
def machine_on_utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_on_a_utc_machine_the_log_shows_amsterdam_time(machine_on_utc, db, run, config_path):
    assert datetime(2026, 1, 15, 10, 31).astimezone().utcoffset().total_seconds() == 0  # the machine is on UTC
    db.execute("INSERT INTO log (at, kind, tbl, record, message, action) VALUES "
               "('2026-01-15T10:31:00Z', 'info', 'customer', '', 'pulled', '')")
    assert "2026-01-15 11:31:00" in ok(run("log"))
    config_mod.update(config_mod.load(config_path), "interface", "timezone", "America/New_York")
    assert "2026-01-15 05:31:00" in ok(run("log"))


def test_on_a_utc_machine_the_werkbon_says_when_it_was_completed_in_amsterdam_time(machine_on_utc, db, run):
    add_customer(db, "25", "Bakkerij")
    number = ok(run("workorder", "create", "--customer", "25", "--description", "Lekkage"))
    ok(run("workorder", "complete", number))
    db.execute("UPDATE work_orders SET completed_at = '2026-01-15T10:31:00Z' WHERE number = ?", [number])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(workorder_pdf(db, number, ""))).pages)
    assert "Gereed gemeld op 15-01-2026 11:31" in text


def test_every_log_row_is_written_as_a_message_not_as_text():
    """A row stored as text reads in one language only: every message and action given to the
    log (log.info/warning/error/write, Records.write) is a msg(...) or a value holding one."""
    written_as_text = []
    for path in sorted((ROOT / "exactsync").rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("info", "warning", "error", "write")
                    and isinstance(call.func.value, ast.Name) and call.func.value.id in ("log", "records")):
                continue
            position = 3 if call.func.attr == "write" else 2
            given = call.args[position:position + 1] + [k.value for k in call.keywords if k.arg == "action"]
            written_as_text += [f"{path.relative_to(ROOT)}:{call.lineno}" for value in given
                                if isinstance(value, ast.Constant | ast.JoinedStr | ast.BinOp)]
    assert written_as_text == []
