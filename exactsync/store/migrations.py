"""The store's schema as named migrations, applied in order by `db.migrate` and recorded in the
`migrations` table, so an old store is brought up to date on open and a new one is built the same
way. A new column or table is a new function at the end of MIGRATIONS (in the order of the numbers:
upgrade.py reads a store's schema as its highest name); a migration that has shipped is never edited.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from exactsync.store import changes_schema
from exactsync.store.schema_initial import INITIAL_SCHEMA


def _execute_each(db: sqlite_utils.Database, script: str) -> None:
    """Run a schema script statement by statement: executescript would COMMIT the
    migration's transaction half-way, and a failed migration must change nothing."""
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("--"))
    for statement in code.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite_utils.Database) -> None:
    _execute_each(db, INITIAL_SCHEMA)


def _m300_workorders_snapshot(db: sqlite_utils.Database) -> None:
    # What the PDFs and the invoice need, copied onto the work order, so that it
    # survives cleanup removing the customer or a later change of the address.
    # One execute per statement: executescript would COMMIT the migration's transaction.
    for statement in (
        "ALTER TABLE work_orders ADD COLUMN customer_exact_id TEXT",
        "ALTER TABLE work_orders ADD COLUMN customer_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE work_orders ADD COLUMN customer_address TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE work_orders ADD COLUMN work_address TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX work_orders_work_address ON work_orders (work_address_id)",
    ):
        db.execute(statement)


def _m400_pull_sync_state(db: sqlite_utils.Database) -> None:
    # end_date: an EndDate that passes changes nothing in Exact, so pull re-checks it daily.
    # seen_generation: the full read that last saw the row; rows a completed full read
    # did not see are no longer in Exact. full_read_generation: a full read in progress.
    # A derived work address's exact_address_id is the Exact ID its fields come from:
    # the main visit address, or the account until that address has been read.
    _execute_each(
        db,
        """
        ALTER TABLE customers ADD COLUMN end_date TEXT;
        ALTER TABLE customers ADD COLUMN seen_generation INTEGER;
        ALTER TABLE items ADD COLUMN end_date TEXT;
        ALTER TABLE items ADD COLUMN seen_generation INTEGER;
        ALTER TABLE sync_checkpoints ADD COLUMN full_read_generation INTEGER
        """,
    )


def _m600_push_outbox_status(db: sqlite_utils.Database) -> None:
    # The HTTP status of a step's uncertain outcome (a 5xx; NULL for no answer at all):
    # when the next run's lookup finds nothing, a 5xx was a refusal and backs off.
    db.execute("ALTER TABLE outbox ADD COLUMN last_status INTEGER")


def _m700_work_address_keys(db: sqlite_utils.Database) -> None:
    # Work orders referred to a work address by its row id, which a wipe and the next
    # pull renumber. Now every work address has a key that survives: the one derived
    # from Exact is "exact:" + its customer's Exact ID (pull upserts on it, so a wipe
    # and a re-pull give the same one back; exact_address_id still says which Exact
    # address its fields come from, which changes when Exact's main address does);
    # one added locally gets a random key, as it is never made again, only kept.
    # The table is rebuilt because ALTER TABLE cannot add a NOT NULL UNIQUE column
    # with a computed default.
    _execute_each(
        db,
        """
        CREATE TABLE work_addresses_keyed (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE DEFAULT (lower(hex(randomblob(16)))),
            customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
            name TEXT NOT NULL DEFAULT '',
            street TEXT NOT NULL DEFAULT '',
            postcode TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            country TEXT NOT NULL DEFAULT '',
            exact_address_id TEXT,
            created_at TEXT NOT NULL
        );
        -- One derived work address per customer from Exact; should a store hold more, the
        -- first keeps the Exact key and the others stay as if added locally.
        INSERT INTO work_addresses_keyed
            (id, key, customer_id, name, street, postcode, city, country, exact_address_id, created_at)
        SELECT w.id,
               CASE WHEN c.exact_id IS NOT NULL AND w.exact_address_id IS NOT NULL
                         AND w.id = (SELECT min(d.id) FROM work_addresses d
                                     WHERE d.customer_id = w.customer_id AND d.exact_address_id IS NOT NULL)
                    THEN 'exact:' || c.exact_id ELSE lower(hex(randomblob(16))) END,
               w.customer_id, w.name, w.street, w.postcode, w.city, w.country, w.exact_address_id, w.created_at
        FROM work_addresses w LEFT JOIN customers c ON c.id = w.customer_id;

        ALTER TABLE work_orders ADD COLUMN work_address_key TEXT;
        -- A row id counts only while it still names an address of the work order's own
        -- customer: after a wipe and a pull it may name another customer's address.
        UPDATE work_orders SET work_address_key = (
            SELECT w.key FROM work_addresses_keyed w JOIN customers c ON c.id = w.customer_id
            WHERE w.id = work_orders.work_address_id
              AND (c.exact_id = work_orders.customer_exact_id
                   OR (c.exact_id IS NULL AND work_orders.customer_exact_id IS NULL
                       AND c.id = work_orders.customer_id)))
        """,
    )
    _relink_by_address_text(db)
    _execute_each(
        db,
        """
        DROP INDEX work_orders_work_address;
        ALTER TABLE work_orders DROP COLUMN work_address_id;
        CREATE INDEX work_orders_work_address_key ON work_orders (work_address_key);
        DROP TABLE work_addresses;
        ALTER TABLE work_addresses_keyed RENAME TO work_addresses;
        CREATE INDEX work_addresses_customer ON work_addresses (customer_id)
        """,
    )


