"""`exactsync export`: the customers, work addresses, items and work orders that changed since a
cursor, one JSON object per line, ending with the next cursor.

A cursor is the store's epoch and a number of its change sequence (store/changes_schema.py). Without
one, or with one the store cannot continue from (a wipe or another store gave it a new epoch, or a
backup put it back before the cursor), the export starts with a `reset` line and gives every record,
so the app starts over instead of missing a removal. Lines come kind by kind (customers before the
work addresses that belong to them), each record once, as it is now.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlite_utils

from exactsync.errors import ExactsyncError
from exactsync.fieldapp.exact_state import exact_state
from exactsync.i18n import N_, Msg, _, msg
from exactsync.store import changes
from exactsync.store.changes_schema import CUSTOMER_REMOVED
from exactsync.sync import mapping

_CURSOR = re.compile(r"([0-9a-f]{16})-([0-9]{1,18})")
# Why a record is inactive or removed, as a code the app can test (the text is in the reader's language).
REASON_CODES = {
    mapping.NOT_A_CUSTOMER_STATUS: "not_a_customer", mapping.NOT_A_CUSTOMER_NO_STATUS: "not_a_customer",
    mapping.NOT_FOR_SALES: "not_for_sales", mapping.BLOCKED: "blocked", mapping.ENDED_ON: "ended",
    mapping.NOT_A_SALES_ITEM: "not_a_sales_item", mapping.IN_OTHER_ITEM_GROUP: "outside_item_groups",
    mapping.IN_NO_ITEM_GROUP: "outside_item_groups", mapping.DELETED: "deleted_in_exact",
    mapping.NO_LONGER_IN_EXACT: "no_longer_in_exact", mapping.NOT_FROM_EXACT: "not_from_exact",
    mapping.INACTIVE: "inactive", CUSTOMER_REMOVED: "customer_removed",
}
REMOVED = N_("removed")
RESETS = {"store_wiped": N_("the store was wiped or replaced since this cursor: drop what you hold and take "
                            "every record below"),
          "store_restored": N_("the store was restored from a backup older than this cursor: drop what you hold "
                               "and take every record below")}


class CursorError(ExactsyncError):
    """A cursor that no export printed."""


@dataclass(frozen=True)
class Cursor:
    epoch: str
    seq: int

    def __str__(self) -> str:
        return f"{self.epoch}-{self.seq}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        found = _CURSOR.fullmatch(text.strip())
        if not found:
            raise CursorError(msg("{cursor} is not a cursor: pass the cursor of the last line of the previous "
                                  "export, or leave --since out to export everything", cursor=repr(text[:40])))
        return cls(found[1], int(found[2]))


def lines(db: sqlite_utils.Database, since: Cursor | None = None) -> Iterator[dict]:
    """The export's lines, read from one snapshot of the store, streamed."""
    with changes.snapshot(db):
        now = Cursor(changes.epoch(db), changes.last_seq(db))
        reset = _reset(since, now)
        if reset:
            yield {"type": "reset", "reason": reset, "text": _(RESETS[reset])}
        for kind in changes.KINDS:
            rows = changes.changed_records(db, kind, since.seq) if since and not reset else \
                changes.all_records(db, kind)
            for row in rows:
                yield _line(db, kind, row)
        yield {"type": "cursor", "cursor": str(now)}


def _reset(since: Cursor | None, now: Cursor) -> str | None:
    if since is None:
        return None
    if since.epoch != now.epoch:
        return "store_wiped"
    return "store_restored" if since.seq > now.seq else None


def _line(db: sqlite_utils.Database, kind: str, row: dict) -> dict:
    if row["removed"]:
        code, text = reason(row["removed_reason"], removed=True)
        return {"type": kind, "id": row["id"], "state": "removed", "reason": code, "reason_text": text,
                _REMOVED_CODE[kind]: row["removed_code"]}
    return {"type": kind, "id": row["id"], **_LINES[kind](db, row)}


def reason(stored: str, *, removed: bool) -> tuple[str, str]:
    """(code, text in the reader's language) of a stored reason; an empty one is `removed` or `inactive`."""
    if not stored:
        return ("removed", _(REMOVED)) if removed else ("inactive", _(mapping.INACTIVE))
    found = mapping.reason_message(stored) if stored != CUSTOMER_REMOVED else msg(CUSTOMER_REMOVED)
    if isinstance(found, Msg):
        return REASON_CODES.get(found.as_json()["key"], "inactive"), found.render()
    return "other", found  # written by an older version, in English


def _activity(row: dict) -> dict:
    if row["active"]:
        return {"state": "active", "reason": None, "reason_text": None}
    code, text = reason(row["inactive_reason"], removed=False)
    return {"state": "inactive", "reason": code, "reason_text": text}


def _picked(row: dict, *columns: str) -> dict:
    return {c: row[c] for c in columns}


def _customer(db: sqlite_utils.Database, row: dict) -> dict:
    return {**_activity(row), **_picked(row, "code", "exact_id", "name", "address_line1", "address_line2",
                                        "postcode", "city", "country", "email", "phone")}


def _work_address(db: sqlite_utils.Database, row: dict) -> dict:
    return {"state": "active", "reason": None, "reason_text": None,
            **_picked(row, "key", "customer_id", "customer_code", "name", "street", "postcode", "city", "country"),
            "from_exact": bool(row["from_exact"])}


def _item(db: sqlite_utils.Database, row: dict) -> dict:
    return {**_activity(row), **_picked(row, "code", "exact_id", "description", "unit", "item_group_code",
                                        "item_group_description")}


def work_order_line(db: sqlite_utils.Database, row: dict) -> dict:
    """A work order as the feed carries it: who it is for, its status and its state in Exact."""
    planned = None
    if row["planned_employee"]:
        planned = {"employee": row["planned_employee"], "date": row["planned_date"], "time": row["planned_time"]}
    return {"state": "active", "reason": None, "reason_text": None,
            **_picked(row, "number", "external_id", "status", "customer_code", "work_address_id", "description",
                      "customer_reference"),
            "planned": planned, **_picked(row, "created_at", "completed_at", "archived_at"),
            "exact": exact_state(db, row)}


_LINES: dict[str, Callable[[sqlite_utils.Database, dict], dict]] = {
    "customer": _customer, "work_address": _work_address, "item": _item, "work_order": work_order_line}
# What a removed record is still named by, beside its id.
_REMOVED_CODE = {"customer": "code", "work_address": "key", "item": "code", "work_order": "number"}
