"""Pull: customers, their addresses, item groups and items from Exact into the store (R1-R3, R17).

This module runs a pull's order: start the full reads it needs (`fullread`: first pull, division
moved or changed, deleted log expired, item groups changed), read each sync endpoint from its
checkpoint (`reader`), saving each page as its entity says (`entities`), then the item groups
(`itemgroups`), what became of the drafts push sent (`drafts`), the records whose end date passed,
and the run's count rows.

A full read tags every row it sees with a generation number; when the read completes, Exact-derived
rows it did not see are marked inactive ("no longer in Exact"), which covers deletions the deleted
log no longer holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlite_utils

from exactsync import log
from exactsync.config import Settings
from exactsync.i18n import N_, Msg, N_plural, message_of, msg, nmsg
from exactsync.store import records as store
from exactsync.store import state, transaction
from exactsync.sync import drafts, fullread, itemgroups, mapping
from exactsync.sync.entities import ENTITIES, MORE_RECORDS, Counts, log_deactivated_rows
from exactsync.sync.reader import TimestampsWentBack, read_entity, rows_as_exact_sends
from exactsync.timeutil import amsterdam_today, utcnow


@dataclass
class PullResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    full_read_reasons: list[Msg] = field(default_factory=list)
    calls: int = 0


def pull(client, db: sqlite_utils.Database, settings: Settings, *, now: datetime | None = None,
         progress: Callable[[str, int], None] = lambda entity, rows: None) -> PullResult:
    now = now or datetime.now(UTC)
    result = PullResult()
    calls_before = client.calls
    reasons = _start(db, settings, *fullread.division_move_date_daily(client, db, settings, now), now, result)
    ctx_today = amsterdam_today(now)
    try:
        _read_entities(client, db, now, settings.item_groups, progress, result, watch=True)
    except TimestampsWentBack as exc:
        # Whole pages before this one are stored; the move date decides how to go on.
        log.warning(db, "connection", msg("{problem}: reading the division's move date now", problem=message_of(exc)),
                    action=msg("none: a moved division is read again in full by this pull"))
        reasons = _start(db, settings, fullread.division_move_date(client, settings.division), True, now, result)
        _read_entities(client, db, now, settings.item_groups, progress, result, watch=False)
    itemgroups.refresh(client, db, force=bool(reasons), now=now)
    with rows_as_exact_sends(drafts.SALES_INVOICES):
        drafts.follow_processed(client, db, now)
    result.counts["ended"] = _deactivate_ended(db, ctx_today)
    with transaction(db):
        state.LAST_COMPLETE_PULL_AT.set(db, utcnow())
        _log_counts(db, result)
    result.calls = client.calls - calls_before
    return result


def _start(db, settings: Settings, move_date: str | None, move_date_read: bool, now: datetime,
           result: PullResult) -> list[tuple[Msg, list[str]]]:
    reasons = fullread.start(db, settings, move_date, move_date_read, now)
    result.full_read_reasons += [reason for reason, _ in reasons]
    return reasons


def _read_entities(client, db, now: datetime, item_groups: tuple[str, ...], progress: Callable[[str, int], None],
                   result: PullResult, *, watch: bool) -> None:
    for entity in ENTITIES:
        counts = read_entity(client, db, entity, now, item_groups, progress, watch=watch)
        result.counts[entity.name] = result.counts.get(entity.name, Counts())
        result.counts[entity.name] += counts


def _deactivate_ended(db, today: date) -> Counts:
    """An EndDate that passes does not change the row in Exact, so nothing comes through sync."""
    counts, records = Counts(), log.Records()
    with transaction(db):
        for table in ("customers", "items"):
            ended = store.deactivate_ended(db, table, today.isoformat(), mapping.ENDED_ON)
            counts.deactivated += log_deactivated_rows(db, records, table, ended, counts)
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
