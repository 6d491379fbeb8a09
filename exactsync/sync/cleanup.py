"""Cleanup (R5): remove customers and items that did not come from Exact, or that
Exact deleted, blocked or ended (pull marked those inactive). Work orders are never
removed: they keep their own copy of what they need, and push explains what is missing.

An inactive item that a work order not yet in Exact books stays (it cannot be picked
anyway): pull keeps it in step with Exact, so push can tell whether that material can
still be invoiced without asking Exact every run."""

from __future__ import annotations

import sqlite_utils

from exactsync import log
from exactsync.i18n import N_, N_plural, msg, nmsg
from exactsync.store import records as store
from exactsync.store import transaction
from exactsync.sync import mapping

TABLES = ("customer", "work_address", "item", "item_group")
# The rows past log.RECORDS_PER_TABLE are gone: the count row says how many went in all.
MORE = {("info", table): msg("removed as well (the cleanup count row has them all)") for table in TABLES}
REMOVED = {"customer": N_("customer {code} ({name}) {reason}: removed by cleanup"),
           "item": N_("item {code} ({name}) {reason}: removed by cleanup"),
           "item_group": N_("item group {code} ({name}) {reason}: removed by cleanup")}
REMOVED_COUNT = {
    "work_address": N_plural("cleanup removed {count} work address that is not (or no longer) in Exact",
                             "cleanup removed {count} work addresses that are not (or no longer) in Exact"),
    "customer": N_plural("cleanup removed {count} customer that is not (or no longer) in Exact",
                         "cleanup removed {count} customers that are not (or no longer) in Exact"),
    "item": N_plural("cleanup removed {count} item that is not (or no longer) in Exact",
                     "cleanup removed {count} items that are not (or no longer) in Exact"),
    "item_group": N_plural("cleanup removed {count} item group that is not (or no longer) in Exact",
                           "cleanup removed {count} item groups that are not (or no longer) in Exact")}
NONE = msg("none")


def cleanup(db: sqlite_utils.Database) -> dict[str, int]:
    """Remove what should go, in one transaction, with a log row per record and a count
    row per table; return the count per table."""
    records = log.Records()
    with transaction(db):
        # Work addresses go with their customer (ON DELETE CASCADE): logged first, while they are there.
        addresses = store.work_addresses_of_removable_customers(db)
        for address_id, street, city, code in addresses:
            place = ", ".join(filter(None, (street, city))) or msg("no address")
            records.write(db, "info", "work_address",
                          msg("work address {id} ({place}) of customer {code}: removed by cleanup with its customer",
                              id=address_id, place=place, code=code), record=str(address_id), action=NONE)
        removed = {
            "work_address": len(addresses),
            "customer": _log_removed(db, records, "customer", store.remove_customers(db, mapping.NOT_FROM_EXACT)),
            "item": _log_removed(db, records, "item", store.remove_items(db, mapping.NOT_FROM_EXACT)),
            "item_group": _log_removed(db, records, "item_group", store.remove_item_groups(db, mapping.NOT_FROM_EXACT)),
        }
        records.finish(db, MORE)
        for table, count in removed.items():
            log.info(db, table, nmsg(*REMOVED_COUNT[table], count))
        kept = store.count_inactive_items_booked(db)
        if kept:
            log.info(db, "item", nmsg("cleanup kept {count} inactive item that work orders not yet in Exact book",
                                      "cleanup kept {count} inactive items that work orders not yet in Exact book",
                                      kept),
                     action=msg("none: they cannot be picked; push decides whether they can still be invoiced"))
    return removed


def _log_removed(db: sqlite_utils.Database, records: log.Records, table: str, gone: list[tuple[str, str, str]]) -> int:
    """A log row for each (code, name, why) removed from the log table `table`; return how many."""
    for code, label, reason in sorted(gone):
        records.write(db, "info", table, msg(REMOVED[table], code=code, name=label,
                                             reason=mapping.reason_message(reason or mapping.INACTIVE)),
                      record=code, action=NONE)
    return len(gone)
