"""Push's order of steps (issue 21.1): one document per work order with its PDFs, then the invoice
carrying it; a document whose invoice Exact refused is reused and reported; work orders half-sent
under the old order (invoice, a document per PDF, the link) finish exactly once after migration 911;
the `[settings] pdfs` in force when a work order's first step went out governs it (issue 20.3)."""

from __future__ import annotations

import base64
import json

import pytest

from exactsync.exact import ExactClient
from exactsync.settings_check import verified_settings
from exactsync.store import db as store_db
from exactsync.store import set_state
from exactsync.sync import preview
from tests.helpers.push import (
    after_exact_is_done,
    archived,
    assert_exactly_once,
    connected_store,
    customer_codes,
    in_exact,
    run_push,
    sales_item_codes,
)

pytestmark = pytest.mark.sandbox(seed=15, customers=20, items=30, minutely_limit=10_000)

INVOICES, DOCUMENTS, ATTACHMENTS = "salesinvoice/SalesInvoices", "documents/Documents", "documents/DocumentAttachments"


def store(sandbox, config_path, pdfs="both"):
    config, db = connected_store(sandbox, config_path, pdfs=pdfs, default_item=sales_item_codes(sandbox)[0])
    return config, db


def steps_of(db, number: str) -> dict[str, str]:
    return dict(db.execute("SELECT o.step, o.state FROM outbox o JOIN work_orders w ON w.id = o.work_order_id "
                           "WHERE w.number = ?", [number]).fetchall())


def set_pdfs(db, pdfs: str) -> None:
    """`[settings] pdfs` changed and checked again (what check-settings leaves in the store)."""
    set_state(db, settings_verified=json.dumps({**verified_settings(db).as_dict(), "pdfs": pdfs}))


# --- a document whose invoice Exact refused ---------------------------------------------------------------

def test_a_document_made_for_an_invoice_exact_refused_is_reported_and_reused(sandbox, config_path):
    _, db = store(sandbox, config_path)
    number = archived(db, customer_codes(db)[0])
    sandbox.fault("POST", INVOICES, "error500")

    first = run_push(config_path, db)
    assert first.retrying == [number] and len(sandbox.documents) == 1 and not sandbox.invoices
    second = run_push(config_path, db)  # nothing found: a refusal; the next try is due at once

    assert second.sent == [number]
    assert_exactly_once(sandbox, db, [number])
    [document] = sandbox.documents
    waits = db.execute("SELECT kind, message, action FROM log WHERE record = ? AND message LIKE '%waits for its%'",
                       [number]).fetchall()
    assert waits == [("warning", f"work order {number}: its document {document} is on the customer's card in Exact "
                                 "and waits for its invoice",
                      f"none: the invoice that push sends for {number} carries this document; it is not made again")]
    assert sandbox.calls[f"POST {DOCUMENTS}"] == 1 and sandbox.calls[f"POST {INVOICES}"] == 2


def test_an_adopted_invoice_keeps_exacts_order_number(sandbox, config_path):
    _, db = store(sandbox, config_path, pdfs="none")
    number = archived(db, customer_codes(db)[0])
    sandbox.fault("POST", INVOICES, "drop_after_commit")
    run_push(config_path, db)

    after = run_push(config_path, db, clock=after_exact_is_done(config_path))

    [invoice] = sandbox.invoices.values()
    assert after.adopted == 1 and after.sent == [number]
    assert db.execute("SELECT exact_order_number FROM work_orders").fetchone()[0] == invoice["OrderNumber"]
    assert_exactly_once(sandbox, db, [number], pdf_kinds=())


# --- the pdfs setting in force when the first step went out (20.3) ----------------------------------------

@pytest.mark.parametrize("changed_to", ["none", "forms", "workorder"])
def test_changing_pdfs_while_a_step_waits_finishes_what_was_started(sandbox, config_path, changed_to):
    _, db = store(sandbox, config_path, pdfs="both")
    number = archived(db, customer_codes(db)[0])
    sandbox.fault("POST", ATTACHMENTS, "drop_before")  # the document is in Exact, its first PDF not
    run_push(config_path, db)
    assert steps_of(db, number)["document"] == "done"
    set_pdfs(db, changed_to)
    later = archived(db, customer_codes(db)[1])
    shown = {s["number"]: s["invoice"]["pdfs"] for s in preview.preview(db, verified_settings(db))}
    assert [p["file_name"] for p in shown[number]] == [f"{number}-werkbon.pdf", f"{number}-formulieren.pdf"]

    result = run_push(config_path, db, clock=after_exact_is_done(config_path))

    assert sorted(result.sent) == [number, later]
    assert_exactly_once(sandbox, db, [number])  # both PDFs, as when its first step went out: no empty document
    assert_exactly_once(sandbox, db, [later], pdf_kinds={"none": (), "forms": ("Formulieren",),
                                                         "workorder": ("Werkbon",)}[changed_to])


