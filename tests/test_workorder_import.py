"""`workorder import`: all or nothing, every problem listed by entry index and field."""

import json
from pathlib import Path

import pytest

from tests.helpers.cli_results import ok, refused
from tests.helpers.factories import add_customer, add_item


@pytest.fixture
def shop(db):
    return {
        "customer": add_customer(db, "25", "Bakkerij Jansen"),
        "other": add_customer(db, "26", "Slagerij Pietersen"),
        "inactive": add_customer(db, "30", active=False),
        "item": add_item(db, "M100", "Kraan messing"),
        "old": add_item(db, "OLD", active=False),
    }


GOOD = [
    {"customer": "25", "description": "Lekkage verhelpen", "customer_reference": "PO-1",
     "planned": {"employee": "Jan", "date": "2026-12-01", "time": "08:30"},
     "hours": [{"kind": "work", "minutes": 90, "employee": "Jan"}, {"kind": "travel", "minutes": 15, "employee": "Jan"}],
     "materials": [{"item": "M100", "quantity": 1.5}, {"item": "M100", "quantity": "2", "description": "extra"}],
     "forms": [{"name": "Veiligheid", "answers": {"Gas afgesloten?": "Ja", "Meterstand": 1234}}],
     "status": "archived"},
    {"customer": "25", "description": "Onderhoud",
     "work_address": {"street": "Kerkstraat 1", "postcode": "3511 AA", "city": "Den Haag"}},
    {"customer": "25", "description": "Nog een keer daar", "status": "completed",
     "work_address": {"street": "kerkstraat 1", "postcode": "3511 aa", "city": "Den Haag", "country": "nl"}},
    {"customer": "26", "description": "Planned only", "planned": {"employee": "Piet", "date": "2026-12-02"}},
]


def write(tmp_path, entries) -> str:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


def everything(db) -> list:
    return [list(db.query(f"SELECT * FROM {t}")) for t in (
        "work_orders", "work_addresses", "time_bookings", "materials", "forms", "form_answers", "state")]


def test_import_good_file(run, db, tmp_path, shop):
    result = run("workorder", "import", write(tmp_path, GOOD))
    assert ok(result).split() == ["WO00001", "WO00002", "WO00003", "WO00004"]
    orders = {o["number"]: o for o in json.loads(ok(run("workorder", "list", "--json")))}
    assert {n: o["status"] for n, o in orders.items()} == {
        "WO00001": "archived", "WO00002": "open", "WO00003": "completed", "WO00004": "planned"}
    first = json.loads(ok(run("workorder", "show", "WO00001", "--json")))
    assert first["planned"] == {"employee": "Jan", "date": "2026-12-01", "time": "08:30"}
    assert first["totals"] == {"work_minutes": 90, "travel_minutes": 15}
    assert [(m["item"], m["quantity"], m["description"]) for m in first["materials"]] == [
        ("M100", "1.5", "Kraan messing"), ("M100", "2", "extra")]
    assert first["forms"][0]["answers"] == [{"question": "Gas afgesloten?", "answer": "Ja"},
                                            {"question": "Meterstand", "answer": "1234"}]
    assert first["work_address"]["id"] == shop["customer"]["work_address_id"]
    # The same new address twice (spelled differently) is added once.
    second = json.loads(ok(run("workorder", "show", "WO00002", "--json")))
    third = json.loads(ok(run("workorder", "show", "WO00003", "--json")))
    assert second["work_address"]["id"] == third["work_address"]["id"] != first["work_address"]["id"]
    assert db.execute("SELECT count(*) FROM work_addresses WHERE customer_id = ?",
                      [shop["customer"]["id"]]).fetchone()[0] == 2
    messages = [json.loads(line)["message"] for line in ok(run("log", "--table", "workorder", "--json")).splitlines()]
    assert messages[0].startswith("imported 4 work orders from ") and messages[0].endswith("WO00001 to WO00004")


