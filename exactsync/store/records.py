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


# --- sync checkpoints ----------------------------------------------------------

def delete_checkpoint(db: sqlite_utils.Database, entity: str) -> None:
    """Pull reads `entity` again from the start. Runs inside the caller's transaction."""
    db.execute("DELETE FROM sync_checkpoints WHERE entity = ?", [entity])


# --- cleanup (R5) ----------------------------------------------------------------

REMOVABLE = "exact_id IS NULL OR active = 0"
BOOKED_NOT_SENT = ("exact_id IN (SELECT m.item_exact_id FROM materials m JOIN work_orders w ON w.id = m.work_order_id "
                   "WHERE w.status != 'sent' AND m.item_exact_id IS NOT NULL)")
REMOVABLE_ITEM = f"exact_id IS NULL OR (active = 0 AND NOT {BOOKED_NOT_SENT})"
WHY = "CASE WHEN exact_id IS NULL THEN 'is not from Exact' ELSE inactive_reason END"


def work_addresses_of_removable_customers(db: sqlite_utils.Database) -> list[tuple[int, str, str, str]]:
    """(id, street, city, customer code) of the work addresses that go with their customer."""
    return db.execute(
        f"""SELECT w.id, w.street, w.city, c.code FROM work_addresses w JOIN customers c ON c.id = w.customer_id
            WHERE c.id IN (SELECT id FROM customers WHERE {REMOVABLE}) ORDER BY w.id""").fetchall()


def _delete_returning(db: sqlite_utils.Database, table: str, name: str, where: str, why: str) -> list[tuple]:
    return db.execute(f"DELETE FROM {table} WHERE {where} RETURNING code, {name}, {why}").fetchall()


def remove_customers(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    """Delete the customers not (or no longer) from Exact, with their work addresses (ON DELETE
    CASCADE); return (code, name, why) of each. Runs inside the caller's transaction."""
    return _delete_returning(db, "customers", "name", REMOVABLE, WHY)


def remove_items(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    """Delete the items not (or no longer) from Exact but those a work order not yet sent books;
    return (code, description, why) of each. Runs inside the caller's transaction."""
    return _delete_returning(db, "items", "description", REMOVABLE_ITEM, WHY)


def remove_item_groups(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    """Delete the item groups not from Exact; return (code, description, why) of each. Runs inside
    the caller's transaction."""
    return _delete_returning(db, "item_groups", "description", "exact_id IS NULL", "'is not from Exact'")


def count_inactive_items_booked(db: sqlite_utils.Database) -> int:
    """Inactive items that work orders not yet sent book (cleanup keeps them)."""
    return db.execute(f"SELECT count(*) FROM items WHERE active = 0 AND {BOOKED_NOT_SENT}").fetchone()[0]
