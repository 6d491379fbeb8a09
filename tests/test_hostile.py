"""Hostile and malformed input: each gets a clear error (exit 1, 2 for usage) and changes nothing;
odd but legal values are kept exactly as given."""

from __future__ import annotations

import json
import string
import threading
import time
import unicodedata
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exactsync import app as app_mod
from exactsync import config as config_mod
from exactsync import log
from exactsync.commands.lists import MAX_SEARCH_LENGTH
from exactsync.exact import ExactClient, odata
from exactsync.exact.tokens import Tokens, TokenStore
from exactsync.sandbox.odata import compile_filter
from exactsync.sandbox.schema import ACCOUNT
from exactsync.settings_check import record_verified
from exactsync.store import open_store, set_state, utcnow
from exactsync.sync import pull
from exactsync.workorders.lookup import WorkOrderError, parse_quantity, quantity_text
from tests.helpers.factories import add_customer, add_item
from tests.helpers.login import connect, write_config
from tests.helpers.push import assert_exactly_once, connected_store, customer_codes, sales_item_codes

pytestmark = pytest.mark.sandbox(seed=5, customers=150, items=20, minutely_limit=10_000)

HOSTILE = ["25' or '1' eq '1", "eq", "' or ", "x') or substringof('", "Ω😀 ĳ", "\x1b[31mred", "tab\there",
           "%", "_", "\\", "x" * 10_000]