# --- work orders half-sent under the old order of steps ----------------------------------------------------

def old_store(sandbox, config_path, monkeypatch):
    """A store as the push before migration 911 left it: the migration is applied by the test."""
    with monkeypatch.context() as before:
        before.setattr(store_db, "MIGRATIONS", [m for m in store_db.MIGRATIONS if m[0] != "911_push_one_document"])
        config, db = store(sandbox, config_path)
        number = archived(db, customer_codes(db)[0])
    assert "911_push_one_document" not in {r[0] for r in db.execute("SELECT name FROM migrations")}
    return config, db, number


def old_steps(sandbox, config, db, number: str, steps: dict[str, str]) -> None:
    """What the old push had done: in Exact, each step's record (an in-flight one too, as if its answer
    was lost); in the outbox, each step in its state, the last one's try long ago."""
    client = ExactClient.from_config(config)
    order = db.execute("SELECT id, customer_exact_id FROM work_orders WHERE number = ?", [number]).fetchone()
    made = {}
    for step, state in steps.items():
        if state == "pending":  # refused: not in Exact
            made[step] = None
        elif step == "invoice link":
            client.put(f"{INVOICES}(guid'{made['invoice']}')", {"Document": made["document:workorder"]})
            made[step] = made["document:workorder"]
        elif step == "invoice":
            item = sales_item_codes(sandbox)[0]
            item_id = next(i["ID"] for i in sandbox.items.values() if i["Code"] == item)
            made[step] = client.post(INVOICES, {"OrderedBy": order[1], "Journal": "70", "Description":
                                                f"Werkbon {number}",
                                                "SalesInvoiceLines": [{"Item": item_id, "Quantity": 1}]})["InvoiceID"]
        elif step.startswith("document:"):
            subject = {"document:workorder": "Werkbon", "document:forms": "Formulieren"}[step]
            made[step] = client.post(DOCUMENTS, {"Account": order[1], "Subject": f"{subject} {number}",
                                                 "Type": 10})["ID"]
        elif step.startswith("attachment:"):
            kind = step.split(":")[1]
            file_name = f"{number}-{'werkbon' if kind == 'workorder' else 'formulieren'}.pdf"
            made[step] = client.post(ATTACHMENTS, {"Document": made[f"document:{kind}"], "FileName": file_name,
                                                   "Attachment": base64.b64encode(b"%PDF-1.4").decode()})["ID"]
        db.execute("INSERT INTO outbox (work_order_id, step, state, exact_id, attempts, last_error, updated_at) "
                   "VALUES (?, ?, ?, ?, 1, ?, '2026-01-01T00:00:00Z')",
                   [order[0], step, state, made[step] if state == "done" else None,
                    "Exact refused it" if state == "pending" else ""])
    if steps.get("invoice") == "done":
        db.execute("UPDATE work_orders SET exact_invoice_id = ? WHERE id = ?", [made["invoice"], order[0]])


OLD = ("invoice", "document:workorder", "attachment:workorder", "document:forms", "attachment:forms", "invoice link")


def stopped_at(step: str, state: str) -> dict[str, str]:
    """The old steps done before `step`, `step` in `state`, nothing after it."""
    return {**{s: "done" for s in OLD[:OLD.index(step)]}, step: state}


@pytest.mark.parametrize("step", OLD)
@pytest.mark.parametrize("state", ["in_flight", "pending"])
def test_a_work_order_half_sent_under_the_old_order_finishes_exactly_once(sandbox, config_path, monkeypatch,
                                                                          step, state):
    config, db, number = old_store(sandbox, config_path, monkeypatch)
    old_steps(sandbox, config, db, number, stopped_at(step, state))
    sandbox.reset_calls()

    store_db.migrate(db)
    result = run_push(config_path, db)

    assert result.sent == [number], result.summary()
    found = in_exact(sandbox)
    assert found["invoices"] == {f"Werkbon {number}": 1}
    pdfs = {a["FileName"]: a["Document"] for a in sandbox.attachments.values()}
    assert sorted(pdfs) == [f"{number}-formulieren.pdf", f"{number}-werkbon.pdf"]  # each PDF once
    assert set(pdfs.values()) == set(sandbox.documents), "no document without its PDF"
    assert found["documents"][f"Werkbon {number}"] == 1 and found["documents"][f"Formulieren {number}"] <= 1
    [invoice] = sandbox.invoices.values()
    if (step, state) == ("invoice", "pending"):  # it had not gone: it goes last now, carrying the one document
        assert invoice["Document"] == pdfs[f"{number}-werkbon.pdf"] == pdfs[f"{number}-formulieren.pdf"]
    assert sandbox.calls["PUT salesinvoice/SalesInvoices"] == 0
    assert run_push(config_path, db).sent == [] and len(sandbox.invoices) == 1
