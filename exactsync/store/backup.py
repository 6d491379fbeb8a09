"""Copies of the store: `exactsync backup FILE`, and the copy kept beside the store before an upgrade
migrates it.

SQLite's online backup copies one consistent snapshot while other runs go on writing (in WAL mode a
reader never waits for a writer). The copy is created private (0600) before any data goes in, under a
temporary name beside its target, and appears under its own name only once complete and on disk, as
one self-contained file (no -wal beside it).

The copy gets a feed epoch of its own (store/changes.py): put back, it would hand out again the change
numbers the live store handed out after the copy, so a field app's cursor from then would skip the
changes made after the restore. With its own epoch, every cursor from before the restore starts over.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path

from exactsync.errors import StoreError
from exactsync.i18n import msg
from exactsync.privatefile import fsync_folder, link_new, open_private


def copy_store(source: sqlite3.Connection, target: Path, replace: bool = False) -> None:
    """Write a consistent copy of the store open on `source` to `target`; an existing `target` is
    refused unless `replace`. Raises StoreError saying what kept it from being written; a failed
    copy leaves nothing behind."""
    target = Path(target).absolute()
    if target.is_dir():
        raise StoreError(msg("{target} is a folder: give the backup a file name, e.g. {example}",
                             target=str(target), example=str(target / "exactsync-backup.db")))
    if target.exists() and not replace:
        raise _exists(target)
    building = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        _write(source, building)
        if replace:
            os.replace(building, target)
        else:
            link_new(building, target)
        fsync_folder(target.parent)
    except FileExistsError:
        raise _exists(target) from None
    except OSError as exc:
        raise _cannot_write(target, exc.errno, exc.strerror) from None
    except sqlite3.OperationalError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
                                                                     sqlite3.SQLITE_CANTOPEN):
            raise
        raise _cannot_write(target, _errno_of(exc, target.parent), str(exc)) from None
    finally:
        with contextlib.suppress(OSError):
            building.unlink()
        with contextlib.suppress(OSError):
            Path(f"{building}-journal").unlink()


def _write(source: sqlite3.Connection, building: Path) -> None:
    os.close(open_private(building))  # private before the first page goes in
    conn = sqlite3.connect(str(building), isolation_level=None)  # the copy's
    try:
        source.backup(conn)
        # A new epoch for the copy, as migration 940 made the store's (store.state.CHANGES_EPOCH; that module
        # reaches the store's connection, which imports this one).
        conn.execute("UPDATE state SET value = lower(hex(randomblob(8))) WHERE key = 'changes_epoch'")
        # The pages carry the store's WAL mode: a backup is one file, readable on its own.
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    fd = os.open(building, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _errno_of(exc: sqlite3.OperationalError, folder: Path) -> int:
    """SQLite says "disk I/O error" for a full disk while the copy grows: look at the disk."""
    if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_FULL:
        return errno.ENOSPC
    with contextlib.suppress(OSError):
        disk = os.statvfs(folder)
        if disk.f_bavail * disk.f_frsize < (1 << 20):
            return errno.ENOSPC
    return errno.EIO


def _exists(target: Path) -> StoreError:
    return StoreError(msg("{target} already exists: give the backup a new file name, or add --force to "
                          "replace it", target=str(target)))


def _cannot_write(target: Path, number: int | None, error: str) -> StoreError:
    if number == errno.ENOENT and not target.parent.is_dir():
        return StoreError(msg("the folder {folder} does not exist: create it, or write the backup to a file in "
                              "a folder that exists", folder=str(target.parent)))
    if number == errno.ENOSPC:
        return StoreError(msg("the disk holding {target} is full ({error}): no backup was written; free some "
                              "space there, or write the backup to another disk", target=str(target), error=error))
    return StoreError(msg("cannot write the backup {target} ({error}): no backup was written; write it to a "
                          "file this user may create", target=str(target), error=error))
