"""`push --dry-run`: what push would send now, read from the store only."""

from __future__ import annotations

import sqlite_utils

from exactsync.config import Settings
from exactsync.store import outbox
from exactsync.sync import invoice
from exactsync.sync.push import broken, stops_the_run
from exactsync.sync.steps import INVOICE_STEP, Steps


def preview(db: sqlite_utils.Database, settings: Settings) -> list[dict]:
    """One dict per queued work order, with the invoice and, when it would be refused, the refusal.
    A settings item that is not in the store shows its code with item_id None; push asks Exact for
    it. A work order whose first step went out keeps the `pdfs` in force then, as in push."""
    item_ids = invoice.local_item_ids(db, invoice.setting_item_codes(settings))
    return [shown(db, order, settings, item_ids) for order in outbox.push_queue(db)]


def shown(db: sqlite_utils.Database, order: dict, settings: Settings, item_ids: dict[str, str]) -> dict:
    steps = Steps.of(db, order["id"])
    entry = {"number": order["number"], "invoice": None,
             "exact_invoice_id": steps.exact_id(INVOICE_STEP),  # set: only PDFs are left (sent before 911)
             "refusal": None, "error": None}
    try:
        built, refused = invoice.plan(invoice.read_parts(db, order), steps.in_force(settings), item_ids)
    except Exception as exc:
        if stops_the_run(exc):
            raise
        message, action = broken(order["number"], exc)
        return {**entry, "error": {"message": str(message), "action": str(action)}}
    if entry["exact_invoice_id"]:
        refused = None  # as in push: once the invoice is in Exact, its PDFs go whatever changed since
    return {**entry, "invoice": built.shown(),
            "refusal": {"message": str(refused.message), "action": str(refused.action)} if refused else None}
