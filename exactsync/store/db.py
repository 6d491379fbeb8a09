"""The store's connection: opening (migrated to the current schema, see migrations.py),
transactions and the run lock."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from exactsync.errors import StoreError
from exactsync.i18n import Msg, msg, number
from exactsync.locks import held, open_lock_file
from exactsync.privatefile import link_new, open_private
from exactsync.store import space, upgrade
from exactsync.store.migrations import MIGRATIONS
from exactsync.timeutil import utcnow

BUSY_TIMEOUT_MS = 30_000


# --- migrations (the schema itself is in migrations.py) ----------------------


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


def file_of(db: sqlite_utils.Database) -> Path | None:
    """The file the store lives in (None for one in memory)."""
    name = db.execute("PRAGMA database_list").fetchone()[2]
    return Path(name) if name else None


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
