"""When pull reads everything again: the first pull, another division or item groups, a store last
synced longer ago than Exact keeps deletions, or Exact moving the division (which resets its Timestamps).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlite_utils

from exactsync import log
from exactsync.config import Settings
from exactsync.exact import odata
from exactsync.i18n import Msg, msg
from exactsync.store import state, transaction
from exactsync.sync import drafts
from exactsync.sync.entities import ACCOUNTS, ENTITIES, ITEMS, SyncEntity
from exactsync.sync.reader import Checkpoint, load_checkpoint, save_checkpoint
from exactsync.timeutil import parse

# Exact keeps sync/Deleted for two months; a store last synced longer ago may have missed deletions.
DELETED_LOG_DAYS = 60


def scope(settings: Settings) -> dict:
    return {"division": settings.division, "item_groups": list(settings.item_groups)}


def start(db: sqlite_utils.Database, settings: Settings, move_date: str | None, move_date_read: bool,
          now: datetime) -> list[tuple[Msg, list[str]]]:
    """Start the full reads this pull needs; returns them (reason -> entity names). The move
    date is stored with them, and with the day it was read, so a kill cannot lose a move."""
    reasons = full_read_reasons(db, settings, move_date, now)
    with transaction(db):
        for reason, names in reasons:
            log.info(db, "connection", reason)
            start_full_read(db, [e for e in ENTITIES if e.name in names])
            if len(names) == len(ENTITIES):
                drafts.start_over(db)
        state.SYNC_SCOPE.set(db, scope(settings))
        state.DIVISION_MOVE_DATE.set(db, move_date)
        if move_date_read:
            state.DIVISION_MOVE_CHECKED.set(db, move_check(settings.division, now))
    return reasons


def start_full_read(db, entities: Iterable[SyncEntity]) -> int:
    """Reset these entities to `Timestamp gt 1` under a new generation (kept if one is in progress)."""
    with transaction(db):
        generation = state.SYNC_GENERATION.get(db) + 1
        state.SYNC_GENERATION.set(db, generation)
        for entity in entities:
            save_checkpoint(db, entity.name, Checkpoint(1, generation))
    return generation


def full_read_reasons(db, settings: Settings, division_move_date: str | None, now: datetime
                      ) -> list[tuple[Msg, list[str]]]:
    """Which entities must be read in full, and why, before this pull (empty when none)."""
    everything = [e.name for e in ENTITIES]
    last = state.SYNC_SCOPE.get(db)
    if load_checkpoint(db, ACCOUNTS.name) is None or last is None:
        return [(msg("first pull: reading everything"), everything)]
    if last["division"] != settings.division:
        return [(msg("division changed from {old} to {new}: reading everything", old=last["division"],
                     new=settings.division), everything)]
    stored_move = state.DIVISION_MOVE_DATE.get(db)
    if division_move_date and division_move_date != stored_move:
        return [(msg("Exact moved the division and reset its timestamps: reading everything again"), everything)]
    last_ok = state.LAST_COMPLETE_PULL_AT.get(db)
    if last_ok and now - parse(last_ok) > timedelta(days=DELETED_LOG_DAYS):
        return [(msg("last complete pull is older than Exact keeps deletions ({days} days): reading everything",
                     days=DELETED_LOG_DAYS), everything)]
    if list(settings.item_groups) != last["item_groups"]:
        return [(msg("item groups changed in the settings: reading all items again"), [ITEMS.name])]
    return []


# --- Exact moving the division -----------------------------------------------------
# A move to another database resets the Timestamps (section 5 of the API notes, PI-Sync):
# the checkpoints then point into a numbering that no longer exists. system/Divisions
# says when it happened (DivisionMoveDate), at the cost of a call; cron pulls 288 times a
# day within Exact's 5,000 calls (ZAP), so it is read on the first pull of each UTC day
# (the day Exact counts its calls in: X-RateLimit-Reset is 00:00 UTC, gh:picqer#609), and
# at once when a sync answer holds a row its checkpoint already covers, which only a
# renumbering explains.

def move_check(division: int, now: datetime) -> dict:
    return {"division": division, "day": now.astimezone(UTC).date().isoformat()}


def division_move_date_daily(client, db, settings: Settings, now: datetime) -> tuple[str | None, bool]:
    """The move date, and whether it was read from Exact now: on the first pull of the UTC
    day or of another division; else as stored by that read."""
    if state.DIVISION_MOVE_CHECKED.get(db) == move_check(settings.division, now):
        return state.DIVISION_MOVE_DATE.get(db), False
    return division_move_date(client, settings.division), True


def division_move_date(client, division: int) -> str | None:
    rows = client.get("system/Divisions", {"$filter": f"Code eq {int(division)}", "$select": "Code,DivisionMoveDate"})
    moved = odata.parse_date(rows[0].get("DivisionMoveDate")) if rows else None
    return moved.isoformat() if moved else None