ANY_CHECK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def error_line(result) -> str:
    """A refusal: exit 1, `Error: ...`, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output, result.output
    return result.output


def counts(db) -> dict:
    return {t: db[t].count for t in ("work_orders", "materials", "time_bookings", "customers", "items")}


def checkpoints_moved(db) -> int:
    """Sync checkpoints past the start (1) of a first pull."""
    return db.execute("SELECT count(*) FROM sync_checkpoints WHERE timestamp > 1").fetchone()[0]


# --- config files ------------------------------------------------------------------------------

def full_config(path: Path) -> str:
    write_config(path, base_url="http://127.0.0.1:9", client_id="00000000-0000-4000-8000-000000000001",
                       client_secret="geheim", division=123456, item_groups=["Diensten", "Ö 'x'"],
                       work_time_item="ARB", memo="both", pdfs="both")
    return path.read_text(encoding="utf-8")


def test_every_truncation_of_a_config_is_loaded_or_refused_clearly_and_creates_no_store(tmp_path, run):
    text = full_config(tmp_path / "full.toml")
    cut = tmp_path / "cut.toml"
    refusals = 0
    for end in range(0, len(text), 3):
        cut.write_text(text[:end], encoding="utf-8")
        result = run("--config", str(cut), "log")
        if result.exit_code:
            refusals += 1
            assert error_line(result).startswith(f"Error: config {cut} has "), (end, result.output)
            assert not (tmp_path / "exactsync.db").exists(), end
        else:
            (tmp_path / "exactsync.db").unlink(missing_ok=True)
    assert refusals > len(text) // 6  # most cuts break a string, a table header or a list


# Any TOML value for any key: accepted, or refused naming that key.
toml_values = st.one_of(st.text(max_size=30), st.integers(min_value=-2**63, max_value=2**63 - 1), st.booleans(),
                        st.floats(allow_nan=False), st.lists(st.text(max_size=5), max_size=3),
                        st.lists(st.integers(), min_size=1, max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                           st.integers(), max_size=2))


@ANY_CHECK
@given(key=st.sampled_from(config_mod.KEYS), value=toml_values)
# A store path with a NUL byte once crashed the open with a traceback (found by this test).
@example(key=next(k for k in config_mod.KEYS if k.dotted == "[store] path"), value="a\x00b")
@example(key=next(k for k in config_mod.KEYS if k.dotted == "[settings] item_groups"), value=["x\x00"])
def test_any_value_of_any_type_for_any_key_is_taken_or_refused_naming_the_key(tmp_path, run, key, value):
    path = tmp_path / "any.toml"
    path.write_text(tomli_w.dumps({key.table: {key.name: value}}), encoding="utf-8")
    result = run("--config", str(path), "log")
    if result.exit_code:
        assert key.dotted in error_line(result), result.output
    else:
        assert config_mod.load(path).get(key.table, key.name) == value


def test_a_retention_beyond_100_years_is_refused_naming_the_key(config_path, run):
    config_mod.update(config_mod.load(config_path), "log", "retention_days", 36_500)
    assert run("pull").exit_code == 0  # skipped (not active) after pruning the log with the longest retention
    config_path.write_text(config_path.read_text().replace("36500", "10000000000000"))
    for command in ("pull", "push", "cleanup", "log"):
        assert error_line(run(command)) == (f"Error: config {config_path} has 1 problem:\n"
                                            "  [log] retention_days: must be at most 36500, got 10000000000000\n")


def test_a_number_past_pythons_digit_limit_in_the_config_is_refused(config_path, run):
    config_path.write_text(config_path.read_text().replace("retention_days = 90", "retention_days = " + "9" * 5000))
    assert error_line(run("pull")) == (
        f"Error: config {config_path} has 1 problem:\n  not valid TOML: Exceeds the limit (4300 digits) for integer "
        "string conversion: value has 5000 digits\n")


@pytest.mark.parametrize("store_path", ["", ".", "missing/exactsync.db"])
def test_a_store_path_that_is_a_folder_or_nowhere_is_refused_naming_the_key(tmp_path, run, store_path):
    path = tmp_path / "odd-store.toml"
    config_mod.write_new(path, {"store": {"path": store_path}})
    assert "[store] path" in error_line(run("--config", str(path), "log"))


def test_a_config_that_is_binary_or_a_directory_is_refused(tmp_path, run):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(256)))
    assert error_line(run("--config", str(binary), "log")).startswith(f"Error: config {binary}")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert run("--config", str(folder), "log").exit_code == 2  # click: a directory is not a file


# --- command-line arguments ---------------------------------------------------------------------

@pytest.fixture
def shop(db, run):
    customer = add_customer(db, "25", "Bakkerij 'De Zon'")
    add_item(db, "M100", "Kraan 1/2\"")
    number = run("workorder", "create", "--customer", "25", "--description", "lekkage").output.strip()
    return {"db": db, "customer": customer, "number": number}


@pytest.mark.parametrize("code", HOSTILE)
def test_hostile_customer_codes_are_refused_and_create_nothing(shop, run, code):
    before = counts(shop["db"])
    assert "does not exist" in error_line(run("workorder", "create", "--customer", code, "--description", "d"))
    assert counts(shop["db"]) == before


@pytest.mark.parametrize("code", HOSTILE)
def test_hostile_item_codes_are_refused_and_add_nothing(shop, run, code):
    before = counts(shop["db"])
    assert "is not an item from Exact" in error_line(run("workorder", "add-material", shop["number"], code, "1"))
    assert counts(shop["db"]) == before


@pytest.mark.parametrize("text", [t for t in HOSTILE if len(t) <= MAX_SEARCH_LENGTH] + ["%_\\😀" * 250])
def test_hostile_searches_find_nothing_and_match_only_literally(shop, run, text):
    for command in ("customers", "items"):
        result = run(command, "--search", text, "--json")
        assert result.exit_code == 0 and json.loads(result.output) == [], result.output
    add_customer(shop["db"], "26", f"voor {text} na")
    found = json.loads(run("customers", "--search", text, "--json").output)
    assert [c["code"] for c in found] == ["26"]


@pytest.mark.parametrize("length", [MAX_SEARCH_LENGTH + 1, 100_000])
def test_a_search_text_beyond_1000_characters_is_a_usage_error(shop, run, length):
    for command in ("customers", "items"):
        result = run(command, "--search", "%" * length)
        assert result.exit_code == 2, result.output
        assert f"Invalid value for '--search': at most 1000 characters, got {length:,}: search for a part of the " \
               "code or name" in result.output


@pytest.mark.parametrize("quantity, exit_code", [
    ("1e999", 1), ("1" * 40, 1), ("1e-999999999", 1), ("NaN", 1), ("-1", 2), ("0x10", 1), ("1/2", 1),
    ("", 1), ("1 000", 1), ("1.5.5", 1),
])
def test_impossible_quantities_are_refused_and_add_nothing(shop, run, quantity, exit_code):
    before = counts(shop["db"])
    result = run("workorder", "add-material", shop["number"], "M100", quantity)
    assert result.exit_code == exit_code, result.output
    assert counts(shop["db"]) == before


@given(typed=st.one_of(st.text(max_size=40), st.decimals(allow_nan=True, allow_infinity=True).map(str)))
def test_any_quantity_text_is_refused_or_kept_exactly_as_exact_will_hold_it(typed):
    try:
        quantity = parse_quantity(typed)
    except WorkOrderError:
        return
    stored = quantity_text(quantity)
    assert Decimal(stored) == quantity > 0
    assert Decimal(repr(float(stored))) == quantity  # what Exact keeps as a double is what was typed


@given(name=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
       other=st.text(max_size=5))
@example(name="", other=" ").via("trailing spaces are ignored, as in Exact")
@example(name="O'Brien", other=" or 1 eq 1").via("a quote and OData keywords")
def test_a_value_through_odata_quote_matches_itself_and_nothing_else_in_exacts_filter_parser(name, other):
    # Exact compares text ignoring case and trailing spaces (SQL Server collation), so a
    # different value must differ in more than those.
    text = f"Name eq {odata.quote(name)} and Status eq {odata.quote('C')}"
    predicate = compile_filter(text, ACCOUNT, "Exact.Web.Api.Models.Account")
    assert predicate({"Name": name, "Status": "C"})
    if name.rstrip(" ").casefold() != (name + other).rstrip(" ").casefold():
        assert not predicate({"Name": name + other, "Status": "C"})


@ANY_CHECK
@given(code=st.text(min_size=1, max_size=30))
def test_any_customer_code_either_names_the_customer_or_is_refused(shop, run, code):
    before = counts(shop["db"])
    result = run("workorder", "create", "--customer", code, "--description", "d")
    if code.strip() == "25":
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code in (1, 2), result.output
        assert "Traceback" not in result.output
        assert counts(shop["db"]) == before


def test_long_and_odd_text_is_kept_exactly(shop, run):
    description = "Lekkage 'kelder' or 1 eq 1 — é ĳ 😀\n" + "x" * 100_000
    number = run("workorder", "create", "--customer", "25", "--description", description,
                 "--reference", "PO 'eq' \"7\"").output.strip()
    shown = json.loads(run("workorder", "show", number, "--json").output)
    assert (shown["description"], shown["customer_reference"]) == (description.strip(), "PO 'eq' \"7\"")


# --- import files --------------------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"[" * 100_000 + b"]" * 100_000, "is nested too deeply to be a list of work orders"),
    (bytes(range(256)), "is not valid JSON ('utf-8' codec can't decode byte 0x80"),
    ('[{"customer": "25"}]'.encode("utf-16"), "is not valid JSON ('utf-8' codec can't decode byte 0xff"),
    (b"42", "must hold a list of work orders ([{...}, ...]), not a int"),
    (b"", "is not valid JSON (Expecting value"),
    (b'[{"customer": "25", "description": "d", "materials": [{"item": "M100", "quantity": 1e999}]}]',
     "entry 0, materials[0].quantity: quantity must be a number above 0"),
])
def test_malformed_import_files_are_refused_and_import_nothing(shop, run, tmp_path, content, message):
    path = tmp_path / "orders.json"
    path.write_bytes(content)
    before = counts(shop["db"])
    assert message in error_line(run("workorder", "import", str(path)))
    assert counts(shop["db"]) == before


# --- the store -----------------------------------------------------------------------------------

def test_a_store_damaged_on_disk_gives_a_clear_error_and_never_a_traceback(shop, run, tmp_path):
    for n in range(300):
        add_customer(shop["db"], f"C{n}", "Klant " + "x" * 200)
    shop["db"].execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shop["db"].close()
    path = tmp_path / "exactsync.db"
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data), 5):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    message = error_line(run("customers", "--all"))
    assert "store" in message and message.count("\n") == 1, message
    for command in (["workorder", "list"], ["log"], ["status"], ["pull"], ["cleanup"]):
        result = run(*command)  # what lives on undamaged pages still works; the rest is refused clearly
        if result.exit_code:
            error_line(result)


def test_a_full_disk_during_a_pull_is_a_clear_error_and_the_checkpoint_stays(sandbox, config_path, run, monkeypatch):
    connect(sandbox, config_path)
    opened = app_mod.open_store

    def store_on_a_nearly_full_disk(path):
        db = opened(path)
        # SQLite answers SQLITE_FULL past max_page_count, exactly as when the disk runs out.
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0] + 10}")
        return db

    monkeypatch.setattr(app_mod, "open_store", store_on_a_nearly_full_disk)
    db = open_store(config_path.parent / "exactsync.db")
    assert error_line(run("pull")) == (
        "Error: the disk holding the store is full (SQLite: database or disk is full): what was being written was "
        "rolled back; free some space, then run the command again\n")
    assert checkpoints_moved(db) == 0
    assert db["customers"].count == 0
    assert log.rows(db, log.LogFilter(kinds=("error",)))[0]["message"].startswith("pull failed: the disk holding")
    monkeypatch.setattr(app_mod, "open_store", opened)
    assert run("pull").exit_code == 0
    assert db["customers"].count > 0


# --- odd data in Exact -----------------------------------------------------------------------------

exact_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200).filter(str.strip)


@settings(ANY_CHECK, max_examples=15)
@given(name=exact_text, city=exact_text, code=st.text(string.ascii_letters + string.digits + "'-. ()&eq",
                                                      min_size=1, max_size=18).filter(str.strip))
def test_a_pull_stores_any_text_from_exact_exactly(sandbox, config_path, name, city, code):
    if not (config_path.parent / "exactsync.db.tokens.json").exists():
        connect(sandbox, config_path)
    config = config_mod.load(config_path)
    account = sandbox.add_customer(Name=name, City=city, Code=code, AddressLine1=name)
    db = open_store(config.store_path)
    try:
        pull.pull(ExactClient.from_config(config), db, config.settings)
        stored = db.execute("SELECT code, name, city, address_line1 FROM customers WHERE exact_id = ?",
                            [account]).fetchone()
    finally:
        db.close()
    # Exact pads codes with leading spaces to 18 characters; the store keeps text trimmed.
    assert stored == (sandbox.accounts[account]["Code"].strip(), name.strip(), city.strip(), name.strip())


class FixedAnswers(BaseHTTPRequestHandler):
    """An Exact that answers every API read with `answer` (system/Divisions with an empty list)."""

    answer: tuple[int, str, bytes] = (200, "application/json", b"{}")

    def do_GET(self):
        status, kind, body = ((200, "application/json", b'{"d": {"results": []}}') if "system/Divisions" in self.path
                              else self.answer)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def odd_exact(config_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FixedAnswers)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    config = write_config(config_path, base_url=f"http://127.0.0.1:{server.server_address[1]}",
                                client_id="00000000-0000-4000-8000-000000000001", client_secret="s", division=1)
    TokenStore.beside(config.store_path).save(Tokens("at-x", "rt-x", time.time() + 3600))
    db = open_store(config.store_path)
    set_state(db, active=1, division=1, connected_at=utcnow())
    record_verified(db, config.settings)
    yield db
    db.close()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("kind, body, message", [
    ("text/html", b"<html>Onderhoud</html>", "the answer is text/html, not OData JSON"),
    ("application/json", b"\xff\xfe{", "the answer is application/json, not OData JSON"),
    ("application/json", b'{"d": {"results": [1, 2]}}', "the answer is application/json, not OData JSON"),
    ("application/json", b'{"d": {"results": [], "__next": 5}}', "the answer is application/json, not OData JSON"),
    ("application/json", b'{"d": {"results": [{}]}}', "Exact sent a sync/CRM/Accounts row that is not what Exact "
                                                      "sends (KeyError: 'Timestamp')"),
    ("application/json", b'{"d": {"results": [{"ID": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "Timestamp": "x"}]}}',
     "Exact sent a sync/CRM/Accounts row that is not what Exact sends (ValueError"),
    ("application/json", b'{"d": {"results": [{"ID": 7, "Timestamp": 5, "Name": ["x"], "Code": {"a": 1}}]}}',
     "Exact sent a sync/CRM/Accounts row that is not what Exact sends ("),
])
def test_an_answer_exact_would_not_send_stops_the_pull_clearly_and_stores_nothing(odd_exact, run, monkeypatch, kind,
                                                                                  body, message):
    db = odd_exact
    monkeypatch.setattr(FixedAnswers, "answer", (200, kind, body))
    assert message in error_line(run("pull"))
    assert checkpoints_moved(db) == 0
    assert counts(db)["customers"] == 0
    assert log.rows(db, log.LogFilter(kinds=("error",)))[0]["message"].startswith("pull failed: ")


# --- what goes to Exact ------------------------------------------------------------------------------

def test_control_characters_never_reach_exact_and_the_remarks_keep_their_lines(sandbox, config_path, run):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path, work_time_item=codes[0], memo="both", your_ref="both",
                                 pdfs="both")
    customer = customer_codes(db)[0]
    address = run("workaddress", "add", customer, "--street", "Kerk\x00straat\t1", "--city", "Delft\x1b[2J",
                  "--name", "Filiaal\x07 Noord").output.strip()
    number = run("workorder", "create", "--customer", customer, "--work-address", address,
                 "--description", "Lekkage\r\nkelder\x00 \x1b[31mrood\x9b", "--reference", "\x00PO\x1b-7\x7f").output.strip()
    for args in (["book-time", number, "--employee", "Jan", "--work", "60"],
                 ["add-material", number, codes[1], "2", "--description", "Kraan\x1b\n1/2\x00 inch"],
                 ["form", number, "Check", "--answer", "a=b"], ["complete", number], ["archive", number]):
        assert run("workorder", *args).exit_code == 0
    assert run("push").exit_code == 0, run("log").output

    [invoice] = sandbox.invoices.values()
    assert invoice["YourRef"] == f"{number} / PO-7"
    assert invoice["Remarks"] == "Filiaal Noord\nKerkstraat 1\nDelft[2J\nNL\n\nLekkage\nkelder [31mrood"
    assert [line["Description"] for line in invoice["SalesInvoiceLines"]][1] == "Kraan 1/2 inch"
    sent = [invoice["Description"], invoice["YourRef"], *(line["Description"] for line in invoice["SalesInvoiceLines"]),
            *(d["Subject"] for d in sandbox.documents.values()), *(a["FileName"] for a in sandbox.attachments.values())]
    assert not [text for text in sent if any(unicodedata.category(c) == "Cc" for c in text)]
    assert not [c for c in invoice["Remarks"] if unicodedata.category(c) == "Cc" and c != "\n"]
    assert_exactly_once(sandbox, db, [number])