def _relink_by_address_text(db: sqlite_utils.Database) -> None:
    """Part of 700: a work order whose row id no longer names an address of its customer
    (a wipe and a pull before this migration) gets back the one address of its customer
    that reads exactly as the address it shows; with none or several it stays unlinked,
    and push asks for `workorder set-customer ... --work-address`."""
    orphans = db.execute(
        "SELECT id, customer_exact_id, work_address FROM work_orders "
        "WHERE work_address_key IS NULL AND work_address_id IS NOT NULL AND customer_exact_id IS NOT NULL").fetchall()
    for order_id, customer_exact_id, shown in orphans:
        rows = db.execute(
            "SELECT w.key, w.name, w.street, w.postcode, w.city, w.country FROM work_addresses_keyed w "
            "JOIN customers c ON c.id = w.customer_id WHERE c.exact_id = ?", [customer_exact_id]).fetchall()
        # How a work order shows its work address: name, street, "postcode city", country.
        same = [key for key, name, street, postcode, city, country in rows
                if "\n".join(filter(None, (name, street, " ".join(filter(None, (postcode, city))), country))) == shown]
        if len(same) == 1:
            db.execute("UPDATE work_orders SET work_address_key = ? WHERE id = ?", [same[0], order_id])


def _m900_log_message_keys(db: sqlite_utils.Database) -> None:
    """Log rows kept language-neutral: the message's and the action's key (the English template) and
    parameters (JSON), rendered in the reader's language. Rows from before keep only their English."""
    _execute_each(
        db,
        """
        ALTER TABLE log ADD COLUMN message_key TEXT;
        ALTER TABLE log ADD COLUMN message_params TEXT;
        ALTER TABLE log ADD COLUMN action_key TEXT;
        ALTER TABLE log ADD COLUMN action_params TEXT
        """,
    )


def _m910_exact_invoice_state(db: sqlite_utils.Database) -> None:
    """What became of a work order in Exact and who sent it in: Exact's numbers for its draft
    (OrderNumber from the POST's answer; InvoiceNumber once the office processed it), when the
    office processed or deleted the draft, and the field app's own id (unique where given)."""
    _execute_each(
        db,
        """
        ALTER TABLE work_orders ADD COLUMN exact_order_number INTEGER;
        ALTER TABLE work_orders ADD COLUMN exact_invoice_number INTEGER;
        ALTER TABLE work_orders ADD COLUMN exact_processed_at TEXT;
        ALTER TABLE work_orders ADD COLUMN exact_deleted_at TEXT;
        ALTER TABLE work_orders ADD COLUMN external_id TEXT;
        CREATE UNIQUE INDEX work_orders_external_id ON work_orders (external_id) WHERE external_id IS NOT NULL
        """,
    )


