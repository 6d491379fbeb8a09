"""Item groups have no sync endpoint: pull reads them all when it matters, else once a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from exactsync import log
from exactsync.i18n import msg
from exactsync.store import records as store
from exactsync.store import state, transaction
from exactsync.sync import mapping
from exactsync.timeutil import parse, utcnow

ITEM_GROUPS_REFRESH = timedelta(hours=24)


def refresh(client, db, *, force: bool, now: datetime) -> None:
    """Item groups have no sync endpoint; read them all when it matters, else once a day."""
    read_at = state.ITEM_GROUPS_READ_AT.get(db)
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
        state.ITEM_GROUPS_READ_AT.set(db, utcnow())
