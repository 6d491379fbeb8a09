"""What became of each draft push sent (issue 21.4): processed by the office or deleted in Exact.

Deletions come with the sync/Deleted read pull makes anyway, at no extra call: EntityType 13 is a
sales invoice, 6 a document, 4 an attachment (EXDOC Deleted.md). Processed drafts (Status 50, with
their InvoiceNumber) come from sync/SalesInvoice/SalesInvoices, read from a Timestamp checkpoint like
every sync endpoint, but at most once an hour and only while a sent draft is still open: a quiet day
of 288 pulls then costs at most 24 calls more (bench.budget_bench).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from exactsync import log
from exactsync.exact import odata
from exactsync.i18n import N_, msg
from exactsync.store import outbox, state, transaction, workorders
from exactsync.store import records as checkpoints
from exactsync.sync import mapping
from exactsync.timeutil import iso, parse

SALES_INVOICES = "sync/SalesInvoice/SalesInvoices"
CHECKPOINT = "sales_invoices"
READ_EVERY = timedelta(hours=1)
PROCESSED = 50  # SalesInvoices.Status: 20 open (a new draft), 50 processed (PQ-SalesInvoice)
DELETED_INVOICE = 13
# What push creates in Exact, as sync/Deleted names its EntityType: the invoice, documents, attachments.
PUSHED_TYPES = (DELETED_INVOICE, 6, 4)
# A warning a person must decide on (resend, or leave it deleted): a cron run prints it, as it does errors.
DELETED_DRAFT = N_("the draft invoice for {number} was deleted in Exact")


def save_deleted(db: sqlite_utils.Database, rows: list[dict], now: datetime) -> None:
    """Note what Exact deleted of what push created; a deleted draft gets a warning on its work
    order. Runs inside the transaction of pull's sync/Deleted page."""
    for row in rows:
        entity_type, key = mapping.deleted_key(row)
        if entity_type not in PUSHED_TYPES:
            continue
        at = _exact_time(row.get("DeletedDate"), now)
        outbox.mark_deleted_in_exact(db, key, at)
        if entity_type == DELETED_INVOICE and (number := workorders.mark_draft_deleted(db, key, at)):
            log.warning(db, "workorder", msg(DELETED_DRAFT, number=number),
                        record=number, action=msg("if it must be invoiced after all: exactsync workorder resend "
                                                  "{number}", number=number))


def start_over(db: sqlite_utils.Database) -> None:
    """Pull reads everything again (division moved or changed): the checkpoint may belong to another
    numbering, so the next read starts from the beginning. Runs inside the transaction that starts
    pull's full read, so a kill cannot leave one without the other."""
    if checkpoints.load_checkpoint(db, CHECKPOINT):
        checkpoints.save_checkpoint(db, CHECKPOINT, 1, None)
        state.SALES_INVOICES_READ_AT.set(db, None)


def follow_processed(client, db: sqlite_utils.Database, now: datetime) -> None:
    """Read the invoices Exact changed since the checkpoint, when due, and note the drafts the office
    processed."""
    read_at = state.SALES_INVOICES_READ_AT.get(db)
    if not workorders.open_drafts_exist(db) or (read_at and now - parse(read_at) < READ_EVERY):
        return
    checkpoint = (checkpoints.load_checkpoint(db, CHECKPOINT) or (1, None))[0]
    highest = checkpoint
    params = {"$filter": f"Timestamp gt {int(checkpoint)}L",
              "$select": "InvoiceID,OrderNumber,InvoiceNumber,Status,Modified,Timestamp"}
    for page in client.pages(SALES_INVOICES, params):
        with transaction(db):
            for row in page:
                _note_processed(db, row, now)
        highest = max([highest, *(odata.parse_int64(r["Timestamp"]) for r in page)])
    # Only after the last page: the order of a sync answer is not documented, and reading a page
    # again after a kill only finds what is noted already.
    with transaction(db):
        checkpoints.save_checkpoint(db, CHECKPOINT, highest, None)
        state.SALES_INVOICES_READ_AT.set(db, iso(now.timestamp()))


def _note_processed(db: sqlite_utils.Database, row: dict, now: datetime) -> None:
    if odata.parse_int64(row.get("Status")) != PROCESSED or row.get("InvoiceNumber") is None:
        return
    invoice_number = odata.parse_int64(row["InvoiceNumber"])
    order_number = odata.parse_int64(row["OrderNumber"]) if row.get("OrderNumber") is not None else None
    number = workorders.mark_draft_processed(db, str(row["InvoiceID"]).lower(), invoice_number, order_number,
                                             _exact_time(row.get("Modified"), now))
    if number:
        log.info(db, "workorder", msg("the draft invoice for {number} was processed in Exact as invoice "
                                      "{invoice_number}", number=number, invoice_number=invoice_number),
                 record=number, action=msg("none"))


def _exact_time(value, now: datetime) -> str:
    """An Exact date of the row as UTC ISO; when it is missing, the time pull learned it."""
    moment = odata.parse_date(value) if value else None
    return iso((moment or now).timestamp())
