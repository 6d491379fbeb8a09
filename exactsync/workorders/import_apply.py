"""`workorder import`, the writing half: store the checked entries (importer.py checks them), all
or nothing, or with `each` every good entry on its own. An entry creates a work order, or, with the
external_id of one imported before, updates it or leaves it as it is (reimport.py)."""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.i18n import Msg, message_of, msg, nmsg, number
from exactsync.store import external, transaction
from exactsync.workorders import addresses, lifecycle, reimport
from exactsync.workorders.importer import ImportRefused, Outcome, check_entries
from exactsync.workorders.lookup import WorkOrderError


class EntriesRefused(WorkOrderError):
    """With `each`: the entries that were refused, after the others were imported."""

    def __init__(self, source: str, outcomes: list[Outcome]):
        problems = _problems(outcomes)
        # Rendered now: the refusal is printed at once, in the language in force.
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(msg("{source}: {count} entries refused, the others were imported:\n{lines}\nfix those "
                             "entries and import them again (an entry with an external_id is never imported twice)",
                             source=source, count=number(sum(1 for o in outcomes if o.problems)), lines=lines))


class _Refused(Exception):
    def __init__(self, problems: list[Msg]):
        self.problems = problems


def import_entries(db: sqlite_utils.Database, entries: list, *, prefix: str, source: str,
                   each: bool = False) -> list[Outcome]:
    """Import the entries in one transaction; return what became of each. When any entry is wrong,
    write nothing, log a warning and raise ImportRefused listing every problem; with `each`, apply
    every good entry and refuse only the others (see `refused`)."""
    # Checked inside the write transaction, so a pull cannot change a customer or item in between.
    try:
        with transaction(db):
            outcomes = check_entries(db, entries)
            if not each and _problems(outcomes):
                raise _Refused(_problems(outcomes))
            for outcome in outcomes:
                if not outcome.problems:
                    _apply(db, outcome, prefix, each)
            _log_imported(db, outcomes, source)
    except _Refused as refused:
        log.warning(db, "workorder", msg("import of {source} refused, nothing imported: {count} problems, "
                                         "the first: {problem}", source=source, count=number(len(refused.problems)),
                                         problem=refused.problems[0]), record=source,
                    action=msg("fix every problem the import printed, then import the file again"))
        raise ImportRefused(source, refused.problems) from None
    problems = _problems(outcomes)
    if problems:
        log.warning(db, "workorder", msg("import of {source}: {count} entries refused, the others imported; the "
                                         "first: {problem}", source=source,
                                         count=number(sum(1 for o in outcomes if o.problems)), problem=problems[0]),
                    record=source, action=msg("fix the refused entries the import printed, then import them again"))
    return outcomes


def summary(outcomes: list[Outcome], source: str) -> Msg:
    """What the import did, for the person who ran it."""
    counts = {result: sum(1 for o in outcomes if o.result == result) for result in ("created", "updated", "unchanged")}
    if counts["created"] == len(outcomes):
        return nmsg("imported {count} work order from {file}", "imported {count} work orders from {file}",
                    len(outcomes), file=source)
    return msg("{file}: {created} work orders created, {updated} updated, {unchanged} unchanged", file=source,
               **counts)


def _problems(outcomes: list[Outcome]) -> list[Msg]:
    return [problem for outcome in outcomes for problem in outcome.problems]


def _apply(db: sqlite_utils.Database, outcome: Outcome, prefix: str, each: bool) -> None:
    """Store the entry in a savepoint of its own: one that fails changes nothing."""
    try:
        with transaction(db):
            outcome.number, outcome.result = _store(db, outcome, prefix)
    except WorkOrderError as exc:
        outcome.problems.append(msg("{where}: {problem}", where=msg("entry {index}", index=outcome.index),
                                    problem=message_of(exc)))
        if not each:
            raise _Refused(outcome.problems) from None


def _store(db: sqlite_utils.Database, outcome: Outcome, prefix: str) -> tuple[str, str]:
    """(number, created, updated or unchanged); an entry with an external_id is remembered by its digest."""
    number, result = _stored(db, outcome, prefix)
    if outcome.entry.get("external_id") is not None:
        external.set_import_digest(db, number, outcome.digest)
    return number, result


def _stored(db: sqlite_utils.Database, outcome: Outcome, prefix: str) -> tuple[str, str]:
    order, entry = outcome.order, outcome.entry
    if order is None:
        return _store_entry(db, entry, prefix), "created"
    if not outcome.differ:
        return order["number"], "unchanged"
    reimport.update(db, order, entry, _address_id(db, entry), outcome.differ)
    return order["number"], "updated"


def _log_imported(db: sqlite_utils.Database, outcomes: list[Outcome], source: str) -> None:
    done = {result: [o.number for o in outcomes if o.result == result] for result in ("created", "updated")}
    numbers = done["created"]
    if numbers and not done["updated"]:
        log.info(db, "workorder", msg("imported {count} work orders from {source}: {first} to {last}",
                                      count=number(len(numbers)), source=source, first=numbers[0], last=numbers[-1]),
                 record=source)
    elif done["updated"]:
        log.info(db, "workorder", msg("imported {source}: {created} work orders created, {updated} updated ({numbers})",
                                      source=source, created=number(len(numbers)),
                                      updated=number(len(done["updated"])), numbers=", ".join(done["updated"][:5])),
                 record=source)


def _address_id(db: sqlite_utils.Database, entry: dict) -> int:
    address = entry["work_address"]
    return _same_or_new_address(db, entry["customer"], address) if isinstance(address, dict) else address


def _store_entry(db: sqlite_utils.Database, entry: dict, prefix: str) -> str:
    customer = entry["customer"]
    number = lifecycle.create(db, prefix=prefix, customer_code=customer["code"], description=entry["description"],
                              work_address_id=_address_id(db, entry), customer_reference=entry["customer_reference"])
    if entry["external_id"] is not None:
        external.set_external_id(db, number, entry["external_id"])
    if entry["planned"]:
        lifecycle.plan(db, number, **entry["planned"])
    for hours in entry["hours"]:
        lifecycle.book_time(db, number, employee=hours["employee"], minutes_by_kind={hours["kind"]: hours["minutes"]})
    for material in entry["materials"]:
        lifecycle.add_material(db, number, material["item"]["code"], material["quantity"], material["description"])
    for form in entry["forms"]:
        lifecycle.fill_form(db, number, form["name"], form["answers"])
    if entry["status"] in ("completed", "archived"):
        lifecycle.complete(db, number)
    if entry["status"] == "archived":
        lifecycle.archive(db, number)
    return number


def _same_or_new_address(db: sqlite_utils.Database, customer: dict, fields: dict) -> int:
    """Reuse the customer's identical work address, so importing many orders for one place adds it once."""
    same = addresses.same_address(db, customer, fields)
    return (same or addresses.add(db, customer["code"], **fields))["id"]
