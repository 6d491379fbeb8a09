"""The store's connection and schema: opening, transactions, migrations and the run lock.

The schema is built by named migrations, applied in order and recorded in the
`migrations` table, so an old store is brought up to date on open and a new one
is built the same way. A new column or table is a new function at the end of
MIGRATIONS; a migration that has shipped is never edited.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from exactsync.errors import StoreError
from exactsync.i18n import Msg, msg, number
from exactsync.locks import held, open_lock_file
from exactsync.privatefile import link_new, open_private
from exactsync.store import changes_schema, space, upgrade
from exactsync.timeutil import utcnow

BUSY_TIMEOUT_MS = 30_000


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


def _m940_change_feed(db: sqlite_utils.Database) -> None:
    """The change feed for the field app (`exactsync export`): a sequence kept by triggers on the
    records, work orders and push steps, and the store's epoch (see store/changes_schema.py)."""
    for statement in (*changes_schema.TABLES, *changes_schema.triggers()):
        db.execute(statement)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("300_workorders_snapshot", _m300_workorders_snapshot),
    ("400_pull_sync_state", _m400_pull_sync_state),
    ("600_push_outbox_status", _m600_push_outbox_status),
    ("700_work_address_keys", _m700_work_address_keys),
    ("900_log_message_keys", _m900_log_message_keys),
    ("910_exact_invoice_state", _m910_exact_invoice_state),
    ("940_change_feed", _m940_change_feed),
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
            if db.execute("SELECT 1 FROM migrations WHERE name = ?", [name]).fetchone():
                continue  # another process opening the store at the same time applied it first
            apply(db)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", [name, utcnow()])
        applied.append(name)
    return applied


# --- opening and transactions ------------------------------------------------

# The store holds customer data and the outbox: only its owner may read it, like the token file.
PRIVATE_MODE = 0o600
# Below this much free space a failure to open or write the store is the disk being full
# (SQLite then reports a full disk as "disk I/O error" while sizing its shared-memory file).
LOW_SPACE_BYTES = 1 << 20


