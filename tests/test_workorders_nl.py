"""Work orders, work addresses, the store's and the Exact login's errors in Dutch (issue 17):
with --lang nl no English word reaches the reader; with --lang en the text is as before."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exactsync import config as config_mod
from exactsync import i18n, log
from exactsync.exact import TokenStore
from exactsync.sandbox import Sandbox
from exactsync.workorders import lifecycle
from exactsync.workorders.lookup import MAX_BOOKING_MINUTES
from tests.helpers.cli_results import ok, refused
from tests.helpers.factories import add_customer, add_item
from tests.helpers.language import english_in as tell_tale_words
from tests.helpers.push import connected_store

# "of" is Dutch too ("or"), as in "verlopen of ingetrokken".
DUTCH_TOO = {"of"}
# The import file's own field names and values, quoted back as they are in the file.
IMPORT_FIELDS = {"customer", "description", "hours", "kind", "work", "travel"}


@pytest.fixture
def shop(db):
    return {"customer": add_customer(db, "25", "Bakkerij Jansen"), "item": add_item(db, "M100", "Kraan messing")}


def english_in(text: str) -> set[str]:
    return {word for word in tell_tale_words(text) if word.lower() not in DUTCH_TOO}


def dutch_error(result, data_words: frozenset = frozenset()) -> str:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Fout: "), result.stderr
    assert english_in(result.stderr) <= data_words, result.stderr
    return result.stderr


def test_create_and_book_time_refused_beyond_the_bounds_in_dutch(run, db, shop):
    assert "klant 999 bestaat niet" in dutch_error(
        run("--lang", "nl", "workorder", "create", "--customer", "999", "--description", "Lekkage"))
    number = lifecycle.create(db, prefix="WO", customer_code="25", description="Lekkage verhelpen")
    for _ in range(lifecycle.MAX_ORDER_MINUTES // MAX_BOOKING_MINUTES):
        lifecycle.book_time(db, number, employee="Jan", minutes_by_kind={"work": MAX_BOOKING_MINUTES})
    args = ("workorder", "book-time", number, "--employee", "Jan", "--work", str(MAX_BOOKING_MINUTES))
    assert "werk op de werkbon zou samen 60480 minuten worden" in dutch_error(run("--lang", "nl", *args))
    assert "more than 40 digits" not in dutch_error(
        run("--lang", "nl", "workorder", "add-material", number, "M100", "1" * 50))
    refused(run("--lang", "en", *args),
            "work time on the work order would add up to 60480 minutes, more than the 60000 (1000 hours) one work "
            "order may hold: check the bookings; split a job that large over several work orders")


def test_an_import_with_problems_lists_them_by_entry_and_field_in_dutch(run, db, shop, tmp_path):
    """An entry of the file is an invoer, as the help calls it: "werkbon 0" read as a work order's number."""
    path = tmp_path / "werkbonnen.json"
    path.write_text(json.dumps([
        {"customer": "25", "description": "", "hours": [{"kind": "sleep", "minutes": 0, "employee": "Jan"}]},
        {"customer": "404", "description": "Lekkage", "colour": "red", "status": "done"}]))
    error = dutch_error(run("--lang", "nl", "workorder", "import", str(path)), IMPORT_FIELDS)
    for line in ("heeft 6 problemen; er is niets geïmporteerd:",
                 "invoer 0, description: de omschrijving mag niet leeg zijn",
                 "invoer 0, hours[0].kind: moet 'work' (werktijd) of 'travel' (reistijd) zijn, niet 'sleep'",
                 "invoer 1: onbekend veld 'colour'",
                 "invoer 1, customer: klant 404 bestaat niet"):
        assert line in error
    i18n.use("en")  # the row is stored language-neutral: an English reader reads it in English
    [row] = log.rows(db, log.LogFilter(kinds=("warning",), limit=None))
    assert row["message"].startswith(f"import of {path} refused, nothing imported: 6 problems, the first: entry 0")
    dutch_log = ok(run("--lang", "nl", "log", "--json"))
    assert f"import van {path} geweigerd, niets geïmporteerd: problemen: 6, het eerste: invoer 0" in dutch_log
    english = run("--lang", "en", "workorder", "import", str(path))
    assert english.exit_code == 1 and f"Error: {path} has 6 problems; nothing was imported:" in english.stderr
    assert "entry 0, description: the description must not be empty" in english.stderr


