"""`workorder import` by the app's own id: a known external_id updates its work order while it can
change, is a no-op when nothing differs, and is refused once archived unless identical; --each."""

import json

import pytest

from tests.helpers.cli_results import ok, refused
from tests.helpers.factories import add_customer, add_item
from tests.helpers.feed import cursor_of, everything, export, records
from tests.helpers.feed import write_entries as write


@pytest.fixture
def shop(db):
    return {"customer": add_customer(db, "25", "Bakkerij Jansen"), "other": add_customer(db, "26"),
            "item": add_item(db, "M100", "Kraan messing"), "pipe": add_item(db, "P1", "Buis")}


OPEN = {"external_id": "app-1", "customer": "25", "description": "Lekkage verhelpen",
        "hours": [{"kind": "work", "minutes": 30, "employee": "Jan"}]}
COMPLETED = {**OPEN, "customer_reference": " PO-1 ",
             "planned": {"employee": "Jan", "date": "2026-12-01", "time": "08:30"},
             "hours": [{"kind": "work", "minutes": 90, "employee": "Jan"},
                       {"kind": "travel", "minutes": 15, "employee": "Jan"}],
             "materials": [{"item": "M100", "quantity": "1,5"}, {"item": "P1", "quantity": 2, "description": "pvc"}],
             "forms": [{"name": "Veiligheid", "answers": {"Gas afgesloten?": "Ja"}},
                       {"name": "Meter", "answers": {"Stand": 1}}, {"name": "Veiligheid", "answers": {"Gas?": "Nee"}}],
             "work_address": {"street": "Kerkstraat 1", "postcode": "3511 AA", "city": "Utrecht"},
             "status": "completed"}


def show(run, number) -> dict:
    return json.loads(ok(run("workorder", "show", number, "--json")))


def test_round_trip_twice_with_the_same_files(run, db, tmp_path, shop):
    """Export, import with external_id, import again, read the state back; then the same again."""
    feed = export(run)
    customer = next(line for line in feed if line["type"] == "customer" and line["code"] == "25")
    address = next(line for line in feed if line["type"] == "work_address" and line["customer_id"] == customer["id"])
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([{**OPEN, "customer": customer["code"], "work_address": address["id"]},
                                  {**COMPLETED, "external_id": "app-2"}]), encoding="utf-8")
    assert ok(run("workorder", "import", str(orders))).split() == ["WO00001", "WO00002"]
    state = records(export(run, "--since", cursor_of(feed)))
    lines = {line["external_id"]: line for (kind, _), line in state.items() if kind == "work_order"}
    assert {k: (v["number"], v["status"], v["exact"]["state"]) for k, v in lines.items()} == {
        "app-1": ("WO00001", "open", None), "app-2": ("WO00002", "completed", None)}

    before = everything(db, "log")
    for _ in range(2):
        again = run("workorder", "import", str(orders))
        assert ok(again).split() == ["WO00001", "WO00002"]
        assert "0 work orders created, 0 updated, 2 unchanged" in again.stderr
        assert everything(db, "log") == before  # nothing changed, not even the log or the feed
    assert show(run, "WO00002")["external_id"] == "app-2"


def test_a_known_external_id_updates_its_work_order(run, db, tmp_path, shop):
    first = run("workorder", "import", write(tmp_path, [OPEN]))
    assert ok(first) == "WO00001" and "imported 1 work order from " in first.stderr
    result = run("workorder", "import", write(tmp_path, [COMPLETED]))
    assert ok(result) == "WO00001"
    assert "0 work orders created, 1 updated, 0 unchanged" in result.stderr
    order = show(run, "WO00001")
    assert (order["status"], order["customer_reference"], order["planned"]["time"]) == ("completed", "PO-1", "08:30")
    assert [(h["kind"], h["minutes"]) for h in order["hours"]] == [("work", 90), ("travel", 15)]
    assert [(m["item"], m["quantity"], m["description"]) for m in order["materials"]] == [
        ("M100", "1.5", "Kraan messing"), ("P1", "2", "pvc")]
    assert [f["name"] for f in order["forms"]] == ["Meter", "Veiligheid"]
    assert order["work_address"]["lines"] == ["Kerkstraat 1", "3511 AA Utrecht", "NL"]
    assert db.execute("SELECT count(*) FROM work_orders").fetchone()[0] == 1
    # The completed entry again: nothing to do.
    assert "1 unchanged" in run("workorder", "import", write(tmp_path, [COMPLETED])).stderr


def test_an_archived_work_order_takes_only_an_identical_entry(run, db, tmp_path, shop):
    archived = {**COMPLETED, "status": "archived"}
    ok(run("workorder", "import", write(tmp_path, [archived])))
    assert "1 unchanged" in run("workorder", "import", write(tmp_path, [archived])).stderr
    before = everything(db)
    changed = {**archived, "description": "Iets anders", "materials": []}
    path = write(tmp_path, [changed])
    refused(run("workorder", "import", path), "\n".join([
        f"{path} has 1 problem; nothing was imported:",
        "  entry 0, external_id: work order WO00001 is archived and can no longer change, but the entry differs in "
        "description, materials: send it as it is now (exactsync workorder show WO00001 --json); correct the draft "
        "invoice in Exact instead",
        "fix them in the file and import it again"]))
    assert everything(db) == before


