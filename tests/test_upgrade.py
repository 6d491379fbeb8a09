"""A new version meets a store: one from the previous release is backed up beside itself, then migrated;
one written by a newer version is refused and left exactly as it was."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from exactsync import config as config_mod
from exactsync import store
from exactsync.errors import StoreError
from exactsync.store import upgrade
from tests.helpers.stores import rows_of

PREVIOUS_RELEASE = "900_log_message_keys"


def names(migrations) -> list[str]:
    return [name for name, _ in migrations]


@pytest.fixture
def store_path(config_path):
    return config_mod.load(config_path).store_path


@pytest.fixture
def previous_release_store(store_path, monkeypatch):
    """A store as the previous release left it: its migrations only, with a queued work order and a log row."""
    upto = names(store.MIGRATIONS).index(PREVIOUS_RELEASE) + 1
    monkeypatch.setattr(store.db, "MIGRATIONS", store.MIGRATIONS[:upto])
    db = store.open_store(store_path)
    db.execute("INSERT INTO work_orders (number, customer_code, status, created_at, archived_at) "
               "VALUES ('WO00001', 'C001', 'archived', '2026-11-30T08:00:00Z', '2026-11-30T16:00:00Z')")
    db.execute("INSERT INTO log (at, kind, tbl, record, message) "
               "VALUES ('2026-11-30T16:00:00Z', 'info', 'workorder', 'WO00001', 'archived')")
    db.close()
    monkeypatch.setattr(store.db, "MIGRATIONS", store.MIGRATIONS)
    return store_path


def test_a_store_of_the_previous_release_is_backed_up_then_migrated(previous_release_store, run):
    result = run("workorder", "list")
    assert result.exit_code == 0, result.output
    assert "WO00001" in result.output
    assert names(store.MIGRATIONS) == [n for (n,) in rows_of(previous_release_store, "SELECT name FROM migrations")]

    [backup] = upgrade.upgrade_backups(previous_release_store)
    assert backup.name.startswith("exactsync.db.before-upgrade.") and backup.name.endswith(f".{PREVIOUS_RELEASE}")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert rows_of(backup, "PRAGMA integrity_check") == [("ok",)]
    assert rows_of(backup, "SELECT max(name) FROM migrations") == [(PREVIOUS_RELEASE,)]
    assert rows_of(backup, "SELECT number, status FROM work_orders") == [("WO00001", "archived")]

    assert run("status").exit_code == 0
    assert upgrade.upgrade_backups(previous_release_store) == [backup]  # nothing to migrate: no new copy


def test_a_new_store_gets_no_upgrade_backup(store_path, run):
    assert run("status").exit_code == 0
    assert upgrade.upgrade_backups(store_path) == []


def test_the_last_three_upgrade_backups_are_kept(store_path, monkeypatch):
    store.open_store(store_path).close()
    migrations = list(store.MIGRATIONS)
    for version in range(5):
        migrations.append((f"99{version}_later", lambda db, n=version: db.execute(f"CREATE TABLE later{n} (x)")))
        monkeypatch.setattr(store.db, "MIGRATIONS", list(migrations))
        store.open_store(store_path).close()
    kept = upgrade.upgrade_backups(store_path)
    assert [p.name.rsplit(".", 1)[1] for p in kept] == ["991_later", "992_later", "993_later"]


def test_a_store_that_cannot_be_backed_up_is_not_migrated(previous_release_store, run, monkeypatch):
    def full_disk(*args, **kwargs):
        raise StoreError("the disk holding the backup is full")

    monkeypatch.setattr(upgrade, "copy_store", full_disk)
    result = run("status")
    assert (result.exit_code, result.output) == (1, "Error: the disk holding the backup is full\n")
    assert rows_of(previous_release_store, "SELECT max(name) FROM migrations") == [(PREVIOUS_RELEASE,)]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_store_of_a_newer_version_is_refused_and_left_as_it_is(store_path, run):
    db = store.open_store(store_path)
    db.execute("INSERT INTO migrations (name, applied_at) VALUES ('990_from_the_future', '2027-06-01T00:00:00Z')")
    db.close()
    before = digest(store_path), store_path.stat().st_mtime_ns, sorted(os.listdir(store_path.parent))

    for command in ("status", "push", "backup", "workorder list"):
        result = run(*command.split(), *(["copy.db"] if command == "backup" else []))
        assert result.exit_code == 1, command
        assert result.output == (
            f"Error: the store {store_path} was written by a newer version of exactsync (it has 990_from_the_future, "
            "which this version does not know): run that version or a newer one; this version left the store as it "
            "is\n")
    assert (digest(store_path), store_path.stat().st_mtime_ns, sorted(os.listdir(store_path.parent))) == before
