"""The records pull brings from Exact: customers, their addresses and work addresses,
items and item groups; the sync checkpoints that say how far each was read."""

from __future__ import annotations

import sqlite_utils

from exactsync.store.db import utcnow

# The key of the work address derived from a customer's default address in Exact is this
# prefix and the customer's Exact ID; one added locally gets a random key (the store's default).
EXACT_KEY_PREFIX = "exact:"
# The column that names a customer or item besides its code.
NAME_COLUMN = {"customers": "name", "items": "description"}


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


# --- saving what pull reads (inside the caller's transaction) ---------------------

def existing_by_exact_id(db: sqlite_utils.Database, table: str, exact_ids: list[str]) -> dict[str, dict]:
    """{exact_id: {active, inactive_reason, exact_timestamp, seen_generation}} of the stored rows."""
    if not exact_ids:
        return {}
    marks = ", ".join("?" * len(exact_ids))
    rows = db.execute(f"SELECT exact_id, active, inactive_reason, exact_timestamp, seen_generation FROM {table} "
                      f"WHERE exact_id IN ({marks})", exact_ids)
    return {r[0]: {"active": r[1], "inactive_reason": r[2], "exact_timestamp": r[3], "seen_generation": r[4]}
            for r in rows.fetchall()}


def upsert_records(db: sqlite_utils.Database, table: str, rows: list[dict], generation: int | None) -> None:
    """Insert or update by exact_id; an older version never overwrites a newer one,
    except the first time a full read sees the row (a division move resets Timestamps)."""
    if not rows:
        return
    now = utcnow()
    columns = list(rows[0]) + ["updated_at", "seen_generation"]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "exact_id")
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT (exact_id) DO UPDATE SET {updates} "
        f"WHERE excluded.exact_timestamp >= {table}.exact_timestamp OR {table}.exact_timestamp IS NULL "
        f"OR coalesce({table}.seen_generation, 0) < coalesce(excluded.seen_generation, 0)"
    )
    db.conn.executemany(sql, ([*row.values(), now, generation] for row in rows))


def derive_work_addresses(db: sqlite_utils.Database, exact_ids: list[str]) -> None:
    """The customer address is also the customer's first work address (R3); pull keeps
    that one in step with Exact and never touches work addresses added locally. It is
    upserted on its key, which comes from the customer's Exact ID, so the one a wipe
    kept, and the one a pull after a wipe makes again, is the one work orders refer to."""
    if not exact_ids:
        return
    marks = ", ".join("?" * len(exact_ids))
    # Until the addresses are read, the fields come from the account, hence its ID.
    db.execute(
        f"""INSERT INTO work_addresses (key, customer_id, name, street, postcode, city, country, exact_address_id,
                                        created_at)
            SELECT ? || c.exact_id, c.id, c.name, c.address_line1, c.postcode, c.city, c.country, c.exact_id, ?
            FROM customers c
            WHERE c.exact_id IN ({marks})
            ON CONFLICT (key) DO UPDATE SET
              customer_id = excluded.customer_id, name = excluded.name, street = excluded.street,
              postcode = excluded.postcode, city = excluded.city, country = excluded.country
            WHERE (customer_id, name, street, postcode, city, country)
                  IS NOT (excluded.customer_id, excluded.name, excluded.street, excluded.postcode, excluded.city,
                          excluded.country)""",
        [EXACT_KEY_PREFIX, utcnow(), *exact_ids],
    )


def stored_addresses(db: sqlite_utils.Database, accounts: list[str], fields: tuple[str, ...]
                     ) -> dict[str, tuple[tuple, str | None]]:
    """{account: (customer address `fields`, Exact ID behind its derived work address)}."""
    if not accounts:
        return {}
    rows = db.execute(
        f"""SELECT c.exact_id, {', '.join(f'c.{f}' for f in fields)}, w.exact_address_id
            FROM customers c LEFT JOIN work_addresses w ON w.key = ? || c.exact_id
            WHERE c.exact_id IN ({', '.join('?' * len(accounts))})""", [EXACT_KEY_PREFIX, *accounts])
    return {r[0]: (tuple(r[1:-1]), r[-1]) for r in rows.fetchall()}


def update_customer_addresses(db: sqlite_utils.Database, fields: tuple[str, ...], addresses: list[dict]) -> None:
    """Set the address `fields` of each customer whose Exact ID is the address's `account`."""
    db.conn.executemany(
        f"UPDATE customers SET {', '.join(f'{f} = ?' for f in fields)}, updated_at = ? WHERE exact_id = ?",
        ([*(a[f] for f in fields), utcnow(), a["account"]] for a in addresses),
    )


def relink_work_addresses(db: sqlite_utils.Database, addresses: list[dict]) -> None:
    """The derived work address of each address's `account` now comes from its `exact_address_id`."""
    db.conn.executemany(
        "UPDATE work_addresses SET exact_address_id = ? WHERE key = ? || ?",
        ([a["exact_address_id"], EXACT_KEY_PREFIX, a["account"]] for a in addresses),
    )


