"""The contract: the JSON Schemas that ship in the package, held to what `workorder import` really
accepts and refuses, and to every kind of line `export` really prints."""

import json

import jsonschema
import pytest

from exactsync import log
from exactsync.fieldapp import schemas
from exactsync.store import outbox, transaction
from exactsync.store import workorders as store
from exactsync.sync import cleanup, mapping
from exactsync.wipe import wipe
from exactsync.workorders import lifecycle
from tests.helpers.cli_results import ok
from tests.helpers.factories import add_customer, add_item
from tests.helpers.feed import cursor_of, export, write_entries


def validator(run, *command: str) -> jsonschema.Draft202012Validator:
    """The schema as the command prints it, itself checked against the draft."""
    schema = json.loads(ok(run(*command, "--schema")))
    assert schema == schemas.load(schemas.IMPORT if "import" in command else schemas.EXPORT)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def shop(db):
    return {"customer": add_customer(db, "25", "Bakkerij Jansen"), "item": add_item(db, "M100", "Kraan")}


FULL = {"external_id": "app-7", "customer": "25", "work_address": None, "description": "Onderhoud",
        "customer_reference": "PO-1", "planned": {"employee": "Jan", "date": "2026-12-01", "time": "08:30"},
        "hours": [{"kind": "work", "minutes": 90, "employee": "Jan"}, {"kind": "travel", "minutes": "15",
                                                                          "employee": "Jan"}],
        "materials": [{"item": "M100", "quantity": 1.5}, {"item": "M100", "quantity": "2,25", "description": "x"}],
        "forms": [{"name": "Veiligheid", "answers": {"Gas afgesloten?": "Ja", "Meterstand": 1234}}],
        "status": "completed"}
ACCEPTED = [
    {"customer": "25", "description": "Minimaal"},
    FULL,
    {**FULL, "external_id": "app-8", "work_address": {"street": "Kerkstraat 1", "city": "Utrecht"}, "status": "open",
     "planned": {"employee": "Piet", "date": "2026-12-02", "time": ""}, "hours": None, "materials": [], "forms": None},
    {**FULL, "external_id": "app-9", "status": "archived"},
]
REFUSED = [  # each refused by the schema and by the import
    {"description": "no customer"},
    {"customer": "25"},
    {"customer": "25", "description": "   "},
    {"customer": "25", "description": "x", "colour": "red"},
    {"customer": "25", "description": "x", "external_id": ""},
    {"customer": "25", "description": "x", "external_id": 7},
    {"customer": "25", "description": "x", "status": "sent"},
    {"customer": "25", "description": "x", "work_address": "Kerkstraat"},
    {"customer": "25", "description": "x", "work_address": {"street": "Kerkstraat 1"}},
    {"customer": "25", "description": "x", "planned": {"employee": "Jan", "date": "01-12-2026"}},
    {"customer": "25", "description": "x", "planned": {"employee": "Jan", "date": "2026-12-01", "time": "8u"}},
    {"customer": "25", "description": "x", "hours": [{"kind": "pause", "minutes": 5, "employee": "Jan"}]},
    {"customer": "25", "description": "x", "hours": [{"kind": "work", "minutes": 0, "employee": "Jan"}]},
    {"customer": "25", "description": "x", "hours": [{"kind": "work", "minutes": 1441, "employee": "Jan"}]},
    {"customer": "25", "description": "x", "hours": {"kind": "work"}},
    {"customer": "25", "description": "x", "materials": [{"item": "M100"}]},
    {"customer": "25", "description": "x", "materials": [{"item": "M100", "quantity": -1}]},
    {"customer": "25", "description": "x", "materials": [{"item": "M100", "quantity": 100001}]},
    {"customer": "25", "description": "x", "materials": [{"item": "M100", "quantity": "veel"}]},
    {"customer": "25", "description": "x", "forms": [{"name": "F", "answers": {}}]},
    {"customer": "25", "description": "x", "forms": [{"name": "F", "answers": {"Q": True}}]},
    "not an object",
]


def test_what_the_import_schema_accepts_the_import_accepts(run, tmp_path, shop):
    schema = validator(run, "workorder", "import")
    for entry in ACCEPTED:
        schema.validate([entry])
    ok(run("workorder", "import", write_entries(tmp_path, ACCEPTED)))


@pytest.mark.parametrize("entry", REFUSED, ids=range(len(REFUSED)))
def test_what_the_import_schema_refuses_the_import_refuses(run, tmp_path, shop, entry):
    assert not validator(run, "workorder", "import").is_valid([entry])
    result = run("workorder", "import", write_entries(tmp_path, [entry]))
    assert result.exit_code == 1 and "nothing was imported" in result.stderr


def test_every_kind_of_line_the_export_prints_is_in_its_schema(run, db, tmp_path, shop):
    schema = validator(run, "export")
    inactive = add_customer(db, "26")
    add_item(db, "OLD", active=False)
    local = add_customer(db, "L1", from_exact=False)
    ok(run("workorder", "import", write_entries(tmp_path, ACCEPTED)))
    archived = store.work_order_by_number(db, "WO00004")
    refused, sent, failed = (store.work_order_by_number(db, lifecycle.create(
        db, prefix="WO", customer_code="25", description=d)) for d in ("refused", "sent", "failed"))
    with transaction(db):
        store.update_work_order(db, refused["id"], {"status": "archived"})
        outbox.set_last_error(db, refused["id"], "invoice", "no customer")
        log.error(db, "workorder", "refused", record=refused["number"], action="fix it")
        store.update_work_order(db, sent["id"], {"status": "sent", "exact_invoice_id": "i", "exact_order_number": 3,
                                                 "exact_invoice_number": 9, "exact_processed_at": "2026-12-02T10:00:00Z"})
        store.update_work_order(db, failed["id"], {"status": "failed"})
        log.error(db, "workorder", "failed", record=failed["number"], action="push --retry")
        db["customers"].update(inactive["id"], {"active": 0, "inactive_reason": mapping.ENDED_ON.format(day="2026-01-01")})
    everything = export(run)
    since = cursor_of(everything)
    cleanup.cleanup(db)
    changed = export(run, "--since", since)
    wipe(db, ["items"])
    reset = export(run, "--since", cursor_of(changed))

    lines = everything + changed + reset
    for line in lines:
        schema.validate(line)
    kinds = {(line["type"], line.get("state"), (line.get("exact") or {}).get("state")) for line in lines}
    assert kinds >= {("customer", "active", None), ("customer", "inactive", None), ("customer", "removed", None),
                     ("work_address", "active", None), ("work_address", "removed", None),
                     ("item", "active", None), ("item", "inactive", None), ("item", "removed", None),
                     ("work_order", "active", None), ("work_order", "active", "queued"),
                     ("work_order", "active", "refused"), ("work_order", "active", "sent"),
                     ("work_order", "active", "failed"), ("reset", None, None), ("cursor", None, None)}
    assert archived["status"] == "archived" and local["id"]
    shown = json.loads(ok(run("workorder", "show", sent["number"], "--json")))
    jsonschema.validate(shown["exact"], {**schemas.load(schemas.EXPORT), "oneOf": [{"$ref": "#/$defs/exact"}]})
    assert shown["exact"]["state"] == "sent" and shown["exact"]["invoice_number"] == 9
