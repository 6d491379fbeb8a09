"""Pull: customers, their addresses, item groups and items from Exact into the store (R1-R3, R17).

Reads Exact's sync endpoints from a checkpoint per entity: the highest Timestamp
(a rowversion) stored. Each page's rows and the checkpoint move in one
transaction, so a run killed at any moment resumes where it stopped and a rerun
never duplicates anything (rows are upserted by Exact ID, newest Timestamp wins).

A full read (first pull, division moved, deleted log expired, item groups or
division changed) tags every row it sees with a generation number; when the read
completes, Exact-derived rows it did not see are marked inactive ("no longer in
Exact"), which covers deletions the deleted log no longer holds.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from exactsync import log
from exactsync.config import Settings
from exactsync.errors import ExactsyncError
from exactsync.exact import odata
from exactsync.i18n import N_, Msg, N_plural, message_of, msg, nmsg
from exactsync.store import get_state, raise_mutation_date, set_state, transaction
from exactsync.store import records as store
from exactsync.sync import drafts, mapping
from exactsync.timeutil import amsterdam_today, parse, utcnow

# Exact keeps sync/Deleted for two months; a store last synced longer ago may have missed deletions.
DELETED_LOG_DAYS = 60
ITEM_GROUPS_REFRESH = timedelta(hours=24)


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
        counts.deactivated += _log_deactivated(db, ctx.records, table, gone, counts)
    return counts


def _log_deactivated(db, records: log.Records, table: str, gone: list[tuple[str, str, str]], counts: Counts) -> int:
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
        return _log_deactivated(db, records, table, unseen, Counts())
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


# --- checkpoints ----------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    timestamp: int
    generation: int | None  # a full read in progress


def load_checkpoint(db, entity: str) -> Checkpoint | None:
    row = store.load_checkpoint(db, entity)
    return Checkpoint(*row) if row else None


def save_checkpoint(db, entity: str, checkpoint: Checkpoint) -> None:
    store.save_checkpoint(db, entity, checkpoint.timestamp, checkpoint.generation)


def start_full_read(db, entities: Iterable[SyncEntity]) -> int:
    """Reset these entities to `Timestamp gt 1` under a new generation (kept if one is in progress)."""
    with transaction(db):
        generation = int(get_state(db, "sync_generation", "0")) + 1
        set_state(db, sync_generation=generation)
        for entity in entities:
            save_checkpoint(db, entity.name, Checkpoint(1, generation))
    return generation


# --- the run --------------------------------------------------------------------

@dataclass
class PullResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    full_read_reasons: list[Msg] = field(default_factory=list)
    calls: int = 0


def scope(settings: Settings) -> str:
    return json.dumps({"division": settings.division, "item_groups": list(settings.item_groups)})


def full_read_reasons(db, settings: Settings, division_move_date: str | None, now: datetime
                      ) -> list[tuple[Msg, list[str]]]:
    """Which entities must be read in full, and why, before this pull (empty when none)."""
    everything = [e.name for e in ENTITIES]
    last = json.loads(get_state(db, "sync_scope") or "null")
    if load_checkpoint(db, ACCOUNTS.name) is None or last is None:
        return [(msg("first pull: reading everything"), everything)]
    if last["division"] != settings.division:
        return [(msg("division changed from {old} to {new}: reading everything", old=last["division"],
                     new=settings.division), everything)]
    stored_move = get_state(db, "division_move_date")
    if division_move_date and division_move_date != stored_move:
        return [(msg("Exact moved the division and reset its timestamps: reading everything again"), everything)]
    last_ok = get_state(db, "last_complete_pull_at")
    if last_ok and now - parse(last_ok) > timedelta(days=DELETED_LOG_DAYS):
        return [(msg("last complete pull is older than Exact keeps deletions ({days} days): reading everything",
                     days=DELETED_LOG_DAYS), everything)]
    if list(settings.item_groups) != last["item_groups"]:
        return [(msg("item groups changed in the settings: reading all items again"), [ITEMS.name])]
    return []


def pull(client, db: sqlite_utils.Database, settings: Settings, *, now: datetime | None = None,
         progress: Callable[[str, int], None] = lambda entity, rows: None) -> PullResult:
    now = now or datetime.now(UTC)
    result = PullResult()
    calls_before = client.calls
    reasons = _start(db, settings, *_division_move_date_daily(client, db, settings, now), now, result)
    ctx_today = amsterdam_today(now)
    try:
        _read_entities(client, db, now, settings.item_groups, progress, result, watch=True)
    except TimestampsWentBack as exc:
        # Whole pages before this one are stored; the move date decides how to go on.
        log.warning(db, "connection", msg("{problem}: reading the division's move date now", problem=message_of(exc)),
                    action=msg("none: a moved division is read again in full by this pull"))
        reasons = _start(db, settings, _division_move_date(client, settings.division), True, now, result)
        _read_entities(client, db, now, settings.item_groups, progress, result, watch=False)
    _refresh_item_groups(client, db, force=bool(reasons), now=now)
    with _rows_as_exact_sends(drafts.SALES_INVOICES):
        drafts.follow_processed(client, db, now)
    result.counts["ended"] = _deactivate_ended(db, ctx_today)
    with transaction(db):
        set_state(db, last_complete_pull_at=utcnow())
        _log_counts(db, result)
    result.calls = client.calls - calls_before
    return result


def _start(db, settings: Settings, move_date: str | None, move_date_read: bool, now: datetime,
           result: PullResult) -> list[tuple[Msg, list[str]]]:
    """Start the full reads this pull needs; returns them (reason -> entity names). The move
    date is stored with them, and with the day it was read, so a kill cannot lose a move."""
    reasons = full_read_reasons(db, settings, move_date, now)
    with transaction(db):
        for reason, names in reasons:
            log.info(db, "connection", reason)
            result.full_read_reasons.append(reason)
            start_full_read(db, [e for e in ENTITIES if e.name in names])
            if len(names) == len(ENTITIES):
                drafts.start_over(db)
        set_state(db, sync_scope=scope(settings), division_move_date=move_date)
        if move_date_read:
            set_state(db, division_move_checked=_move_check(settings.division, now))
    return reasons


def _read_entities(client, db, now: datetime, item_groups: tuple[str, ...], progress: Callable[[str, int], None],
                   result: PullResult, *, watch: bool) -> None:
    for entity in ENTITIES:
        counts = _read_entity(client, db, entity, now, item_groups, progress, watch=watch)
        result.counts[entity.name] = result.counts.get(entity.name, Counts())
        result.counts[entity.name] += counts


# --- Exact moving the division -----------------------------------------------------
# A move to another database resets the Timestamps (section 5 of the API notes, PI-Sync):
# the checkpoints then point into a numbering that no longer exists. system/Divisions
# says when it happened (DivisionMoveDate), at the cost of a call; cron pulls 288 times a
# day within Exact's 5,000 calls (ZAP), so it is read on the first pull of each UTC day
# (the day Exact counts its calls in: X-RateLimit-Reset is 00:00 UTC, gh:picqer#609), and
# at once when a sync answer holds a row its checkpoint already covers, which only a
# renumbering explains.

class TimestampsWentBack(Exception):
    """A sync answer holds rows at or below the checkpoint that was asked for."""


def _move_check(division: int, now: datetime) -> str:
    return json.dumps({"division": division, "day": now.astimezone(UTC).date().isoformat()})


def _division_move_date_daily(client, db, settings: Settings, now: datetime) -> tuple[str | None, bool]:
    """The move date, and whether it was read from Exact now: on the first pull of the UTC
    day or of another division; else as stored by that read."""
    if get_state(db, "division_move_checked") == _move_check(settings.division, now):
        return get_state(db, "division_move_date"), False
    return _division_move_date(client, settings.division), True


def _division_move_date(client, division: int) -> str | None:
    rows = client.get("system/Divisions", {"$filter": f"Code eq {int(division)}", "$select": "Code,DivisionMoveDate"})
    moved = odata.parse_date(rows[0].get("DivisionMoveDate")) if rows else None
    return moved.isoformat() if moved else None


@contextlib.contextmanager
def _rows_as_exact_sends(path: str) -> Iterator[None]:
    """A row without the fields Exact always sends, or with values of another type, stops the
    pull before its page is stored: guessing would store wrong data and move the checkpoint past it."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"  # Python's words, for support
        raise ExactsyncError(msg("Exact sent a {path} row that is not what Exact sends ({problem}): nothing of that "
                                 "page was stored; the next run tries again, and if this stays, report it to "
                                 "support with this message", path=path, problem=problem)) from None


