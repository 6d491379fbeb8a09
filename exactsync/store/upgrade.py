"""A store meeting another version of exactsync: a newer version migrates it only after a copy of it
is kept beside it, and an older version leaves a store it cannot read alone.

The copy before an upgrade is named after the store, the time and the schema it holds (its last
migration), e.g. `exactsync.db.before-upgrade.20270105T031500Z.910_exact_invoice_state`; the newest
KEPT_UPGRADE_BACKUPS stay.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from exactsync.errors import StoreError
from exactsync.i18n import msg
from exactsync.store.backup import copy_store

KEPT_UPGRADE_BACKUPS = 3
UPGRADE_BACKUP_INFIX = ".before-upgrade."


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    """The names of the migrations the store has (none for a store without the table yet)."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone():
        return []
    return [row[0] for row in db.execute("SELECT name FROM migrations")]


def prepare(db: sqlite_utils.Database, path: Path, known: Iterable[str]) -> None:
    """Before migrating the store at `path` to the migrations `known` to this version: refuse a store
    with migrations this version does not know (changing nothing), and back up a store that is about
    to be migrated."""
    known = list(known)
    applied = applied_migrations(db)
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StoreError(msg(
            "the store {path} was written by a newer version of exactsync (it has {migrations}, which this "
            "version does not know): run that version or a newer one; this version left the store as it is",
            path=str(path), migrations=", ".join(unknown)))
    if applied and any(name not in applied for name in known):
        schema = [name for name in known if name in applied][-1]
        back_up_before_upgrade(db.conn, Path(path), schema)


def back_up_before_upgrade(conn: sqlite3.Connection, path: Path, schema: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{UPGRADE_BACKUP_INFIX}{stamp}.{schema}")
    copy_store(conn, target, replace=True)  # the same schema at the same second: the same store
    for old in upgrade_backups(path)[:-KEPT_UPGRADE_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


def upgrade_backups(path: Path) -> list[Path]:
    """The copies kept before upgrades of the store at `path`, oldest first."""
    return sorted(path.parent.glob(f"{path.name}{UPGRADE_BACKUP_INFIX}*"), key=lambda p: p.name)