# --- deactivating (inside the caller's transaction) --------------------------------
# Each marks active rows of `table` (customers or items) inactive with the reason it is
# given (sync/mapping.py's) and returns (code, name, reason) of each.

def _deactivate(db: sqlite_utils.Database, table: str, reason: str, where: str, params: list,
                reason_sql: str = "?") -> list[tuple]:
    """`reason_sql` is the SQL that makes the stored reason out of the parameter `reason`."""
    return db.execute(
        f"UPDATE {table} SET active = 0, inactive_reason = {reason_sql}, updated_at = ? WHERE active = 1 AND {where} "
        f"RETURNING code, {NAME_COLUMN[table]}, inactive_reason", [reason, utcnow(), *params]).fetchall()


def deactivate_deleted(db: sqlite_utils.Database, table: str, exact_id: str, reason: str
                       ) -> list[tuple[str, str, str]]:
    return _deactivate(db, table, reason, "exact_id = ?", [exact_id])


def deactivate_unseen(db: sqlite_utils.Database, table: str, generation: int, reason: str
                      ) -> list[tuple[str, str, str]]:
    """The rows from Exact that the full read `generation` did not see."""
    return _deactivate(db, table, reason, "exact_id IS NOT NULL AND coalesce(seen_generation, 0) < ?", [generation])


def deactivate_ended(db: sqlite_utils.Database, table: str, today: str, reason: str) -> list[tuple[str, str, str]]:
    """The rows whose EndDate is before `today` (ISO date); `reason` has {day} for the end date."""
    return _deactivate(db, table, reason, "end_date IS NOT NULL AND end_date < ?", [today],
                       reason_sql="replace(?, '{day}', end_date)")


# --- item groups -------------------------------------------------------------------

def items_of_unknown_groups(db: sqlite_utils.Database) -> bool:
    """Whether an item names an item group from Exact that the store does not hold."""
    return db.execute(
        "SELECT 1 FROM items WHERE item_group_exact_id IS NOT NULL AND item_group_exact_id NOT IN "
        "(SELECT exact_id FROM item_groups WHERE exact_id IS NOT NULL) LIMIT 1").fetchone() is not None