def test_one_bad_entry_rejects_the_file_with_every_problem(run, db, tmp_path, shop):
    add_customer(db, "40", with_work_address=False)
    other_address = shop["other"]["work_address_id"]
    bad = GOOD + [
        {"customer": "99", "description": "", "status": "sent", "colour": "red"},
        {"customer": "25", "description": "x", "work_address": other_address,
         "planned": {"employee": "", "date": "01-12-2026", "time": "8u"},
         "hours": [{"kind": "pause", "minutes": 1.5, "employee": "Jan"}, "lots"],
         "materials": [{"item": "X9", "quantity": 1}, {"item": "OLD", "quantity": "-2"}],
         "forms": [{"name": "Check", "answers": {}}, {"name": "", "answers": {"q": ["a"]}}]},
        {"customer": "30", "description": "x", "work_address": {"street": "", "city": "Delft", "zip": "1"}},
        {"customer": "40", "description": "x"},
        "not an object",
        {"customer": "25", "description": "x", "hours": {"kind": "work"}, "work_address": "Kerkstraat"},
    ]
    before = everything(db)
    result = run("workorder", "import", write(tmp_path, bad))
    path = tmp_path / "orders.json"
    refused(result, "\n".join([
        f"{path} has 24 problems; nothing was imported:",
        "  entry 4: unknown field 'colour' (known: external_id, customer, work_address, description, customer_reference, "
        "planned, hours, materials, forms, status)",
        "  entry 4, customer: customer 99 does not exist: check the code in Exact; a customer added there arrives "
        "with the next exactsync pull",
        "  entry 4, description: the description must not be empty",
        "  entry 4, status: must be one of open, completed, archived, got 'sent'",
        f"  entry 5, work_address: work address {other_address} belongs to another customer, not to customer "
        f"25 (Bakkerij Jansen): choose one from exactsync workaddress list 25, or add one there",
        "  entry 5, planned.employee: the employee must not be empty",
        "  entry 5, planned.date: date must be a date as YYYY-MM-DD, e.g. 2026-12-01, got '01-12-2026'",
        "  entry 5, planned.time: time must be HH:MM on a 24-hour clock, e.g. 08:30, got '8u'",
        "  entry 5, hours[0].kind: must be work or travel, got 'pause'",
        "  entry 5, hours[0].minutes: minutes must be a whole number from 1 to 1440 (24 hours) per booking, "
        "got 1.5: book longer work per day",
        "  entry 5, hours[1]: must be an object with kind, minutes, employee",
        "  entry 5, materials[0].item: item 'X9' is not an item from Exact: choose an item pulled from Exact "
        "(one added there arrives with the next exactsync pull)",
        "  entry 5, materials[1].item: item 'OLD' is inactive in Exact: make item OLD active in Exact again, or "
        "choose another item",
        "  entry 5, materials[1].quantity: quantity must be a number above 0 such as 1.5, got '-2'",
        "  entry 5, forms[0].answers: must be an object of question: answer, with at least one",
        "  entry 5, forms[1].name: the form name must not be empty",
        "  entry 5, forms[1].answers.q: the answer must be text or a number",
        "  entry 6, customer: customer 30 (Klant 30) is inactive in Exact: make customer 30 active in Exact "
        "again, or choose another customer",
        "  entry 6, work_address: unknown field 'zip' (known: name, street, postcode, city, country)",
        "  entry 6, work_address.street: the street must not be empty",
        "  entry 7, work_address: customer 40 (Klant 40) has no work address: add one with exactsync workaddress "
        "add 40 --street ... --postcode ... --city ...",
        "  entry 8: must be an object with external_id, customer, work_address, description, customer_reference, planned, "
        "hours, materials, forms, status",
        "  entry 9, work_address: must be a work address id or an object with name, street, postcode, city, country",
        "  entry 9, hours: must be a list",
        "fix them in the file and import it again",
    ]))
    assert everything(db) == before
    warning = json.loads(ok(run("log", "--warnings", "--json")).splitlines()[0])
    assert (warning["table"], warning["record"]) == ("workorder", str(path))
    assert warning["message"] == (f"import of {path} refused, nothing imported: 24 problems, the first: entry 4: "
                                  "unknown field 'colour' (known: external_id, customer, work_address, description, "
                                  "customer_reference, planned, hours, materials, forms, status)")
    assert warning["action"] == "fix every problem the import printed, then import the file again"