def test_workorder_show_and_list_in_dutch(run, db, shop):
    number = lifecycle.create(db, prefix="WO", customer_code="25", description="Lekkage verhelpen")
    lifecycle.plan(db, number, employee="Jan", on="2026-12-01", at="08:30")
    lifecycle.book_time(db, number, employee="Jan", minutes_by_kind={"work": 90, "travel": 15})
    lifecycle.add_material(db, number, "M100", Decimal(2))
    lifecycle.fill_form(db, number, "Veiligheid", [("Gas afgesloten?", "Ja")])
    lifecycle.complete(db, number)
    shown = ok(run("--lang", "nl", "workorder", "show", number))
    for dutch in (f"werkbon {number}", "gereed", "werkadres", "omschrijving", "uren", "reistijd", "materialen",
                  "formulier Veiligheid", "werk 90 min, reistijd 15 min"):
        assert dutch in shown
    assert english_in(shown) == set()
    listed = ok(run("--lang", "nl", "workorder", "list"))
    assert re.search(r"\b1 werkbon\b(?!nen)", listed) and "gereed" in listed and english_in(listed) == set()
    english = ok(run("--lang", "en", "workorder", "show", number))
    assert f"work order {number}" in english and "completed" in english and "work 90 min, travel 15 min" in english


def test_workaddress_list_and_echoes_in_dutch(run, db, shop):
    result = run("--lang", "nl", "workaddress", "add", "25", "--street", "Kerkstraat 1", "--city", "Utrecht")
    assert result.exit_code == 0, result.output
    listed = ok(run("--lang", "nl", "workaddress", "list", "25"))
    assert "werkadressen van klant 25 Bakkerij Jansen" in listed and "uit Exact" in listed and "ja" in listed
    assert english_in(listed) == set()
    removed = run("--lang", "nl", "workaddress", "remove", result.stdout.strip())
    assert removed.stderr.startswith("werkadres ") and english_in(removed.stderr) == set()
    assert "from Exact" in ok(run("--lang", "en", "workaddress", "list", "25"))


def test_an_empty_store_file_is_refused_in_dutch(tmp_path, run, config_path):
    path = tmp_path / "exactsync.db"
    path.write_bytes(b"")
    error = dutch_error(run("--lang", "nl", "workorder", "list"))
    assert error == (f"Fout: de database {path} is een leeg bestand (0 bytes): hij is afgekapt (een mislukte kopie "
                     "of terugzetting, of een volle schijf), dus de werkbonnen, de uitgaande wachtrij en de activering "
                     "die erin stonden zijn weg; zet een back-up terug, of verwijder het lege bestand en voer "
                     "exactsync connect uit om opnieuw te beginnen\n")
    refused(run("--lang", "en", "workorder", "list"),
            f"the store {path} is an empty file (0 bytes): it was cut off (a failed copy or restore, or a full disk), "
            "so the work orders, the outbox and the activation it held are gone; restore it from a backup, or, to "
            "start over, delete the empty file and run exactsync connect")


def test_an_expired_login_is_told_in_dutch(monkeypatch, config_path, run):
    with Sandbox(seed=3, customers=2, items=2, minutely_limit=10_000) as sandbox:
        config, db = connected_store(sandbox, config_path)
        db.close()
        tokens = TokenStore.beside(config_mod.load(config_path).store_path)
        with tokens.locked():
            tokens.save(tokens.load().refused(datetime(2026, 12, 1, tzinfo=UTC).isoformat(), "invalid_grant"))
        error = dutch_error(run("--lang", "nl", "pull"))
        assert "de aanmelding bij Exact is verlopen of ingetrokken (Exact: invalid_grant)" in error
        assert error.endswith(": voer `exactsync connect` uit om opnieuw aan te melden bij Exact\n")
        english = run("--lang", "en", "pull")
        assert english.stderr.endswith("the Exact login has expired or was revoked (Exact: invalid_grant): run "
                                       "`exactsync connect` to log in to Exact again\n")