def item_groups_from_exact(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    """(exact_id, code, description) of the item groups from Exact, by code."""
    return db.execute(
        "SELECT exact_id, code, description FROM item_groups WHERE exact_id IS NOT NULL ORDER BY code").fetchall()


def replace_item_groups(db: sqlite_utils.Database, groups: list[dict]) -> None:
    """The item groups from Exact become `groups`. Runs inside the caller's transaction."""
    db.execute("DELETE FROM item_groups WHERE exact_id IS NOT NULL")
    db.conn.executemany(
        "INSERT INTO item_groups (exact_id, code, description, updated_at) VALUES (?, ?, ?, ?)",
        [(g["exact_id"], g["code"], g["description"], utcnow()) for g in groups],
    )


# --- sync checkpoints ----------------------------------------------------------

def load_checkpoint(db: sqlite_utils.Database, entity: str) -> tuple[int, int | None] | None:
    """(timestamp, full read generation in progress) of `entity`, None before its first read."""
    row = db.execute("SELECT timestamp, full_read_generation FROM sync_checkpoints WHERE entity = ?",
                     [entity]).fetchone()
    return (row[0], row[1]) if row else None


def save_checkpoint(db: sqlite_utils.Database, entity: str, timestamp: int, generation: int | None) -> None:
    db.execute(
        """INSERT INTO sync_checkpoints (entity, timestamp, full_read_generation, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (entity) DO UPDATE SET timestamp = excluded.timestamp,
               full_read_generation = excluded.full_read_generation, updated_at = excluded.updated_at""",
        [entity, timestamp, generation, utcnow()],
    )


def delete_checkpoint(db: sqlite_utils.Database, entity: str) -> None:
    """Pull reads `entity` again from the start. Runs inside the caller's transaction."""
    db.execute("DELETE FROM sync_checkpoints WHERE entity = ?", [entity])


# --- cleanup (R5) ----------------------------------------------------------------

REMOVABLE = "exact_id IS NULL OR active = 0"
BOOKED_NOT_SENT = ("exact_id IN (SELECT m.item_exact_id FROM materials m JOIN work_orders w ON w.id = m.work_order_id "
                   "WHERE w.status != 'sent' AND m.item_exact_id IS NOT NULL)")
REMOVABLE_ITEM = f"exact_id IS NULL OR (active = 0 AND NOT {BOOKED_NOT_SENT})"
WHY = "CASE WHEN exact_id IS NULL THEN ? ELSE inactive_reason END"  # ?: the reason of a row not from Exact


def work_addresses_of_removable_customers(db: sqlite_utils.Database) -> list[tuple[int, str, str, str]]:
    """(id, street, city, customer code) of the work addresses that go with their customer."""
    return db.execute(
        f"""SELECT w.id, w.street, w.city, c.code FROM work_addresses w JOIN customers c ON c.id = w.customer_id
            WHERE c.id IN (SELECT id FROM customers WHERE {REMOVABLE}) ORDER BY w.id""").fetchall()


def _delete_returning(db: sqlite_utils.Database, table: str, name: str, where: str, why: str,
                      not_from_exact: str) -> list[tuple]:
    return db.execute(f"DELETE FROM {table} WHERE {where} RETURNING code, {name}, {why}", [not_from_exact]).fetchall()


def remove_customers(db: sqlite_utils.Database, not_from_exact: str) -> list[tuple[str, str, str]]:
    """Delete the customers not (or no longer) from Exact, with their work addresses (ON DELETE
    CASCADE); return (code, name, why) of each, why `not_from_exact` for those added locally.
    Runs inside the caller's transaction."""
    return _delete_returning(db, "customers", "name", REMOVABLE, WHY, not_from_exact)


def remove_items(db: sqlite_utils.Database, not_from_exact: str) -> list[tuple[str, str, str]]:
    """Delete the items not (or no longer) from Exact but those a work order not yet sent books;
    return (code, description, why) of each, as `remove_customers`. Runs inside the caller's transaction."""
    return _delete_returning(db, "items", "description", REMOVABLE_ITEM, WHY, not_from_exact)


def remove_item_groups(db: sqlite_utils.Database, not_from_exact: str) -> list[tuple[str, str, str]]:
    """Delete the item groups not from Exact; return (code, description, `not_from_exact`) of each.
    Runs inside the caller's transaction."""
    return _delete_returning(db, "item_groups", "description", "exact_id IS NULL", "?", not_from_exact)


def count_inactive_items_booked(db: sqlite_utils.Database) -> int:
    """Inactive items that work orders not yet sent book (cleanup keeps them)."""
    return db.execute(f"SELECT count(*) FROM items WHERE active = 0 AND {BOOKED_NOT_SENT}").fetchone()[0]


# --- finding customers, items and work addresses -------------------------------------

def customers_by_code(db: sqlite_utils.Database, code: str) -> list[dict]:
    """The customers whose code, trimmed, is `code`."""
    return list(db.query("SELECT * FROM customers WHERE trim(code) = ? ORDER BY id", [code]))


def customers_by_number(db: sqlite_utils.Database, digits: str) -> list[dict]:
    """The customers whose code is all digits and, without leading zeros, is `digits`."""
    return list(db.query(
        "SELECT * FROM customers WHERE ltrim(trim(code), '0') = ? AND trim(code) GLOB '[0-9]*' ORDER BY id",
        [digits],
    ))


def customer_by_exact_id(db: sqlite_utils.Database, exact_id: str | None) -> dict | None:
    return next(db.query("SELECT * FROM customers WHERE exact_id = ?", [exact_id]), None)


def item_by_code(db: sqlite_utils.Database, code: str) -> dict | None:
    """The item whose code, trimmed, is `code`; one from Exact before one made locally."""
    rows = list(db.query("SELECT * FROM items WHERE trim(code) = ? ORDER BY exact_id IS NULL, id LIMIT 1", [code]))
    return rows[0] if rows else None


def items_by_exact_id(db: sqlite_utils.Database, exact_ids: list[str]) -> dict[str, dict]:
    """{exact_id: {exact_id, active, inactive_reason, end_date}} of the stored items among `exact_ids`."""
    marks = ", ".join("?" * len(exact_ids))
    return {r["exact_id"]: r for r in db.query(
        f"SELECT exact_id, active, inactive_reason, end_date FROM items WHERE exact_id IN ({marks})", exact_ids)}


def active_item_exact_id(db: sqlite_utils.Database, code: str) -> str | None:
    """The Exact ID of the active item from Exact whose code, trimmed, is `code`."""
    row = db.execute("SELECT exact_id FROM items WHERE trim(code) = ? AND exact_id IS NOT NULL AND active = 1 "
                     "ORDER BY id LIMIT 1", [code]).fetchone()
    return row[0] if row else None


def work_address_by_id(db: sqlite_utils.Database, address_id: int) -> dict | None:
    return next(db.query("SELECT * FROM work_addresses WHERE id = ?", [address_id]), None)


def work_address_by_key(db: sqlite_utils.Database, key: str) -> dict | None:
    return next(db.query("SELECT * FROM work_addresses WHERE key = ?", [key]), None)


def work_addresses_of_customer(db: sqlite_utils.Database, customer_id: int) -> list[dict]:
    """The customer's work addresses, the one from Exact first."""
    return list(db.query(
        "SELECT * FROM work_addresses WHERE customer_id = ? ORDER BY exact_address_id IS NULL, id", [customer_id]
    ))


def add_work_address(db: sqlite_utils.Database, values: dict) -> int:
    """Insert a work address added locally (the store gives it a random key); return its id.
    Runs inside the caller's transaction, with its log row."""
    return db["work_addresses"].insert(values).last_pk


def delete_work_address(db: sqlite_utils.Database, address_id: int) -> None:
    """Runs inside the caller's transaction, with unlinking its work orders."""
    db.execute("DELETE FROM work_addresses WHERE id = ?", [address_id])