def test_address_problems_of_an_otherwise_good_entry(run, db, tmp_path, shop):
    entries = [{"customer": "25", "description": "x", "work_address": {"street": " ", "city": 5, "zip": "1"}}]
    result = run("workorder", "import", write(tmp_path, entries))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:4] == [
        "  entry 0, work_address: unknown field 'zip' (known: name, street, postcode, city, country)",
        "  entry 0, work_address.city: must be text",
        "  entry 0, work_address.street: the street must not be empty",
    ]


@pytest.mark.parametrize("content, message", [
    ("{\"customer\": \"25\"}", "must hold a list of work orders ([{...}, ...]), not a dict"),
    ("[{", "is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 3 (char 2)): "
           "fix the file and import it again"),
])
def test_unreadable_files(run, tmp_path, shop, content, message):
    path = tmp_path / "orders.json"
    path.write_text(content, encoding="utf-8")
    refused(run("workorder", "import", str(path)), f"{path} {message}")


def test_a_failure_while_storing_rolls_back_everything(run, db, tmp_path, shop, monkeypatch):
    from exactsync.workorders import lifecycle

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lifecycle, "fill_form", broken)
    before = everything(db)
    with pytest.raises(RuntimeError):
        run("workorder", "import", write(tmp_path, GOOD))
    assert everything(db) == before


def test_the_readme_example_imports(run, db, tmp_path, shop):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("exactsync workorder import orders.json", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "orders.json"
    path.write_text(example, encoding="utf-8")
    assert ok(run("workorder", "import", str(path))) == "WO00001"


def test_absurd_numbers_are_refused_by_entry_and_field(run, db, tmp_path, shop):
    entry = {"customer": "25", "description": "x"}
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([
        {**entry, "hours": [{"kind": "work", "minutes": 10**19, "employee": "Jan"},
                            {"kind": "travel", "minutes": 1441, "employee": "Jan"}]},
        {**entry, "work_address": 10**30},
        {**entry, "materials": [{"item": "M100", "quantity": 10**12}, {"item": "M100", "quantity": 0.00001},
                                {"item": "M100", "quantity": "1,23456"}]},
        {**entry, "hours": [{"kind": "work", "minutes": 1440, "employee": "Jan"}] * 42},
    ])[:-1] + ', {"customer": "25", "description": "x", "hours": [{"kind": "work", "employee": "Jan", "minutes": '
              + "7" * 5000 + '}], "work_address": ' + "8" * 5000 + '}]', encoding="utf-8")
    before = everything(db)
    refused(run("workorder", "import", str(path)), "\n".join([
        f"{path} has 9 problems; nothing was imported:",
        "  entry 0, hours[0].minutes: minutes must be a whole number from 1 to 1440 (24 hours) per booking, "
        "got 10000000000000000000: book longer work per day",
        "  entry 0, hours[1].minutes: minutes must be a whole number from 1 to 1440 (24 hours) per booking, "
        "got 1441: book longer work per day",
        f"  entry 1, work_address: work address {10**30} does not exist: see exactsync workaddress list CUSTOMER_CODE",
        "  entry 2, materials[0].quantity: quantity must be at most 100,000 with at most 4 decimals (what Exact "
        "keeps), got 1000000000000",
        "  entry 2, materials[1].quantity: quantity must be at most 100,000 with at most 4 decimals (what Exact "
        "keeps), got 1e-05",
        "  entry 2, materials[2].quantity: quantity must be at most 100,000 with at most 4 decimals (what Exact "
        "keeps), got '1,23456'",
        "  entry 3, hours: work time on the work order would add up to 60480 minutes, more than the 60000 (1000 "
        "hours) one work order may hold: check the bookings; split a job that large over several work orders",
        "  entry 4, work_address: must be a work address id or an object with name, street, postcode, city, country",
        "  entry 4, hours[0].minutes: minutes must be a whole number from 1 to 1440 (24 hours) per booking, "
        "got a number of more than 40 digits: book longer work per day",
        "fix them in the file and import it again",
    ]))
    assert everything(db) == before