def open_store(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store at `path`, migrated to the current schema."""
    path = Path(path)
    if not path.parent.is_dir():
        raise StoreError(msg("the folder of the store {path} does not exist: create it or change [store] path",
                                 path=str(path)))
    if path.is_dir():
        raise StoreError(msg("the store {path} is a folder: point [store] path at a file, e.g. exactsync.db",
                                 path=str(path)))
    try:
        if not path.exists():
            _create(path)
        elif path.stat().st_size == 0:
            raise StoreError(msg(
                "the store {path} is an empty file (0 bytes): it was cut off (a failed copy or restore, or a "
                "full disk), so the work orders, the outbox and the activation it held are gone; restore it from a "
                "backup, or, to start over, delete the empty file and run exactsync connect", path=str(path)))
        _make_private(path)
        return _open(path)
    except sqlite3.DatabaseError as exc:
        raise (store_failure(exc, path) or StoreError(msg(
            "cannot open the store {path} ({error}): if this happens again, check the file with "
            "sqlite3 {path} 'PRAGMA integrity_check' and restore it from a backup only if that finds damage",
            path=str(path), error=str(exc)))
        ) from None
    except OSError as exc:  # creating the new store's file
        full = sqlite3.SQLITE_FULL if exc.errno == errno.ENOSPC else 0
        raise (_disk_problem(path, exc.strerror, full) or StoreError(msg(
            "cannot create the store {path} ({error}): point [store] path at a file this user may write, "
            "e.g. exactsync.db", path=str(path), error=str(exc.strerror)))) from None


def _open(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    # No sqlite-utils plugins on the store: nothing here uses them, and finding them reads every installed
    # package's metadata on each start.
    db = sqlite_utils.Database(conn, execute_plugins=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        # A full pull writes hundreds of MB; checkpointing the WAL every 1,000 pages
        # (the default) rewrote the same index pages over and over.
        db.execute("PRAGMA wal_autocheckpoint = 20000")
        db.execute("PRAGMA foreign_keys = ON")
        _check_ours(db, path)
        upgrade.prepare(db, path, [name for name, _ in MIGRATIONS])
        migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def _create(path: Path) -> None:
    """Build a new store under a temporary name and link it into place complete and private:
    the store file is never empty (an empty one is a damaged store), and two first runs at
    once end with one store. Built with a rollback journal, so the file holds everything
    when it is closed; `_open` switches it to WAL."""
    building = path.with_name(f".{path.name}.new-{os.getpid()}")
    try:
        os.close(open_private(building))  # 0600 whatever the umask
        conn = sqlite3.connect(str(building), isolation_level=None)
        try:
            space.build_incremental(conn)
            migrate(sqlite_utils.Database(conn, execute_plugins=False))
        finally:
            conn.close()
        with contextlib.suppress(FileExistsError):  # another run created it first: use that one
            link_new(building, path)
    finally:
        for leftover in (building, Path(f"{building}-journal")):
            leftover.unlink(missing_ok=True)


def _make_private(path: Path) -> None:
    """Take group and other access away from a store created before it was made 0600.
    SQLite gives the -wal and -shm files the store's own mode when it creates them."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(OSError):  # absent, or not ours to change: opening says what is wrong
            if file.stat().st_mode & 0o077:
                os.chmod(file, PRIVATE_MODE)


def _check_ours(db: sqlite_utils.Database, path: Path) -> None:
    tables = set(db.table_names())
    if tables and "migrations" not in tables:
        raise StoreError(msg(
            "{path} is an SQLite file of another program (tables: {tables}): point [store] path at a new file",
            path=str(path), tables=", ".join(sorted(tables)[:5])))


def store_failure(exc: sqlite3.Error, path: Path | None = None) -> StoreError | None:
    """SQLite failing for a reason outside the program as an error the user can act on; None
    for anything else, which is a bug. With the store's `path`, a full disk, a read-only file
    system and missing permissions are told apart from a damaged file by looking at the disk:
    only a damaged file may be moved away, a healthy one holds the outbox."""
    primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    damaged = primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    if path is not None and not damaged:
        found = _disk_problem(Path(path), f"SQLite: {exc}", primary)
        if found:
            return found
    if primary == sqlite3.SQLITE_FULL:
        return _disk_full(f"SQLite: {exc}")
    if damaged:
        return _damaged(exc, path)
    if primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return StoreError(msg("the store cannot be read or written ({error}): check that the disk has free space, "
                              "and that the store's folder and files are writable for this user; keep the store: "
                              "it holds the work orders waiting for Exact", error=str(exc)))
    return None


def _damaged(exc: sqlite3.Error, path: Path | None) -> StoreError:
    return StoreError(msg("{store} is not a usable exactsync store ({error}): restore it from a backup; "
                          "only without one, move it away (its work orders are lost) and run exactsync connect "
                          "to start a new store", store=str(path) if path else msg("the store"), error=str(exc)))


def _disk_problem(path: Path, error: str, primary: int) -> StoreError | None:
    """What is wrong with the disk or the permissions under the store, if anything; `error`
    is what the system said, `primary` SQLite's primary result code (0 for none)."""
    folder = path.parent
    keep = msg("; the store itself is fine: keep it") if path.exists() else ""
    try:
        disk = os.statvfs(folder)
    except OSError:
        return None
    if disk.f_flag & os.ST_RDONLY:
        return StoreError(msg("the store {path} is on a read-only file system ({error}): mount it read-write, "
                              "or move the store to a writable disk and change [store] path{keep}",
                              path=str(path), error=str(error), keep=keep))
    if not os.access(folder, os.W_OK | os.X_OK):
        return StoreError(msg("the folder {folder} is not writable for this user ({error}): SQLite writes "
                              "{name}-wal and {name}-shm beside the store; make the folder writable "
                              "for the user running exactsync (chown or chmod){keep}",
                              folder=str(folder), error=str(error), name=path.name, keep=keep))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists() and not os.access(file, os.R_OK | os.W_OK):
            return StoreError(msg("{file} is not readable and writable for this user ({error}): give it to the "
                                  "user running exactsync (chown, then chmod 600){keep}",
                                  file=str(file), error=str(error), keep=keep))
    free = disk.f_bavail * disk.f_frsize
    if primary == sqlite3.SQLITE_FULL or free < LOW_SPACE_BYTES:
        return _disk_full(msg("{free} KiB free; {error}", free=number(free // 1024), error=str(error)))
    return None


def _disk_full(detail: str | Msg) -> StoreError:
    return StoreError(msg("the disk holding the store is full ({detail}): what was being written was rolled back; "
                          "free some space, then run the command again", detail=detail))


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


# --- one run at a time -------------------------------------------------------

@contextlib.contextmanager
def run_lock(store_path: Path, wait_seconds: float) -> Iterator[None]:
    """Hold the store's run lock, an flock on a file beside the store; wait at most `wait_seconds`
    for another run, then raise Busy."""
    lock_path = Path(str(store_path) + ".lock")
    try:
        fd = open_lock_file(lock_path)
    except IsADirectoryError:
        raise StoreError(msg("the run lock {lock} is a folder: exactsync creates that file itself; move the "
                             "folder away, then run the command again", lock=str(lock_path))) from None
    except OSError as exc:
        raise (_disk_problem(Path(store_path), exc.strerror, 0) or StoreError(msg(
            "cannot open the run lock {lock} ({error}): make it readable and writable for the user "
            "running exactsync, or delete it (exactsync creates it again)",
            lock=str(lock_path), error=str(exc.strerror)))) from None
    with held(fd, wait_seconds):
        yield
