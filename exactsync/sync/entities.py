"""Exact's sync endpoints that pull reads, and how a page of each one's rows is saved (R1-R3, R17).

A row is upserted by Exact ID, newest Timestamp wins; a customer or item that can no longer be picked
(deleted, ended, inactive, or never seen by a full read) gets its log row, committed with its page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlite_utils

from exactsync import log
from exactsync.i18n import N_, Msg, msg
from exactsync.store import records as store
from exactsync.sync import drafts, mapping


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    deactivated: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> rows
    tables: Counter = field(default_factory=Counter)  # log table -> rows deactivated (deletions, ended)

    def __iadd__(self, other: Counts) -> Counts:
        self.added += other.added
        self.changed += other.changed
        self.deactivated += other.deactivated
        self.skipped.update(other.skipped)
        self.tables.update(other.tables)
        return self


@dataclass(frozen=True)
class Context:
    today: date
    now: datetime
    item_groups: tuple[str, ...]
    generation: int | None  # set during a full read
    records: log.Records = field(default_factory=log.Records)  # one log row per record deactivated or skipped


@dataclass(frozen=True)
class SyncEntity:
    """One Exact sync endpoint and what to do with its rows."""

    name: str
    path: str
    select: tuple[str, ...]
    save: Callable[[sqlite_utils.Database, list[dict], Context], Counts]
    sweep: Callable[[sqlite_utils.Database, int, log.Records], int] | None = None


# --- the log names every record pull deactivates or skips (manual 8) ------------

# Per store table: its log table and the column that names a row besides its code.
RECORD_OF = {table: (log.TABLE_OF[table], column) for table, column in store.NAME_COLUMN.items()}
# Where the rows past log.RECORDS_PER_TABLE can be seen.
MORE_RECORDS = {("info", "customer"): "exactsync customers --all", ("info", "item"): "exactsync items --all"}
DEACTIVATED = {"customers": N_("customer {code} ({name}) {reason}: deactivated by pull"),
               "items": N_("item {code} ({name}) {reason}: deactivated by pull")}
SKIPPED = {"customers": N_("pull skipped customer '{name}' (Exact ID {exact_id}): {reason}"),
           "items": N_("pull skipped item '{name}' (Exact ID {exact_id}): {reason}")}


def log_deactivated(db, records: log.Records, table: str, code: str, name: str, reason: str) -> None:
    """One info row: this customer or item can no longer be picked, and why (`reason` as stored)."""
    records.write(db, "info", RECORD_OF[table][0],
                  msg(DEACTIVATED[table], code=code, name=name, reason=mapping.reason_message(reason)), record=code,
                  action=no_longer_picked(mapping.fix_for(RECORD_OF[table][0], reason, code)))


def no_longer_picked(fix: Msg | None) -> Msg:
    """The action of a row saying a customer or item can no longer be picked: none, or its fix when wrong."""
    if fix is None:
        return msg("none: it can no longer be picked for new work orders (Exact leads)")
    return msg("none: it can no longer be picked for new work orders (Exact leads); if that is wrong: {fix}", fix=fix)


def log_skipped(db, records: log.Records, table: str, row: dict, reason: Msg) -> None:
    noun, name = RECORD_OF[table]
    records.write(db, "warning", noun, msg(SKIPPED[table], name=row[name], exact_id=row["exact_id"], reason=reason),
                  record=row["exact_id"], action=msg("fix the record in Exact; the next pull takes it"))



# --- saving pages -------------------------------------------------------------

def _count(rows: list[dict], existing: dict[str, dict], generation: int | None
           ) -> tuple[Counts, list[str], list[dict]]:
    """Counts of added, changed and deactivated rows, the IDs of those added or changed, and
    the rows deactivated."""
    counts, touched, deactivated = Counts(), [], []
    for row in rows:
        before = existing.get(row["exact_id"])
        if before is None:
            counts.added += 1
        elif _changes(row, before, generation):
            counts.changed += 1
            if before["active"] and not row["active"]:
                counts.deactivated += 1
                deactivated.append(row)
        else:
            continue
        touched.append(row["exact_id"])
    return counts, touched, deactivated


def _changes(row: dict, before: dict, generation: int | None) -> bool:
    """Whether storing `row` changes the stored one: a newer version, or a full read that
    judges it anew with the same Timestamp (the item groups setting changed)."""
    if before["exact_timestamp"] is None or row["exact_timestamp"] > before["exact_timestamp"]:
        return True
    rejudged = generation is not None and (before["seen_generation"] or 0) < generation
    return rejudged and (row["active"], row["inactive_reason"]) != (before["active"], before["inactive_reason"])


def save_accounts(db, accounts: list[dict], ctx: Context) -> Counts:
    rows = [mapping.customer_row(a, ctx.today) for a in accounts]
    kept, counts, touched = _keep(db, "customers", rows, ctx)
    store.upsert_records(db, "customers", kept, ctx.generation)
    # A full read after a division move sees lower Timestamps: every row may have changed.
    store.derive_work_addresses(db, [r["exact_id"] for r in kept] if ctx.generation else touched)
    return counts


def _keep(db, table: str, rows: list[dict], ctx: Context) -> tuple[list[dict], Counts, list[str]]:
    """Rows worth storing: active ones, and known ones that changed (they may have become
    inactive). Accounts that never were customers, items of other groups, ended
    ones never seen: they stay out of the store, so cleanup has nothing to do for them.
    Each row deactivated or skipped gets its log row, committed with the page."""
    existing = store.existing_by_exact_id(db, table, [r["exact_id"] for r in rows])
    kept = [r for r in rows if r["active"] or r["exact_id"] in existing]
    no_codes = [r for r in kept if not r["code"]]
    kept = [r for r in kept if r["code"]]
    counts, touched, deactivated = _count(kept, existing, ctx.generation)
    for row in deactivated:
        log_deactivated(db, ctx.records, table, row["code"], row[RECORD_OF[table][1]], row["inactive_reason"])
    for row in no_codes:
        counts.skipped["no code in Exact"] += 1
        log_skipped(db, ctx.records, table, row, msg("it has no code in Exact"))
    return kept, counts, touched


ADDRESS_FIELDS = tuple(mapping.ADDRESS_TEXTS)


def save_addresses(db, addresses: list[dict], ctx: Context) -> Counts:
    """The main visit address of a stored customer is its address and its derived work address."""
    mains = [mapping.customer_address(a) for a in addresses if mapping.is_main_visit_address(a) and a.get("Account")]
    stored = store.stored_addresses(db, [a["account"] for a in mains], ADDRESS_FIELDS)
    moved = [a for a in mains
             if a["account"] in stored and stored[a["account"]][0] != tuple(a[f] for f in ADDRESS_FIELDS)]
    relinked = [a for a in mains if a["account"] in stored and stored[a["account"]][1] != a["exact_address_id"]]
    store.update_customer_addresses(db, ADDRESS_FIELDS, moved)
    unlinked = [a for a in relinked if stored[a["account"]][1] is None]
    store.derive_work_addresses(db, [a["account"] for a in moved + unlinked])
    store.relink_work_addresses(db, relinked)
    return Counts(changed=len(moved))


def save_items(db, items: list[dict], ctx: Context) -> Counts:
    rows = [mapping.item_row(i, ctx.today, ctx.item_groups) for i in items]
    kept, counts, _ = _keep(db, "items", rows, ctx)
    store.upsert_records(db, "items", kept, ctx.generation)
    return counts


DELETED_TABLES = {2: "customers", 9: "items"}  # sync/Deleted EntityType (EX-DEMO DeletedEntityType)


def save_deleted(db, deleted: list[dict], ctx: Context) -> Counts:
    drafts.save_deleted(db, deleted, ctx.now)
    counts = Counts()
    for row in deleted:
        entity_type, key = mapping.deleted_key(row)
        if entity_type not in DELETED_TABLES:
            continue
        table = DELETED_TABLES[entity_type]
        gone = store.deactivate_deleted(db, table, key, mapping.DELETED)
        counts.deactivated += log_deactivated_rows(db, ctx.records, table, gone, counts)
    return counts


def log_deactivated_rows(db, records: log.Records, table: str, gone: list[tuple[str, str, str]], counts: Counts) -> int:
    """Log each (code, name, reason) of `table` the store deactivated and count them in
    `counts.tables`; return how many."""
    for code, label, why in gone:
        log_deactivated(db, records, table, code, label, why)
    if gone:
        counts.tables[RECORD_OF[table][0]] += len(gone)
    return len(gone)


def _sweep(table: str) -> Callable[[sqlite_utils.Database, int, log.Records], int]:
    def sweep(db, generation: int, records: log.Records) -> int:
        unseen = store.deactivate_unseen(db, table, generation, mapping.NO_LONGER_IN_EXACT)
        return log_deactivated_rows(db, records, table, unseen, Counts())
    return sweep


ACCOUNTS = SyncEntity(
    "accounts", "sync/CRM/Accounts",
    ("ID", "Code", "Name", "AddressLine1", "AddressLine2", "Postcode", "City", "Country", "Email", "Phone",
     "Status", "IsSales", "Blocked", "StartDate", "EndDate", "Modified", "Timestamp"),
    save_accounts, _sweep("customers"),
)
ADDRESSES = SyncEntity(
    "addresses", "sync/CRM/Addresses",
    ("ID", "Account", "Type", "Main", "AddressLine1", "AddressLine2", "Postcode", "City", "Country", "Modified",
     "Timestamp"),
    save_addresses,
)
ITEMS = SyncEntity(
    "items", "sync/Logistics/Items",
    ("ID", "Code", "Description", "ItemGroup", "ItemGroupCode", "ItemGroupDescription", "IsSalesItem", "Unit",
     "StartDate", "EndDate", "Modified", "Timestamp"),
    save_items, _sweep("items"),
)
DELETED = SyncEntity(
    "deleted", "sync/Deleted", ("EntityKey", "EntityType", "DeletedDate", "Timestamp"), save_deleted,
)
ENTITIES = (ACCOUNTS, ADDRESSES, ITEMS, DELETED)
