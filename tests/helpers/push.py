"""Pulled stores with archived work orders, and what Exact holds for them, for the push tests."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from exactsync import config as config_mod
from exactsync.exact import ExactClient
from exactsync.sandbox.data import AMSTERDAM
from exactsync.settings_check import verified_settings
from exactsync.store import open_store
from exactsync.sync import pull, push, steps
from exactsync.workorders import lifecycle
from tests.helpers.login import connect


def sales_item_codes(sandbox) -> list[str]:
    """Codes of active sales items without odd spacing: what settings and materials use."""
    today = datetime.now(AMSTERDAM).date()
    return sorted(i["Code"] for i in sandbox.items.values()
                  if i["IsSalesItem"] and i["Code"] == i["Code"].strip() and " " not in i["Code"]
                  and (i["EndDate"] is None or i["EndDate"].date() >= today))


def customer_codes(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM customers WHERE active = 1 ORDER BY id")]


def connected_store(sandbox, config_path, **settings):
    """connect + a first pull, as an admin leaves things; returns (config, db)."""
    config = connect(sandbox, config_path, **settings)
    db = open_store(config.store_path)
    pull.pull(ExactClient.from_config(config), db, config.settings)
    return config, db


def dry_run_queue(sandbox, config_path):
    """What the dry-run tests show: a work order that would be sent (20 minutes of work, a material,
    both PDFs) and one with nothing to invoice. Returns (db, item codes, good, bad)."""
    codes = sales_item_codes(sandbox)
    _, db = connected_store(sandbox, config_path, work_time_item=codes[0], your_ref="workorder_number",
                            pdfs="both", memo="work_description")
    customers = customer_codes(db)
    good = archived(db, customers[0], materials=[(codes[1], "1.5")], work=20)
    bad = archived(db, customers[1], work=None, travel=None, materials=[])
    return db, codes, good, bad


def archived(db, customer_code: str, **kwargs) -> str:
    """An archived work order built the way users build one; returns its number."""
    number = completed(db, customer_code, **kwargs)
    lifecycle.archive(db, number)
    return number


def completed(db, customer_code: str, *, materials=(), work: int | None = 120, travel: int | None = 15,
              reference: str = "PO-1", form: bool = True, description: str = "CV-ketel onderhoud") -> str:
    number = lifecycle.create(db, prefix="WO", customer_code=customer_code, description=description,
                              customer_reference=reference)
    if work or travel:
        lifecycle.book_time(db, number, employee="Piet", minutes_by_kind={"work": work, "travel": travel})
    for code, quantity in materials:
        lifecycle.add_material(db, number, code, Decimal(quantity))
    if form:
        lifecycle.fill_form(db, number, "Veiligheid", [("Gas afgesloten?", "Ja")])
    lifecycle.complete(db, number)
    return number


def run_push(config_path, db, *, clock=None, client=None, max_seconds: float = 240, boot=None) -> push.PushResult:
    """A push run in this process; with `clock`, time has passed for real as `clock` says (the time
    since boot moves with it: no restart, no clock step) unless `boot` says otherwise."""
    config = config_mod.load(config_path)
    kwargs = {"clock": clock, "boot": boot or boot_clock_moving_with(clock)} if clock else {}
    return push.Push(client or ExactClient.from_config(config), db, verified_settings(db),
                     company_name="Installatiebedrijf Test", **kwargs).run(max_seconds)


def boot_clock_moving_with(clock: Callable[[], float]) -> Callable[[], tuple[str | None, float]]:
    """This machine's boot clock, moved on by as much as `clock` is ahead of the real time."""
    def boot() -> tuple[str | None, float]:
        boot_id, since_boot = steps.boot_clock()
        return boot_id, since_boot + clock() - time.time()
    return boot


def after_exact_is_done(config_path) -> Callable[[], float]:
    """A clock for a run that comes once Exact can no longer be storing a step left without an answer."""
    window = steps.exact_may_work_for(ExactClient.from_config(config_mod.load(config_path)))
    return lambda: time.time() + window


def in_exact(sandbox) -> dict:
    """Per work order number: how many invoices, and per document subject how many documents and attachments."""
    invoices = Counter(i["Description"] for i in sandbox.invoices.values())
    documents = Counter(d["Subject"] for d in sandbox.documents.values())
    attachments = Counter(sandbox.documents[a["Document"]]["Subject"] + "/" + a["FileName"]
                          for a in sandbox.attachments.values())
    return {"invoices": invoices, "documents": documents, "attachments": attachments}


def assert_exactly_once(sandbox, db, numbers, pdf_kinds=("Werkbon", "Formulieren")):
    """Each work order: one invoice, and with PDFs one document "Werkbon WO..." holding one attachment
    per PDF, carried by the invoice."""
    found = in_exact(sandbox)
    for number in numbers:
        assert found["invoices"][f"Werkbon {number}"] == 1, (number, found["invoices"])
        subject = f"Werkbon {number}"
        assert found["documents"][subject] == (1 if pdf_kinds else 0), (subject, found["documents"])
        for kind in pdf_kinds:
            file_name = f"{number}-{'werkbon' if kind == 'Werkbon' else 'formulieren'}.pdf"
            assert found["attachments"][f"{subject}/{file_name}"] == 1, (subject, found["attachments"])
    statuses = dict(db.execute("SELECT number, status FROM work_orders").fetchall())
    assert {statuses[n] for n in numbers} == {"sent"}, statuses
    invoice_ids = dict(db.execute("SELECT number, exact_invoice_id FROM work_orders").fetchall())
    for number in numbers:
        invoice = sandbox.invoices[invoice_ids[number]]
        assert invoice["Description"] == f"Werkbon {number}"
        linked = [d["ID"] for d in sandbox.documents.values() if d["Subject"] == f"Werkbon {number}"]
        assert [invoice["Document"]] == (linked if pdf_kinds else [None]), (number, invoice["Document"])


def cheap_pdfs(monkeypatch) -> None:
    """Rendering costs ~0.3 s a PDF; where the content does not matter, a stand-in will do."""
    for kind in push.PDF_RENDERERS:
        monkeypatch.setitem(push.PDF_RENDERERS, kind, lambda db, number, company: b"%PDF-1.4 " + number.encode())


def unknown_in_exact(db, number: str, n: int = 255) -> None:
    """Give the work order's customer an Exact ID that Exact does not know: Exact answers 500."""
    guid = f"00000000-0000-4000-8000-{n:012x}"
    customer = db.execute("SELECT customer_exact_id FROM work_orders WHERE number = ?", [number]).fetchone()[0]
    db.execute("UPDATE customers SET exact_id = ? WHERE exact_id = ?", [guid, customer])
    db.execute("UPDATE work_orders SET customer_exact_id = ? WHERE number = ?", [guid, number])