def _read_entity(client, db, entity: SyncEntity, now: datetime, item_groups: tuple[str, ...],
                 progress: Callable[[str, int], None], *, watch: bool = True) -> Counts:
    """Read one sync endpoint from its checkpoint. While `watch`, a page holding rows the
    checkpoint already covers raises TimestampsWentBack before anything of it is stored."""
    checkpoint = load_checkpoint(db, entity.name) or Checkpoint(1, None)
    ctx = Context(today=amsterdam_today(now), now=now, item_groups=item_groups, generation=checkpoint.generation)
    counts, rows_read, highest, ordered = Counts(), 0, checkpoint.timestamp, True
    params = {"$filter": f"Timestamp gt {int(checkpoint.timestamp)}L", "$select": ",".join(entity.select)}
    for page in _read_ahead(client.pages(entity.path, params)):
        with _rows_as_exact_sends(entity.path):
            stamps = [odata.parse_int64(r["Timestamp"]) for r in page]
            if watch and stamps and min(stamps) <= checkpoint.timestamp:
                raise TimestampsWentBack(msg("Exact sent {path} rows with a Timestamp of {timestamp}, at or below the "
                                             "checkpoint {checkpoint} it was asked to read after", path=entity.path,
                                             timestamp=str(min(stamps)), checkpoint=str(checkpoint.timestamp)))
            # Moving the checkpoint per page is only safe while Exact returns rows in Timestamp order.
            ordered = ordered and stamps == sorted(stamps) and (not stamps or stamps[0] > highest)
            with transaction(db):
                counts += entity.save(db, mapping.newest_per_id(page), ctx)
                highest = max([highest, *stamps])
                if ordered:
                    save_checkpoint(db, entity.name, Checkpoint(highest, checkpoint.generation))
                _note_mutation(db, page)
        rows_read += len(page)
        progress(entity.name, rows_read)
    with transaction(db):
        if checkpoint.generation is not None and entity.sweep:
            counts.deactivated += entity.sweep(db, checkpoint.generation, ctx.records)
        ctx.records.finish(db, MORE_RECORDS)
        save_checkpoint(db, entity.name, Checkpoint(highest, None))
    return counts


