"""The one place that knows the SQLite schema.

The schema is built by named migrations, applied in order and recorded in the
`migrations` table, so an old store is brought up to date on open and a new one
is built the same way. A new column or table is a new function at the end of
MIGRATIONS; a migration that has shipped is never edited.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from exactsync.errors import StoreError

BUSY_TIMEOUT_MS = 30_000


def utcnow() -> str:
    """Timestamps in the store: ISO 8601 UTC to the second, so they sort as text."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- migrations --------------------------------------------------------------

def _execute_each(db: sqlite_utils.Database, script: str) -> None:
    """Run a schema script statement by statement: executescript would COMMIT the
    migration's transaction half-way, and a failed migration must change nothing."""
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("--"))
    for statement in code.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite_utils.Database) -> None:
    _execute_each(
        db,
        """
        CREATE TABLE state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('info', 'warning', 'error')),
            tbl TEXT NOT NULL,
            record TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL,
            action TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX log_at ON log (at);

        -- exact_id is NULL for rows created locally: cleanup removes those (R5).
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            exact_id TEXT UNIQUE,
            code TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            address_line1 TEXT NOT NULL DEFAULT '',
            address_line2 TEXT NOT NULL DEFAULT '',
            postcode TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            country TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1,
            inactive_reason TEXT NOT NULL DEFAULT '',
            exact_timestamp INTEGER,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX customers_code ON customers (code);

        -- exact_address_id is set on the work address derived from the customer's
        -- default address in Exact; pull keeps that one in step and never touches the others.
        CREATE TABLE work_addresses (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
            name TEXT NOT NULL DEFAULT '',
            street TEXT NOT NULL DEFAULT '',
            postcode TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            country TEXT NOT NULL DEFAULT '',
            exact_address_id TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX work_addresses_customer ON work_addresses (customer_id);

        CREATE TABLE item_groups (
            id INTEGER PRIMARY KEY,
            exact_id TEXT UNIQUE,
            code TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        );

        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            exact_id TEXT UNIQUE,
            code TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            item_group_exact_id TEXT,
            item_group_code TEXT NOT NULL DEFAULT '',
            item_group_description TEXT NOT NULL DEFAULT '',
            unit TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1,
            inactive_reason TEXT NOT NULL DEFAULT '',
            exact_timestamp INTEGER,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX items_code ON items (code);

        -- Work orders keep their customer and item codes as text, so that a work
        -- order whose customer or item was cleaned up keeps its data (R5, R12).
        CREATE TABLE work_orders (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            customer_id INTEGER,
            customer_code TEXT NOT NULL DEFAULT '',
            work_address_id INTEGER,
            description TEXT NOT NULL DEFAULT '',
            customer_reference TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'planned', 'completed', 'archived', 'sent', 'failed')),
            planned_employee TEXT NOT NULL DEFAULT '',
            planned_date TEXT NOT NULL DEFAULT '',
            planned_time TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            completed_at TEXT,
            archived_at TEXT,
            exact_invoice_id TEXT
        );
        CREATE INDEX work_orders_status ON work_orders (status);

        CREATE TABLE time_bookings (
            id INTEGER PRIMARY KEY,
            work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
            employee TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('work', 'travel')),
            minutes INTEGER NOT NULL CHECK (minutes > 0),
            booked_at TEXT NOT NULL
        );
        CREATE TABLE materials (
            id INTEGER PRIMARY KEY,
            work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
            item_code TEXT NOT NULL,
            item_exact_id TEXT,
            description TEXT NOT NULL DEFAULT '',
            quantity TEXT NOT NULL,
            booked_at TEXT NOT NULL
        );
        CREATE TABLE forms (
            id INTEGER PRIMARY KEY,
            work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
            name TEXT NOT NULL,
            filled_at TEXT NOT NULL
        );
        CREATE TABLE form_answers (
            id INTEGER PRIMARY KEY,
            form_id INTEGER NOT NULL REFERENCES forms (id),
            position INTEGER NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL
        );

        -- Per Exact entity: the highest Timestamp stored, committed with its rows.
        CREATE TABLE sync_checkpoints (
            entity TEXT PRIMARY KEY,
            timestamp INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );

        -- One row per step of sending a work order (invoice, each document and
        -- attachment), written before and after each call, so that a crash between
        -- the two is reconciled against Exact instead of being posted again.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
            step TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
            exact_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (work_order_id, step)
        );
        """
    )


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


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("300_workorders_snapshot", _m300_workorders_snapshot),
    ("400_pull_sync_state", _m400_pull_sync_state),
    ("600_push_outbox_status", _m600_push_outbox_status),
    ("700_work_address_keys", _m700_work_address_keys),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations the store has not seen yet; return their names."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row["name"] for row in db.query("SELECT name FROM migrations")}
    applied = []
    for name, apply in MIGRATIONS:
        if name in done:
            continue
        with transaction(db):
            apply(db)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", [name, utcnow()])
        applied.append(name)
    return applied


