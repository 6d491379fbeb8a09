"""`exactsync push` against the sandbox: the invoices and documents Exact ends up with, refusals, dry run."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest

from exactsync import log
from exactsync.exact import ExactClient
from exactsync.store import get_state
from exactsync.sync import pull, push, steps
from exactsync.workorders import forms_pdf, workorder_pdf
from tests.helpers.push import (
    archived,
    assert_exactly_once,
    connected_store,
    customer_codes,
    dry_run_queue,
    run_push,
    sales_item_codes,
    unknown_in_exact,
)

pytestmark = pytest.mark.sandbox(seed=5, customers=25, items=40, minutely_limit=10_000)

POSTS = ("POST salesinvoice/SalesInvoices", "POST documents/Documents", "POST documents/DocumentAttachments")


def posts(sandbox) -> int:
    return sum(sandbox.calls[c] for c in POSTS)


def log_rows(db, kind=None):
    return [(r["kind"], r["record"], r["message"], r["action"])
            for r in reversed(log.rows(db, log.LogFilter(table="workorder", limit=None)))
            if kind is None or r["kind"] == kind]


# --- what Exact gets, per settings -----------------------------------------------------------------

COMBINATIONS = [
    # work item, travel item, default item, memo, your_ref, pdfs
    (True, True, True, "both", "both", "both"),
    (True, False, False, "work_address", "workorder_number", "workorder"),
    (False, True, True, "work_description", "customer_reference", "forms"),
    (False, False, False, "none", "none", "none"),
]


@pytest.mark.parametrize("work, travel, default, memo, your_ref, pdfs", COMBINATIONS)
def test_each_settings_combination_gives_exactly_the_expected_invoice(sandbox, config_path, run, work, travel,
                                                                      default, memo, your_ref, pdfs):
    codes = sales_item_codes(sandbox)
    settings = {"work_time_item": codes[0] if work else "", "travel_time_item": codes[1] if travel else "",
                "default_item": codes[2] if default else "", "memo": memo, "your_ref": your_ref, "pdfs": pdfs}
    config, db = connected_store(sandbox, config_path, **settings)
    customer = customer_codes(db)[0]
    number = archived(db, customer, materials=[(codes[3], "2.5")], work=20, travel=15, reference="PO-981")
    order = db["work_orders"].get(1)

    result = run("push")

    assert result.exit_code == 0, result.output
    [invoice] = sandbox.invoices.values()
    item_id = {i["Code"]: i["ID"] for i in sandbox.items.values()}
    expected_lines = ([(item_id[codes[0]], Decimal("0.3333"), sandbox.items[item_id[codes[0]]]["Description"])] * work
                      + [(item_id[codes[1]], Decimal("0.25"), sandbox.items[item_id[codes[1]]]["Description"])] * travel
                      + [(item_id[codes[3]], Decimal("2.5"), sandbox.items[item_id[codes[3]]]["Description"])]
                      + [(item_id[codes[2]], Decimal("1"), sandbox.items[item_id[codes[2]]]["Description"])] * default)
    assert [(line["Item"], line["Quantity"], line["Description"])
            for line in invoice["SalesInvoiceLines"]] == expected_lines
    assert (invoice["Journal"], invoice["OrderedBy"], invoice["Status"], invoice["Type"], invoice["Description"]) == (
        "70", order["customer_exact_id"], 20, 8020, f"Werkbon {number}")
    assert invoice["YourRef"] == {"both": f"{number} / PO-981", "workorder_number": number,
                                  "customer_reference": "PO-981", "none": None}[your_ref]
    assert invoice["Remarks"] == {"both": order["work_address"] + "\n\nCV-ketel onderhoud",
                                  "work_address": order["work_address"],
                                  "work_description": "CV-ketel onderhoud", "none": None}[memo]

    expected_pdfs = {"none": {}, "workorder": {"werkbon": workorder_pdf}, "forms": {"formulieren": forms_pdf},
                     "both": {"werkbon": workorder_pdf, "formulieren": forms_pdf}}[pdfs]
    # One document per work order holding its PDFs, and the invoice carrying it; none without PDFs.
    documents = list(sandbox.documents.values())
    assert [d["Subject"] for d in documents] == ([f"Werkbon {number}"] if expected_pdfs else [])
    for document in documents:
        assert (document["Account"], document["Type"]) == (order["customer_exact_id"], config.settings.document_type)
        attachments = {a["FileName"]: a["Attachment"] for a in sandbox.attachments.values()
                       if a["Document"] == document["ID"]}
        assert attachments == {f"{number}-{kind}.pdf": render(db, number, config.get("workorders", "company_name"))
                               for kind, render in expected_pdfs.items()}
    assert invoice["Document"] == (documents[0]["ID"] if documents else None)
    # 4 calls with both PDFs, 3 with one, 1 without: no PUT, no link step.
    assert posts(sandbox) == 1 + len(expected_pdfs) + bool(expected_pdfs)
    assert sandbox.calls["PUT salesinvoice/SalesInvoices"] == 0

    order = db["work_orders"].get(1)
    assert (order["status"], order["exact_invoice_id"]) == ("sent", invoice["InvoiceID"])
    assert order["exact_order_number"] == invoice["OrderNumber"] is not None
    assert log_rows(db, "info")[-1] == ("info", number, f"work order {number} sent to Exact as draft invoice "
                                        f"{invoice['OrderNumber']} ({invoice['InvoiceID']})"
                                        + ("" if pdfs == "none" else " with " + ", ".join(
                                            f"{number}-{kind}.pdf" for kind in expected_pdfs)),
                                        "none: check and confirm the draft invoice in Exact")
    assert get_state(db, "highest_mutation_at") is not None
    sandbox.reset_calls()
    assert run("push").exit_code == 0
    assert posts(sandbox) == 0 and len(sandbox.invoices) == 1


def test_the_pdf_bytes_arrive_unchanged(sandbox, config_path, run):
    config, db = connected_store(sandbox, config_path, pdfs="workorder", default_item=sales_item_codes(sandbox)[0])
    number = archived(db, customer_codes(db)[0])
    result = run("push", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"sent": [number], "refused": [], "retrying": [], "failed": [], "paused": [],
                                         "waiting": [], "errored": [], "adopted": 0, "left_for_next_run": 0}
    assert result.stderr == ("1 sent, 0 refused, 0 retrying, 0 failed, 0 paused, 0 waiting, 0 errored, 0 adopted, "
                             "0 left for next run\n")
    [attachment] = sandbox.attachments.values()
    assert attachment["Attachment"] == workorder_pdf(db, number, "")
    assert attachment["FileSize"] == len(attachment["Attachment"])
    assert base64.b64decode(base64.b64encode(attachment["Attachment"])).startswith(b"%PDF")


# --- refusals ------------------------------------------------------------------------------------------

def test_every_refusal_has_its_row_and_the_others_still_go_through(sandbox, config_path, run):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path, work_time_item=codes[0])
    customers = customer_codes(db)
    account_of = {a["Code"].strip(): a["ID"] for a in sandbox.accounts.values()}
    good = archived(db, customers[0], materials=[(codes[1], "1")])
    no_customer = archived(db, customers[1])
    blocked = archived(db, customers[2])
    cleaned_up = archived(db, customers[3])
    other_address = archived(db, customers[4])
    item_gone = archived(db, customers[5], materials=[(codes[2], "3")])
    nothing = archived(db, customers[6], work=None, travel=15, materials=[])
    db.execute("UPDATE work_orders SET customer_id = NULL, customer_code = '', customer_exact_id = NULL, "
               "customer_name = '' WHERE number = ?", [no_customer])
    db.execute("UPDATE work_orders SET work_address_key = (SELECT work_address_key FROM work_orders WHERE number = ?) "
               "WHERE number = ?", [good, other_address])
    sandbox.delete_account(account_of[customers[3]])
    sandbox.delete_item(next(i["ID"] for i in sandbox.items.values() if i["Code"] == codes[2]))
    assert run("pull").exit_code == 0 and run("cleanup").exit_code == 0
    sandbox.block_account(account_of[customers[2]])
    assert run("pull").exit_code == 0
    sandbox.reset_calls()

    result = run("push")

    assert result.exit_code == 0, result.output
    assert [i["Description"] for i in sandbox.invoices.values()] == [f"Werkbon {good}"]
    assert {k: v for k, v in sandbox.calls.items() if k != "POST token"} == {"POST salesinvoice/SalesInvoices": 1}
    errors = {record: (message, action) for _, record, message, action in log_rows(db, "error")}
    name = {n: db.execute("SELECT customer_code || ' (' || customer_name || ')' FROM work_orders WHERE number = ?",
                          [n]).fetchone()[0] for n in (blocked, cleaned_up, other_address)}
    assert {record: message for record, (message, _) in errors.items()} == {
        no_customer: f"work order {no_customer} has no customer: an invoice needs a customer (debtor) from Exact",
        blocked: f"work order {blocked}: customer {name[blocked]} is inactive in Exact (is blocked in Exact)",
        cleaned_up: f"work order {cleaned_up}: customer {name[cleaned_up]} is no longer in Exact (deleted there "
                    "and removed by cleanup)",
        other_address: f"work order {other_address}: its work address is not linked to customer "
                       f"{name[other_address]}",
        item_gone: f"work order {item_gone}: material item '{codes[2]}' (deleted in Exact) cannot be invoiced",
        nothing: f"work order {nothing} has nothing to invoice: no booked time with a time item set, no materials "
                 "and no default item",
    }
    assert all(action for _, action in errors.values())
    assert errors[item_gone][1] == (
        "an item deleted in Exact cannot come back, and the materials of an archived work order cannot be changed: "
        f"make this invoice by hand in Exact (exactsync workorder show {item_gone} lists the lines)")
    assert errors[nothing][1] == ("set [settings] default_item (or the time item for the time it has booked) and "
                                  "run exactsync check-settings; the next push sends it with the items then set")
    statuses = dict(db.execute("SELECT number, status FROM work_orders").fetchall())
    assert statuses == {good: "sent", **{n: "archived" for n in errors}}

    # The next run refuses again without repeating the rows; fixing the cause lets it through.
    assert run("push").exit_code == 0
    assert len(log_rows(db, "error")) == len(errors)
    sandbox.update_account(account_of[customers[2]], Blocked=False)
    assert run("pull").exit_code == 0 and run("push").exit_code == 0
    assert sorted(i["Description"] for i in sandbox.invoices.values()) == [f"Werkbon {good}", f"Werkbon {blocked}"]
    assert db["work_orders"].get(3)["status"] == "sent"


def test_a_customer_that_is_no_longer_a_customer_in_exact_is_refused_without_a_call(sandbox, config_path, run):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    code = customer_codes(db)[0]
    account = next(g for g, a in sandbox.accounts.items() if a["Code"].strip() == code)
    number = archived(db, code)
    sandbox.update_account(account, Status="P")  # a prospect: Exact answers 500 "Ongeldig: Factuur voor (Type)"
    assert run("pull").exit_code == 0
    sandbox.reset_calls()

    assert run("push").exit_code == 0
    assert posts(sandbox) == 0 and not sandbox.invoices
    [(_, record, message, action)] = log_rows(db, "error")
    name = db.execute("SELECT customer_name FROM work_orders WHERE number = ?", [number]).fetchone()[0]
    assert (record, message) == (number, f"work order {number}: customer {code} ({name}) is not a customer in Exact "
                                         "(status P), so Exact refuses an invoice for it")
    assert action.startswith("make the account a customer in Exact (status Customer)")

    sandbox.update_account(account, Status="C")
    assert run("pull").exit_code == 0 and run("push").exit_code == 0
    assert [i["Description"] for i in sandbox.invoices.values()] == [f"Werkbon {number}"]


def test_a_pdf_over_10_mb_is_refused_without_a_call(sandbox, config_path, run, monkeypatch):
    config, db = connected_store(sandbox, config_path, pdfs="workorder", default_item=sales_item_codes(sandbox)[0])
    number = archived(db, customer_codes(db)[0])
    pdf_size = push.MAX_PDF_BYTES + 1
    monkeypatch.setitem(push.PDF_RENDERERS, "workorder", lambda db, number, company: bytes(pdf_size))
    sandbox.reset_calls()

    assert run("push").exit_code == 0
    assert {k: v for k, v in sandbox.calls.items() if k != "POST token"} == {}
    [(_, record, message, action)] = log_rows(db, "error")
    assert (record, message) == (number, f"work order {number}: its PDF {number}-werkbon.pdf is {pdf_size:,} bytes, "
                                         f"more than the {push.MAX_PDF_BYTES:,} Exact takes in one call")
    assert "[settings] pdfs" in action
    assert run("push").exit_code == 0 and len(log_rows(db, "error")) == 1  # said once
    assert db["work_orders"].get(1)["status"] == "archived"

    # The largest PDF push lets through is one Exact takes.
    monkeypatch.setitem(push.PDF_RENDERERS, "workorder", lambda db, number, company: bytes(push.MAX_PDF_BYTES))
    assert run("push").exit_code == 0
    [attachment] = sandbox.attachments.values()
    assert attachment["FileSize"] == push.MAX_PDF_BYTES and db["work_orders"].get(1)["status"] == "sent"


def test_a_settings_item_outside_the_pulled_groups_is_found_in_exact(sandbox, config_path, run):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path, default_item=codes[0])
    db.execute("DELETE FROM items WHERE code = ?", [codes[0]])  # as if its group were not pulled
    archived(db, customer_codes(db)[0])
    assert run("push").exit_code == 0
    [invoice] = sandbox.invoices.values()
    assert [line["ItemCode"] for line in invoice["SalesInvoiceLines"]] == [codes[0]]


def test_a_settings_item_gone_from_exact_stops_the_run_before_sending(sandbox, config_path, run):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path, default_item=codes[0])
    db.execute("DELETE FROM items WHERE code = ?", [codes[0]])
    sandbox.delete_item(next(i["ID"] for i in sandbox.items.values() if i["Code"] == codes[0]))
    archived(db, customer_codes(db)[0])
    result = run("push")
    assert result.exit_code == 1
    assert result.output.endswith(f"Error: item {codes[0]} of [settings] default_item does not exist in Exact: "
                                  "correct the setting and run exactsync check-settings; nothing was sent\n")
    assert posts(sandbox) == 0


# --- Exact refuses ----------------------------------------------------------------------------------------


def test_a_refused_invoice_backs_off_then_fails_with_exacts_message(sandbox, config_path):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    number = archived(db, customer_codes(db)[0])
    unknown_in_exact(db, number)
    now = [1_900_000_000.0]
    tries = []
    for hours in (0, 0.1, 0.2, 0.5, 0.6, 1.7, 1.8, 6, 6.1, 12):
        now[0] = 1_900_000_000.0 + hours * 3600
        before = sandbox.calls["POST salesinvoice/SalesInvoices"]
        run_push(config_path, db, clock=lambda: now[0])
        tries.append(sandbox.calls["POST salesinvoice/SalesInvoices"] - before)
    # A 500 is known to be a refusal when the next run finds nothing in Exact. Then push waits:
    # until the next run, 15 minutes, 1 hour, 4 hours; the fifth refusal fails the work order.
    assert tries == [1, 1, 0, 1, 0, 1, 0, 1, 0, 0]
    assert db["work_orders"].get(1)["status"] == "failed"
    errors = log_rows(db, "error")
    assert errors[-1] == ("error", number, f"work order {number} failed: Exact refused its invoice 5 times: "
                          "Ongeldige referentie: Besteld door (00000000-0000-4000-8000-0000000000ff)",
                          f"correct the cause in Exact or in the work order, then run exactsync push --retry {number}")
    assert errors[0][3].startswith("check what Exact says; push tries again from ")


def test_many_refused_work_orders_stop_before_exact_would_block_the_app(sandbox, config_path):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    numbers = [archived(db, code) for code in customer_codes(db)[:9]]
    for n, number in enumerate(numbers[:8]):
        unknown_in_exact(db, number, n)
    now = [1_900_000_000.0]
    result = run_push(config_path, db, clock=lambda: now[0])
    assert sandbox.calls["POST salesinvoice/SalesInvoices"] == steps.ERRORS_PER_HOUR
    assert result.paused == numbers[steps.ERRORS_PER_HOUR:]  # the good one waits too: same endpoint
    warnings = [r for r in log_rows(db, "warning") if r[2].startswith("push paused")]
    assert [w[2] for w in warnings] == ["push paused posting to salesinvoice/SalesInvoices: Exact refused 6 calls "
                                        "there in the last hour, and it blocks the app after 10"]
    now[0] += 3601
    run_push(config_path, db, clock=lambda: now[0])
    assert [i["Description"] for i in sandbox.invoices.values()] == [f"Werkbon {numbers[8]}"]


def test_retry_queues_a_failed_work_order_again(sandbox, config_path, run, db):
    config, store = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    number = archived(store, customer_codes(store)[0])
    store.execute("UPDATE work_orders SET status = 'failed' WHERE number = ?", [number])
    store.execute("INSERT INTO outbox (work_order_id, step, state, attempts, updated_at) "
                  "VALUES (1, 'invoice', 'failed', 5, '2026-01-01T00:00:00Z')")
    result = run("push", "--retry", number.lower())
    assert result.exit_code == 0 and f"{number} queued again" in result.output
    assert run("push").exit_code == 0
    assert_exactly_once(sandbox, store, [number], pdf_kinds=())
    result = run("push", "--retry", number)
    assert result.exit_code == 1 and "is sent, not failed" in result.output


# --- dry run ---------------------------------------------------------------------------------------------

def test_dry_run_shows_invoices_and_refusals_and_writes_nothing(sandbox, config_path, run):
    db, codes, good, bad = dry_run_queue(sandbox, config_path)
    before = "\n".join(db.conn.iterdump())
    sandbox.reset_calls()

    result = run("push", "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    assert "\n".join(db.conn.iterdump()) == before
    assert {k: v for k, v in sandbox.calls.items() if not k.startswith("GET")} == {}
    shown = {s["number"]: s for s in json.loads(result.output)}
    item_id = {i["Code"]: i["ID"] for i in sandbox.items.values()}
    assert shown[good]["refusal"] is None and shown[good]["exact_invoice_id"] is None
    assert shown[good]["invoice"]["lines"] == [
        {"item": codes[0], "item_id": item_id[codes[0]], "quantity": "0.3333", "description": ""},
        {"item": codes[1], "item_id": item_id[codes[1]], "quantity": "1.5",
         "description": sandbox.items[item_id[codes[1]]]["Description"]}]
    assert (shown[good]["invoice"]["your_ref"], shown[good]["invoice"]["remarks"]) == (good, "CV-ketel onderhoud")
    assert shown[good]["invoice"]["pdfs"] == [
        {"subject": f"Werkbon {good}", "file_name": f"{good}-werkbon.pdf"},
        {"subject": f"Werkbon {good}", "file_name": f"{good}-formulieren.pdf"}]
    assert shown[good]["invoice"]["document"] == f"Werkbon {good}"
    assert shown[bad]["refusal"]["message"].startswith(f"work order {bad} has nothing to invoice")

    table = run("push", "--dry-run")
    assert table.exit_code == 0 and good in table.output and "nothing was sent" in table.output
    assert sandbox.invoices == {} and "\n".join(db.conn.iterdump()) == before


def test_nothing_is_sent_while_the_integration_is_inactive(sandbox, config_path, run):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    archived(db, customer_codes(db)[0])
    assert run("deactivate", "--yes").exit_code == 0
    result = run("push")
    assert result.exit_code == 0 and "push skipped: the integration is deactivated since" in result.output
    assert posts(sandbox) == 0


def test_a_work_order_of_a_customer_removed_by_cleanup_fails_clearly_then_others_go(sandbox, config_path, run):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    first, second = customer_codes(db)[:2]
    gone = archived(db, first)
    fine = archived(db, second)
    sandbox.delete_account(next(a["ID"] for a in sandbox.accounts.values() if a["Code"].strip() == first))
    pull.pull(ExactClient.from_config(config), db, config.settings)
    assert run("cleanup").exit_code == 0
    assert run("push").exit_code == 0
    assert [r[1] for r in log_rows(db, "error")] == [gone]
    assert "is no longer in Exact" in log_rows(db, "error")[0][2]
    assert_exactly_once(sandbox, db, [fine], pdf_kinds=())


def test_a_refused_work_order_is_fixed_with_set_customer_and_goes_with_the_next_push(sandbox, config_path, run):
    config, db = connected_store(sandbox, config_path, default_item=sales_item_codes(sandbox)[0])
    first, second = customer_codes(db)[:2]
    gone = archived(db, first)
    sandbox.delete_account(next(a["ID"] for a in sandbox.accounts.values() if a["Code"].strip() == first))
    pull.pull(ExactClient.from_config(config), db, config.settings)
    assert run("cleanup").exit_code == 0
    assert run("push").exit_code == 0
    assert posts(sandbox) == 0

    fixed = run("workorder", "set-customer", gone, "--customer", second)
    assert fixed.exit_code == 0, fixed.output
    assert run("push").exit_code == 0
    assert_exactly_once(sandbox, db, [gone], pdf_kinds=())
    invoice = next(iter(sandbox.invoices.values()))
    assert sandbox.accounts[invoice["OrderedBy"]]["Code"].strip() == second

    again = run("workorder", "set-customer", gone, "--customer", first)
    assert again.exit_code == 1
    assert again.output == (f"Error: work order {gone} already has its invoice in Exact (or is being sent): "
                            "change the customer on the draft invoice in Exact instead\n")


# --- settings are never retroactive (manual 6.3) -----------------------------------------------------------

def change_settings(run, config_path, **settings) -> None:
    """Change settings in the config as an admin does, then check them all again."""
    from exactsync import config as config_mod

    config = config_mod.load(config_path)
    for name, value in settings.items():
        config = config_mod.update(config, "settings", name, value)
    checked = run("check-settings")
    assert checked.exit_code == 0, checked.output


def group_of(sandbox, code: str) -> dict:
    item = next(i for i in sandbox.items.values() if i["Code"] == code)
    return sandbox.item_groups[item["ItemGroup"]]


def item_outside(sandbox, codes: list[str], group: dict) -> str:
    return next(c for c in codes if group_of(sandbox, c)["ID"] != group["ID"])


@pytest.mark.parametrize("cleanup_between", [False, True])
def test_narrowed_item_groups_do_not_block_a_material_booked_before(sandbox, config_path, run, cleanup_between):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path)
    material = codes[3]
    number = archived(db, customer_codes(db)[0], materials=[(material, "2")], work=None, travel=None)
    other = item_outside(sandbox, codes, group_of(sandbox, material))
    change_settings(run, config_path, item_groups=[group_of(sandbox, other)["Code"]])
    assert run("pull").exit_code == 0
    assert db.execute("SELECT active FROM items WHERE code = ?", [material]).fetchone() == (0,)
    if cleanup_between:
        assert run("cleanup").exit_code == 0
    sandbox.reset_calls()
    # The dry run reads the store only: it shows the material as push would send it.
    [shown] = json.loads(run("push", "--dry-run", "--json").output)
    assert shown["refusal"] is None and [ln["item"] for ln in shown["invoice"]["lines"]] == [material]
    assert sandbox.calls["GET logistics/Items"] == 0

    result = run("push")

    assert result.exit_code == 0, result.output
    assert_exactly_once(sandbox, db, [number], pdf_kinds=())
    [invoice] = sandbox.invoices.values()
    assert [(line["ItemCode"], line["Quantity"]) for line in invoice["SalesInvoiceLines"]] == [(material, 2)]
    # One read of that item in Exact, by ID; nothing else was asked about it.
    assert sandbox.calls["GET logistics/Items"] == 1
    assert log_rows(db, "error") == []
    # From now on it cannot be picked.
    assert run("workorder", "create", "--customer", customer_codes(db)[1], "--description", "x").exit_code == 0
    assert run("workorder", "add-material", "WO00002", material, "1").exit_code == 1


def test_a_store_without_the_item_asks_exact_and_refuses_what_exact_no_longer_has(sandbox, config_path, run):
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path)
    kept, gone = codes[3], codes[4]
    first = archived(db, customer_codes(db)[0], materials=[(kept, "1")], work=None, travel=None, form=False)
    second = archived(db, customer_codes(db)[1], materials=[(gone, "1")], work=None, travel=None, form=False)
    db.execute("DELETE FROM items WHERE code IN (?, ?)", [kept, gone])  # as after a wipe of the items
    sandbox.admin.items.pop(next(i["ID"] for i in sandbox.items.values() if i["Code"] == gone))  # not logged
    sandbox.reset_calls()

    assert run("push").exit_code == 0

    assert [i["Description"] for i in sandbox.invoices.values()] == [f"Werkbon {first}"]
    assert sandbox.calls["GET logistics/Items"] == 2
    [(_, record, message, action)] = log_rows(db, "error")
    assert (record, message) == (second, f"work order {second}: material item '{gone}' (is no longer in Exact) "
                                         "cannot be invoiced")
    assert action.startswith("an item deleted in Exact cannot come back")


@pytest.mark.parametrize("change, why, fix", [
    ({"IsSalesItem": False}, "is not a sales item in Exact", "make item '{code}' a sales item in Exact again"),
    ({"EndDate": "yesterday"}, "ended in Exact on {yesterday}", "remove or move the end date of item '{code}' in Exact"),
])
def test_an_item_exact_made_unsellable_after_archiving_is_refused_with_what_exact_can_do(
        sandbox, config_path, run, change, why, fix):
    from datetime import datetime, timedelta

    from exactsync.sandbox.data import AMSTERDAM

    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path)
    code = codes[3]
    item_id = next(i["ID"] for i in sandbox.items.values() if i["Code"] == code)
    number = archived(db, customer_codes(db)[0], materials=[(code, "1")], work=None, travel=None, form=False)
    yesterday = (datetime.now(AMSTERDAM) - timedelta(days=1)).replace(tzinfo=None, hour=0, minute=0, second=0,
                                                                      microsecond=0)
    sandbox.update_item(item_id, **{k: yesterday if v == "yesterday" else v for k, v in change.items()})
    # Outside the item groups as well: the store cannot tell, Exact is asked.
    change_settings(run, config_path, item_groups=[group_of(sandbox, item_outside(sandbox, codes,
                                                                                   group_of(sandbox, code)))["Code"]])
    assert run("pull").exit_code == 0 and run("push").exit_code == 0

    assert sandbox.invoices == {}
    [(_, _, message, action)] = log_rows(db, "error")
    why = why.format(yesterday=yesterday.date().isoformat())
    assert message == f"work order {number}: material item '{code}' ({why}) cannot be invoiced"
    assert action == fix.format(code=code) + "; the next pull and push send it"

    # Doing what the action says is enough.
    sandbox.update_item(item_id, IsSalesItem=True, EndDate=None)
    assert run("pull").exit_code == 0 and run("push").exit_code == 0
    assert [i["Description"] for i in sandbox.invoices.values()] == [f"Werkbon {number}"]


def test_time_and_default_items_changed_after_archiving_apply_to_work_orders_pushed_after_the_change(
        sandbox, config_path, run):
    """The rule: an invoice takes the work, travel and default items in force when push sends it.
    An invoice already in Exact is never changed; a cleared item books no line from then on."""
    codes = sales_item_codes(sandbox)
    config, db = connected_store(sandbox, config_path, work_time_item=codes[0], travel_time_item=codes[1],
                                 default_item=codes[2], pdfs="none")
    customers = customer_codes(db)
    before = archived(db, customers[0], work=60, travel=30)
    assert run("push").exit_code == 0
    waiting = archived(db, customers[1], work=60, travel=30)

    # New items, one of them outside the pulled item groups: push finds it in Exact.
    outside = item_outside(sandbox, codes, group_of(sandbox, codes[3]))
    change_settings(run, config_path, item_groups=[group_of(sandbox, codes[3])["Code"]], work_time_item=codes[3],
                    travel_time_item=outside, default_item=codes[5])
    assert run("pull").exit_code == 0
    assert run("push").exit_code == 0
    cleared = archived(db, customers[2], work=60, travel=30)
    change_settings(run, config_path, travel_time_item="", default_item="")
    assert run("push").exit_code == 0

    lines = {i["Description"]: [(ln["ItemCode"], ln["Quantity"]) for ln in i["SalesInvoiceLines"]]
             for i in sandbox.invoices.values()}
    assert lines == {
        f"Werkbon {before}": [(codes[0], 1), (codes[1], 0.5), (codes[2], 1)],
        f"Werkbon {waiting}": [(codes[3], 1), (outside, 0.5), (codes[5], 1)],
        f"Werkbon {cleared}": [(codes[3], 1)],
    }