def _m911_push_one_document(db: sqlite_utils.Database) -> None:
    """Push's steps in their new order: one document per work order (`document`) holding an attachment
    per PDF, then the invoice carrying that document. No link step. What the old steps mean now:
    `document:workorder` (subject "Werkbon WO...") is the work order's document; a `document:forms`
    keeps its name, for its forms attachment already holds (or is to hold) the forms; the link (a PUT
    of one value, harmless if it still lands) is gone. Also: the `[settings] pdfs` in force when a
    work order's first step went out (a half-sent one gets the setting verified now), and, per step,
    the earliest moment it may be looked up, on the wall clock and in seconds since boot (boot_id)."""
    _execute_each(
        db,
        """
        ALTER TABLE outbox ADD COLUMN pdfs TEXT;
        ALTER TABLE outbox ADD COLUMN look_up_after TEXT;
        ALTER TABLE outbox ADD COLUMN boot_id TEXT;
        ALTER TABLE outbox ADD COLUMN look_up_after_boot REAL;
        UPDATE outbox SET step = 'document' WHERE step = 'document:workorder';
        DELETE FROM outbox WHERE step = 'invoice link';
        UPDATE outbox SET pdfs = (SELECT json_extract(value, '$.pdfs') FROM state WHERE key = 'settings_verified')
        WHERE id IN (SELECT min(id) FROM outbox GROUP BY work_order_id HAVING max(state != 'pending' OR attempts > 0))
        """,
    )


def _m920_drafts_in_exact(db: sqlite_utils.Database) -> None:
    """What pull learns of the drafts push sent: when Exact reported deleted what an outbox step created
    (sync/Deleted), and indexes to find a work order by Exact's IDs and numbers."""
    _execute_each(
        db,
        """
        ALTER TABLE outbox ADD COLUMN exact_deleted_at TEXT;
        CREATE INDEX outbox_exact_id ON outbox (exact_id) WHERE exact_id IS NOT NULL;
        CREATE INDEX work_orders_exact_invoice_id ON work_orders (exact_invoice_id) WHERE exact_invoice_id IS NOT NULL;
        CREATE INDEX work_orders_exact_order_number ON work_orders (exact_order_number)
            WHERE exact_order_number IS NOT NULL;
        CREATE INDEX work_orders_exact_invoice_number ON work_orders (exact_invoice_number)
            WHERE exact_invoice_number IS NOT NULL
        """,
    )


def _m940_change_feed(db: sqlite_utils.Database) -> None:
    """The change feed for the field app (`exactsync export`): a sequence kept by triggers on the
    records, work orders and push steps, and the store's epoch (see store/changes_schema.py)."""
    for statement in (*changes_schema.TABLES, *changes_schema.triggers()):
        db.execute(statement)


def _m950_division_only_in_the_config(db: sqlite_utils.Database) -> None:
    """connect kept a copy of the division in `state`, which status showed after the config's
    division was changed and checked: the config's is the only one now."""
    db.execute("DELETE FROM state WHERE key = 'division'")


def _m960_import_digest(db: sqlite_utils.Database) -> None:
    """The digest of the import entry a work order was last brought to by the field app: the same entry
    sent again is a no-op without checking it again (its customer may since have left Exact)."""
    db.execute("ALTER TABLE work_orders ADD COLUMN import_digest TEXT")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("300_workorders_snapshot", _m300_workorders_snapshot),
    ("400_pull_sync_state", _m400_pull_sync_state),
    ("600_push_outbox_status", _m600_push_outbox_status),
    ("700_work_address_keys", _m700_work_address_keys),
    ("900_log_message_keys", _m900_log_message_keys),
    ("910_exact_invoice_state", _m910_exact_invoice_state),
    # In the order of the numbers: upgrade.py reads a store's schema as its highest migration name. These
    # were made side by side and do not depend on each other: a store that has a later one applies an
    # earlier one it lacks on its next open.
    ("911_push_one_document", _m911_push_one_document),
    ("920_drafts_in_exact", _m920_drafts_in_exact),
    ("940_change_feed", _m940_change_feed),
    ("950_division_only_in_the_config", _m950_division_only_in_the_config),
    ("960_import_digest", _m960_import_digest),
]