# --- opening and transactions ------------------------------------------------

def open_store(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store at `path`, migrated to the current schema."""
    path = Path(path)
    if not path.parent.is_dir():
        raise StoreError(f"the folder of the store {path} does not exist: create it or change [store] path")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {path} ({exc}): point [store] path at a file this user may "
                         "write, e.g. exactsync.db") from None
    db = sqlite_utils.Database(conn)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        # A full pull writes hundreds of MB; checkpointing the WAL every 1,000 pages
        # (the default) rewrote the same index pages over and over.
        db.execute("PRAGMA wal_autocheckpoint = 20000")
        db.execute("PRAGMA foreign_keys = ON")
        _check_ours(db, path)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable exactsync store ({exc}): move it away or fix [store] path") from None
    return db


def _check_ours(db: sqlite_utils.Database, path: Path) -> None:
    tables = set(db.table_names())
    if tables and "migrations" not in tables:
        raise StoreError(
            f"{path} is an SQLite file of another program (tables: {', '.join(sorted(tables)[:5])}): "
            "point [store] path at a new file"
        )


def store_failure(exc: sqlite3.Error) -> StoreError | None:
    """SQLite failing under a command for a reason outside the program (a full disk, a damaged
    file) as an error the user can act on; None for anything else, which is a bug."""
    primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if primary == sqlite3.SQLITE_FULL:
        return StoreError("the disk holding the store is full (SQLite: database or disk is full): what was being "
                          "written was rolled back; free some space, then run the command again")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_IOERR):
        return StoreError(f"the store cannot be read or written ({exc}): restore it from a backup, or move it away "
                          "and let the next pull rebuild customers and items from Exact")
    return None


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
    writers queue on busy_timeout instead of failing on a lock upgrade. Nested use
    becomes a savepoint (sqlite-utils' atomic)."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# --- integration state -------------------------------------------------------

def get_state(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_state(db: sqlite_utils.Database, **values) -> None:
    with transaction(db):
        for key, value in values.items():
            if value is None:
                db.execute("DELETE FROM state WHERE key = ?", [key])
            else:
                db.execute(
                    "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, str(value)],
                )


def raise_mutation_date(db: sqlite_utils.Database, at: str) -> None:
    """Move the highest mutation date (R16) forward to `at`, never back."""
    current = get_state(db, "highest_mutation_at")
    if current is None or at > current:
        set_state(db, highest_mutation_at=at)


# --- one run at a time -------------------------------------------------------

class Busy(Exception):
    """Another exactsync run holds the run lock."""


@contextlib.contextmanager
def run_lock(store_path: Path, wait_seconds: float) -> Iterator[None]:
    """Hold the store's run lock; wait at most `wait_seconds` for another run, then raise Busy.

    An flock on a file beside the store: the kernel releases it when the process
    dies, so a killed run never leaves a stale lock behind.
    """
    lock_path = Path(str(store_path) + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy() from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
