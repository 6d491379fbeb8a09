"""Wiping parts of the store before (re)connecting to Exact (R13).

Exact leads: before the first connection the store must hold nothing, and on
re-activation the admin picks parts to wipe, which the next pull fills again.
The log, the work order number counter and the Exact login are never wiped, nor
is anything a work order that has not reached Exact needs (re-activation loses
nothing, manual 4.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from exactsync import log
from exactsync.errors import ExactsyncError
from exactsync.i18n import N_, Msg, msg
from exactsync.store import changes, get_state, set_state, transaction
from exactsync.store import wipe as store_wipe
from exactsync.store.records import delete_checkpoint
from exactsync.timeutil import utcnow


@dataclass(frozen=True)
class Part:
    name: str
    tables: tuple[str, ...]  # wiped with every table that points at them by a foreign key
    checkpoints: tuple[str, ...]  # pull's sync_checkpoints entities to read again from the start
    state_keys: tuple[str, ...] = ()  # state that makes pull skip a re-read


PARTS = (
    Part("customers", ("customers",), ("accounts", "addresses")),
    # The Exact-derived work address comes back with the next full read of accounts and addresses.
    Part("work_addresses", ("work_addresses",), ("accounts", "addresses")),
    Part("items", ("items", "item_groups"), ("items",), ("item_groups_read_at",)),
    Part("workorders", ("work_orders",), ()),
)
PART_NAMES = tuple(p.name for p in PARTS)
_BY_NAME = {p.name: p for p in PARTS}
# What people read for a table, and for a part: its first table (translated where shown).
TABLE_LABELS = {"customers": N_("customers"), "work_addresses": N_("work addresses"), "items": N_("items"),
                "item_groups": N_("item groups"), "work_orders": N_("work orders"),
                "time_bookings": N_("time bookings"), "materials": N_("materials"), "forms": N_("forms"),
                "form_answers": N_("form answers"), "outbox": N_("outbox")}
PART_LABELS = {p.name: TABLE_LABELS[p.tables[0]] for p in PARTS}


@dataclass
class Wiped:
    deleted: dict[str, int] = field(default_factory=dict)  # {table: rows deleted}
    kept: dict[str, int] = field(default_factory=dict)  # {table: rows kept}, only where some were
    kept_for: list[str] = field(default_factory=list)  # the work orders they were kept for

    def summary(self) -> Msg:
        deleted = rows_text(self.deleted) or msg("nothing")
        if not self.kept:
            return msg("{rows} deleted", rows=deleted)
        return msg("{rows} deleted; kept {kept}: work orders not yet sent to Exact use them ({numbers}); the next "
                   "pull brings them up to date", rows=deleted, kept=rows_text(self.kept),
                   numbers=first_five(self.kept_for))


def counts(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """What each part holds: {part: {table: rows}}, tables in wipe order."""
    return {p.name: {t: store_wipe.count_rows(db, t) for t in _tables_of(db, p)} for p in PARTS}


def wipe(db: sqlite_utils.Database, parts: list[str], *, force: bool = False) -> Wiped:
    """Delete the chosen parts in one transaction, but what unsent work orders need."""
    wiped = Wiped()
    with transaction(db):
        if "workorders" in parts and not force:
            refuse_losing_archived(db)
        # Work orders first: those wiped need nothing kept for them.
        for name in sorted(parts, key=lambda n: n != "workorders"):
            part = _BY_NAME[name]
            for table in _tables_of(db, part):
                deleted, kept = store_wipe.delete_rows(db, table)
                wiped.deleted[table] = wiped.deleted.get(table, 0) + deleted
                if kept:
                    wiped.kept[table] = kept
            for entity in part.checkpoints:
                delete_checkpoint(db, entity)
            set_state(db, **{key: None for key in part.state_keys})
        if wiped.kept:
            wiped.kept_for = store_wipe.numbers_using_kept_addresses(db)
        set_state(db, wiped_at=utcnow())
        changes.start_over(db)  # a field app's cursor from before the wipe starts over
        log.info(db, "connection",
                 msg("wiped {parts}: {summary}", parts=joined([Msg(PART_LABELS[p]) for p in parts]),
                     summary=wiped.summary()),
                 action=msg("none: the next pull reads the wiped customers and items again from Exact"))
    return wiped


def refuse_losing_archived(db: sqlite_utils.Database) -> None:
    numbers = store_wipe.archived_not_in_exact(db)
    if numbers:
        if get_state(db, "connected_at") is None:
            raise ExactsyncError(msg("{count} archived work orders have not reached Exact yet ({numbers}) and cannot "
                                     "before the first connection: keep their PDFs (`exactsync workorder pdf`), then "
                                     "pass --force to delete them", count=len(numbers), numbers=first_five(numbers)))
        raise ExactsyncError(msg("{count} archived work orders have not reached Exact yet ({numbers}): let "
                                 "`exactsync push` send them first, or pass --force to delete them anyway",
                                 count=len(numbers), numbers=first_five(numbers)))


def not_from_exact(db: sqlite_utils.Database) -> dict[str, int]:
    """What keeps `connect` from starting: {what: rows}, `what` a label to translate where shown.

    Before the first connection nothing in the store came from Exact, so every
    part must be empty; after it, only customers and items made locally count.
    """
    if get_state(db, "connected_at") is None:
        return {TABLE_LABELS[t]: n for part in counts(db).values() for t, n in part.items() if n}
    found = store_wipe.made_locally(db)
    return {what: n for what, n in found.items() if n}


def _tables_of(db: sqlite_utils.Database, part: Part) -> list[str]:
    """The part's tables preceded by every table that references them (children first)."""
    ordered: list[str] = []
    for table in part.tables:
        for child in store_wipe.children(db, table):
            if child not in ordered:
                ordered.append(child)
    return ordered


def rows_text(tables: dict[str, int]) -> Msg | None:
    """"2 customers, 1 work addresses" as a message; None for no tables."""
    return counted({TABLE_LABELS[t]: n for t, n in tables.items()})


def counted(labelled: dict[str, int]) -> Msg | None:
    """{label: rows} as "2 customers, 1 items", each label read in the reader's language; None when empty."""
    if not labelled:
        return None
    return joined([msg("{count} {what}", count=n, what=Msg(label)) for label, n in labelled.items()])


def joined(messages: list[Msg]) -> Msg:
    """"a, b, c" as one message, each part rendered in the reader's language."""
    result = messages[-1]
    for message in reversed(messages[:-1]):
        result = msg("{first}, {rest}", first=message, rest=result)
    return result


def first_five(numbers: list[str]) -> str:
    return ", ".join(numbers[:5]) + (", ..." if len(numbers) > 5 else "")
