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
from exactsync.i18n import N_, Msg, N_plural, msg, nmsg
from exactsync.store import changes, state, transaction
from exactsync.store import wipe as store_wipe
from exactsync.store.records import delete_checkpoint
from exactsync.timeutil import utcnow


@dataclass(frozen=True)
class Part:
    name: str
    tables: tuple[str, ...]  # wiped with every table that points at them by a foreign key
    checkpoints: tuple[str, ...]  # pull's sync_checkpoints entities to read again from the start
    state_keys: tuple[state.Key, ...] = ()  # state that makes pull skip a re-read


PARTS = (
    Part("customers", ("customers",), ("accounts", "addresses")),
    # The Exact-derived work address comes back with the next full read of accounts and addresses.
    Part("work_addresses", ("work_addresses",), ("accounts", "addresses")),
    Part("items", ("items", "item_groups"), ("items",), (state.ITEM_GROUPS_READ_AT,)),
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
# Each table's rows counted as people read them: "1 customer", "3 customers".
TABLE_COUNTS = {
    "customers": N_plural("{count} customer", "{count} customers"),
    "work_addresses": N_plural("{count} work address", "{count} work addresses"),
    "items": N_plural("{count} item", "{count} items"),
    "item_groups": N_plural("{count} item group", "{count} item groups"),
    "work_orders": N_plural("{count} work order", "{count} work orders"),
    "time_bookings": N_plural("{count} time booking", "{count} time bookings"),
    "materials": N_plural("{count} material", "{count} materials"), "forms": N_plural("{count} form", "{count} forms"),
    "form_answers": N_plural("{count} form answer", "{count} form answers"),
    "outbox": N_plural("{count} outbox row", "{count} outbox rows")}


@dataclass
class Wiped:
    deleted: dict[str, int] = field(default_factory=dict)  # {table: rows deleted}
    kept: dict[str, int] = field(default_factory=dict)  # {table: rows kept}, only where some were
    kept_for: list[str] = field(default_factory=list)  # the work orders they were kept for
    forced: list[Msg] = field(default_factory=list)  # each work order --force deleted unfinished, with what Exact lacks

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
        if "workorders" in parts:
            wiped.forced = unfinished(db) if force else refuse_losing_unfinished(db)
        for order in wiped.forced:
            log.warning(db, "workorder", msg("deleted by `exactsync wipe --force` before it fully reached Exact: "
                                             "{order}", order=order),
                        action=msg("make what Exact lacks there by hand if it is needed"))
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
            for key in part.state_keys:
                key.set(db, None)
        if wiped.kept:
            wiped.kept_for = store_wipe.numbers_using_kept_addresses(db)
        state.WIPED_AT.set(db, utcnow())
        changes.start_over(db)  # a field app's cursor from before the wipe starts over
        log.info(db, "connection",
                 msg("wiped {parts}: {summary}", parts=joined([Msg(PART_LABELS[p]) for p in parts]),
                     summary=wiped.summary()),
                 action=msg("none: the next pull reads the wiped customers and items again from Exact"))
    return wiped


# What Exact lacks while a push step is not done, by the step's name or, failing that, the part of it
# before ":" ("document:forms" is a document); a step named otherwise is shown by its name.
EXACT_LACKS = {"invoice": N_("the draft invoice"), "document": N_("the document on the customer's card"),
               "attachment:workorder": N_("the work order PDF"), "attachment:forms": N_("the forms PDF")}


def what_exact_lacks(open_steps: list[str], exact_invoice_id: str | None) -> list[Msg]:
    """What Exact lacks of a work order push has not finished with, from its steps not done."""
    if not open_steps:  # push never began, or stopped between its steps
        return [Msg(N_("the draft invoice and its PDFs") if exact_invoice_id is None
                    else N_("what push sends after the invoice"))]
    labels = [EXACT_LACKS.get(step) or EXACT_LACKS.get(step.split(":")[0]) or step for step in open_steps]
    return [Msg(label) for label in dict.fromkeys(labels)]


def unfinished(db: sqlite_utils.Database) -> list[Msg]:
    """Each work order push has not finished with: "WO00001 (Exact lacks the forms PDF)"."""
    return [msg("{number} (Exact lacks {what})", number=order["number"],
                what=joined(what_exact_lacks(order["open_steps"], order["exact_invoice_id"])))
            for order in store_wipe.unfinished_work_orders(db)]


def refuse_losing_unfinished(db: sqlite_utils.Database) -> list[Msg]:
    """Refuse to wipe work orders push has not finished with (any step not done); [] when there are none."""
    orders = unfinished(db)
    if not orders:
        return []
    listed = listed_five(orders)
    if state.CONNECTED_AT.get(db) is None:
        raise ExactsyncError(msg("{count} work orders have not fully reached Exact yet and cannot before the first "
                                 "connection: {orders}. Keep their PDFs (`exactsync workorder pdf`), then pass "
                                 "--force to delete them", count=len(orders), orders=listed))
    raise ExactsyncError(msg("{count} work orders have not fully reached Exact yet: {orders}. Let `exactsync push` "
                             "send them first, or pass --force to delete them anyway", count=len(orders),
                             orders=listed))


def not_from_exact(db: sqlite_utils.Database) -> dict[str, int]:
    """What keeps `connect` from starting: {what: rows}, `what` a label to translate where shown.

    Before the first connection nothing in the store came from Exact, so every
    part must be empty; after it, only customers and items made locally count.
    """
    if state.CONNECTED_AT.get(db) is None:
        return {TABLE_COUNTS[t]: n for part in counts(db).values() for t, n in part.items() if n}
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
    """"2 customers, 1 work address" as a message; None for no tables."""
    return counted({TABLE_COUNTS[t]: n for t, n in tables.items()})


def counted(labelled: dict[tuple[str, str], int]) -> Msg | None:
    """{(singular, plural): rows} as "2 customers, 1 item", read in the reader's language; None when empty."""
    if not labelled:
        return None
    return joined([nmsg(*pair, n) for pair, n in labelled.items()])


def joined(messages: list[Msg]) -> Msg:
    """"a, b, c" as one message, each part rendered in the reader's language."""
    result = messages[-1]
    for message in reversed(messages[:-1]):
        result = msg("{first}, {rest}", first=message, rest=result)
    return result


def listed_five(messages: list[Msg]) -> Msg:
    """The first five messages, "; " between them, and "..." after when there are more."""
    shown = messages[:5] + ([Msg("...")] if len(messages) > 5 else [])
    result = shown[-1]
    for message in reversed(shown[:-1]):
        result = msg("{first}; {rest}", first=message, rest=result)
    return result


def first_five(numbers: list[str]) -> str:
    return ", ".join(numbers[:5]) + (", ..." if len(numbers) > 5 else "")