@pytest.mark.parametrize("pushed", ["sent", "failed"])
def test_the_archiving_entry_again_after_push_changes_nothing(run, db, tmp_path, shop, pushed):
    """The app sends its whole state on every sync: once push has moved the work order on, the entry
    that archived it is still that work order, not a change to refuse."""
    archived = {**COMPLETED, "status": "archived"}
    ok(run("workorder", "import", write(tmp_path, [archived])))
    db.execute("UPDATE work_orders SET status = ? WHERE number = 'WO00001'", [pushed])
    db.conn.commit()
    result = run("workorder", "import", write(tmp_path, [archived]))
    assert ok(result) == "WO00001"
    assert "0 work orders created, 0 updated, 1 unchanged" in result.stderr
    changed = write(tmp_path, [{**archived, "materials": []}])
    refused(run("workorder", "import", changed), "\n".join([
        f"{changed} has 1 problem; nothing was imported:",
        f"  entry 0, external_id: work order WO00001 is {pushed} and can no longer change, but the entry differs "
        "in materials: send it as it is now (exactsync workorder show WO00001 --json); correct the draft invoice in "
        "Exact instead",
        "fix them in the file and import it again"]))


def test_the_archiving_entry_again_after_its_customer_and_item_left_exact_changes_nothing(run, db, tmp_path, shop):
    """Blocked in Exact, then removed by cleanup after the work order was sent: the same entry is still
    that work order, not a new one to check against today's customers and items."""
    archived = {**COMPLETED, "status": "archived"}
    ok(run("workorder", "import", write(tmp_path, [archived])))
    db.execute("UPDATE work_orders SET status = 'sent' WHERE number = 'WO00001'")
    db.execute("UPDATE customers SET active = 0, inactive_reason = 'blocked' WHERE code = '25'")
    db.execute("UPDATE items SET active = 0 WHERE code = 'M100'")
    db.conn.commit()
    result = run("workorder", "import", write(tmp_path, [dict(reversed(archived.items()))]))  # keys in another order
    assert ok(result) == "WO00001"
    assert "0 work orders created, 0 updated, 1 unchanged" in result.stderr
    with db.conn:  # as cleanup removes it: work orders keep their own copy of the customer
        db.execute("UPDATE work_orders SET customer_id = NULL")
        db.execute("DELETE FROM work_addresses WHERE customer_id = ?", [shop["customer"]["id"]])
        db.execute("DELETE FROM customers WHERE code = '25'")
    assert ok(run("workorder", "import", write(tmp_path, [archived]))) == "WO00001"
    changed = write(tmp_path, [{**archived, "description": "Iets anders"}])
    assert run("workorder", "import", changed).exit_code == 1  # a change is still checked, and refused


def test_a_status_only_moves_forward(run, db, tmp_path, shop):
    ok(run("workorder", "import", write(tmp_path, [COMPLETED])))
    path = write(tmp_path, [{**COMPLETED, "status": "open"}])
    refused(run("workorder", "import", path), "\n".join([
        f"{path} has 1 problem; nothing was imported:",
        "  entry 0, external_id: work order WO00001 is completed: an entry cannot move it back to planned; a status "
        "only moves forward (open, planned, completed, archived)",
        "fix them in the file and import it again"]))


def test_each_imports_the_good_entries_and_reports_the_others(run, db, tmp_path, shop):
    ok(run("workorder", "import", write(tmp_path, [{**COMPLETED, "status": "archived"}])))
    entries = [{**OPEN, "external_id": "new-1"}, {**OPEN, "description": "changed"},
               {**OPEN, "external_id": "new-2", "customer": "99"}, {**OPEN, "external_id": "new-1"}]
    path = write(tmp_path, entries)
    before = everything(db)
    assert run("workorder", "import", path).exit_code == 1
    assert everything(db) == before  # all or nothing by default

    result = run("workorder", "import", "--each", path)
    assert result.exit_code == 1
    assert result.stdout.split() == ["WO00002"]
    assert result.stderr.splitlines()[1:] == [
        f"Error: {path}: 3 entries refused, the others were imported:",
        "  entry 1, external_id: work order WO00001 is archived and can no longer change, but the entry differs in "
        "work_address, description, customer_reference, planned, hours, materials, forms, status: send it as it is "
        "now (exactsync workorder show WO00001 --json); correct the draft invoice in Exact instead",
        "  entry 2, customer: customer 99 does not exist: check the code in Exact; a customer added there arrives "
        "with the next exactsync pull",
        "  entry 3, external_id: 'new-1' is also the external_id of entry 0: give each work order its own",
        "fix those entries and import them again (an entry with an external_id is never imported twice)"]
    assert show(run, "WO00002")["external_id"] == "new-1"
    warning = json.loads(ok(run("log", "--json", "--limit", "1")).splitlines()[0])
    assert warning["kind"] == "warning" and warning["message"].startswith(f"import of {path}: 3 entries refused")


def test_an_entry_that_fails_while_stored_is_refused_alone_with_each(run, db, tmp_path, shop):
    ok(run("workorder", "import", write(tmp_path, [COMPLETED])))
    # Planned again after completing: refused by the same rule as `workorder plan`.
    replanned = {**COMPLETED, "planned": {"employee": "Piet", "date": "2026-12-02"}}
    result = run("workorder", "import", "--each", write(tmp_path, [replanned, {**OPEN, "external_id": "b"}]))
    assert result.exit_code == 1 and result.stdout.split() == ["WO00002"]
    assert "entry 0: work order WO00001 is already completed: there is nothing left to plan" in result.stderr
    assert show(run, "WO00001")["planned"]["employee"] == "Jan"


@pytest.mark.parametrize("value", ["", "   ", 42, "x" * 201, ["a"]])
def test_an_external_id_must_be_text(run, tmp_path, shop, value):
    path = write(tmp_path, [{**OPEN, "external_id": value}])
    result = run("workorder", "import", path)
    assert result.exit_code == 1
    assert ("entry 0, external_id: must be text of 1 to 200 characters: the app's own id of the work order"
            in result.stderr)
