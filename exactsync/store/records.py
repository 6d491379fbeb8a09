"""The records pull brings from Exact: customers, their addresses and work addresses,
items and item groups; the sync checkpoints that say how far each was read."""

from __future__ import annotations

import sqlite_utils


# --- listing -------------------------------------------------------------------

def _search(sql: str, columns: tuple[str, ...], text: str | None, params: list) -> tuple[str, list]:
    if text:
        like = " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns)
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql += f" AND ({like})"
        params = [*params, *([pattern] * len(columns))]
    return sql, params


def list_customers(db: sqlite_utils.Database, search: str | None, include_inactive: bool) -> list[dict]:
    """Customers by name, those whose code, name, postcode or city contains `search`."""
    sql = ("SELECT code, name, address_line1 AS address, postcode, city, country, active, inactive_reason "
           "FROM customers WHERE (active = 1 OR ?)")
    sql, params = _search(sql, ("code", "name", "postcode", "city"), search, [include_inactive])
    return list(db.query(sql + " ORDER BY name, code", params))


def list_items(db: sqlite_utils.Database, search: str | None, group: str | None, include_inactive: bool) -> list[dict]:
    """Items by code, of the item group `group` (code or description) if given, those whose code
    or description contains `search`."""
    sql = ("SELECT code, description, item_group_code, item_group_description, unit, active, inactive_reason "
           "FROM items WHERE (active = 1 OR ?)")
    params: list = [include_inactive]
    if group:
        sql += " AND (item_group_code = ? OR item_group_description = ?)"
        params += [group, group]
    sql, params = _search(sql, ("code", "description"), search, params)
    return list(db.query(sql + " ORDER BY code", params))