def _read_ahead(pages: Iterator[list[dict]], depth: int = 2) -> Iterator[list[dict]]:
    """Fetch the next pages in a thread while this one is stored, so that waiting for
    Exact and writing SQLite overlap. Pages still come in order and are committed by
    the caller only, so a kill loses at most pages that were never stored."""
    handover: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(kind: str, value) -> None:
        while not stop.is_set():
            try:
                handover.put((kind, value), timeout=0.1)
                return
            except queue.Full:
                continue

    def read() -> None:
        try:
            for page in pages:
                hand("page", page)
                if stop.is_set():
                    return
            hand("end", None)
        except BaseException as exc:  # handed to the caller's thread, raised there
            hand("error", exc)

    reader = threading.Thread(target=read, name="exact-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handover.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        reader.join(timeout=5)


def _note_mutation(db, page: list[dict]) -> None:
    newest = mapping.newest_modified_utc(page)
    if newest:
        raise_mutation_date(db, newest)


def _refresh_item_groups(client, db, *, force: bool, now: datetime) -> None:
    """Item groups have no sync endpoint; read them all when it matters, else once a day."""
    read_at = get_state(db, "item_groups_read_at")
    unknown = store.items_of_unknown_groups(db)
    stale = read_at is None or now - parse(read_at) > ITEM_GROUPS_REFRESH
    if not (force or unknown or stale):
        return
    groups = [mapping.item_group_row(g) for g in client.get("logistics/ItemGroups", {"$select": "ID,Code,Description"})]
    with transaction(db):
        kept = {g["exact_id"] for g in groups}
        for exact_id, code, description in store.item_groups_from_exact(db):
            if exact_id not in kept:
                log.info(db, "item_group", msg("item group {code} ({description}) no longer in Exact: removed by pull",
                                               code=code, description=description),
                         record=code, action=msg("none: Exact leads"))
        store.replace_item_groups(db, groups)
        set_state(db, item_groups_read_at=utcnow())


def _deactivate_ended(db, today: date) -> Counts:
    """An EndDate that passes does not change the row in Exact, so nothing comes through sync."""
    counts, records = Counts(), log.Records()
    with transaction(db):
        for table in ("customers", "items"):
            ended = store.deactivate_ended(db, table, today.isoformat(), mapping.ENDED_ON)
            counts.deactivated += _log_deactivated(db, records, table, ended, counts)
        records.finish(db, MORE_RECORDS)
    return counts


# The count rows: per entity its log table and what it counts; deletions and ended records per log table.
COUNTED = {"accounts": ("customer", N_("customers")), "addresses": ("work_address", N_("customer addresses")),
           "items": ("item", N_("items"))}
DEACTIVATED_COUNT = {
    ("deleted", "customer"): N_plural("pull deletions: {count} customer deactivated",
                                      "pull deletions: {count} customers deactivated"),
    ("deleted", "item"): N_plural("pull deletions: {count} item deactivated",
                                  "pull deletions: {count} items deactivated"),
    ("ended", "customer"): N_plural("pull ended: {count} customer deactivated",
                                    "pull ended: {count} customers deactivated"),
    ("ended", "item"): N_plural("pull ended: {count} item deactivated", "pull ended: {count} items deactivated")}


def _log_counts(db, result: PullResult) -> None:
    """The run's summary: a count row per entity that changed; each record has its own row."""
    changed = {name: c for name, c in result.counts.items() if c.added or c.changed or c.deactivated or c.skipped}
    if not changed:
        # Every 5 minutes from cron: one row says the pull ran, without five rows of zeros.
        log.info(db, "customer", msg("pull: nothing changed in Exact"))
    for name, counts in changed.items():
        if name not in COUNTED:  # deletions and ended: customers and items, each on its own table
            for table, rows in counts.tables.items():
                log.info(db, table, nmsg(*DEACTIVATED_COUNT[name, table], rows))
            continue
        table, label = COUNTED[name]
        numbers = {"what": msg(label), "added": counts.added, "changed": counts.changed,
                   "deactivated": counts.deactivated}
        if skipped := sum(counts.skipped.values()):
            log.info(db, table, msg("pull {what}: {added} added, {changed} changed, {deactivated} deactivated, "
                                    "{skipped} skipped", **numbers, skipped=skipped))
        else:
            log.info(db, table, msg("pull {what}: {added} added, {changed} changed, {deactivated} deactivated",
                                    **numbers))
