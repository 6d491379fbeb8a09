import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from exactsync import log, store
from exactsync.errors import StoreError


def test_migrations_on_an_empty_store(tmp_path):
    db = store.open_store(tmp_path / "new.db")
    names = [r["name"] for r in db.query("SELECT name FROM migrations ORDER BY name")]
    assert names == [name for name, _ in store.MIGRATIONS]
    for table in ("customers", "work_addresses", "item_groups", "items", "work_orders", "time_bookings",
                  "materials", "forms", "form_answers", "sync_checkpoints", "outbox", "state", "log"):
        assert db[table].exists(), table
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_on_an_existing_store_apply_only_the_new_ones(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    db = store.open_store(path)
    log.info(db, "customer", "kept across migrations")
    db.close()

    def add_column(db):
        db.execute("ALTER TABLE customers ADD COLUMN vat_number TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, ("999_vat", add_column)])
    db = store.open_store(path)
    assert "vat_number" in db["customers"].columns_dict
    assert [r["message"] for r in log.rows(db, log.LogFilter())] == ["kept across migrations"]
    assert store.migrate(db) == []


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "s.db"
    store.open_store(path).close()

    def broken(db):
        db.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, ("998_broken", broken)])
    with pytest.raises(RuntimeError):
        store.open_store(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM migrations WHERE name = '998_broken'").fetchone()[0] == 0


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE invoices (x)")
    other.commit()
    with pytest.raises(StoreError, match="SQLite file of another program"):
        store.open_store(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path, run, config_path):
    (tmp_path / "exactsync.db").write_bytes(b"this is not a database" * 100)
    result = run("status")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'exactsync.db'} is not a usable exactsync store (")


def test_mutation_date_only_moves_forward(db):
    store.raise_mutation_date(db, "2026-01-02T00:00:00Z")
    store.raise_mutation_date(db, "2026-01-01T00:00:00Z")
    assert store.get_state(db, "highest_mutation_at") == "2026-01-02T00:00:00Z"


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from exactsync.store import run_lock
    with run_lock(Path(sys.argv[1]), 0):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")

# A state-changing command as the CLI runs it (click turns the busy exit into exit code 0).
EXCLUSIVE_RUN = textwrap.dedent("""
    import click
    from exactsync.app import App

    @click.command()
    @click.argument("config")
    def main(config):
        with App(config).exclusive_run():
            print("ran")

    main()
""")


def _hold_lock(store_path, seconds):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store_path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_waits_then_exits_0_with_an_info_row(config_path, db, tmp_path):
    holder = _hold_lock(tmp_path / "exactsync.db", 30)
    try:
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-c", EXCLUSIVE_RUN, str(config_path)],
                                env={**os.environ, "EXACTSYNC_LOCK_WAIT": "1"}, capture_output=True, text=True)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert "another exactsync run is busy" in second.stderr
    assert waited >= 1
    rows = log.rows(db, log.LogFilter())
    assert [(r["kind"], r["message"]) for r in rows] == [
        ("info", "another run is busy; this one stopped without doing anything")]


def test_a_run_that_is_killed_leaves_no_stale_lock(config_path, db, tmp_path):
    holder = _hold_lock(tmp_path / "exactsync.db", 30)
    holder.kill()
    holder.wait()
    second = subprocess.run([sys.executable, "-c", EXCLUSIVE_RUN, str(config_path)],
                            env={**os.environ, "EXACTSYNC_LOCK_WAIT": "0"}, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "ran\n"


def test_a_second_run_gets_the_lock_when_the_first_finishes_in_time(config_path, db, tmp_path):
    holder = _hold_lock(tmp_path / "exactsync.db", 0.5)
    second = subprocess.run([sys.executable, "-c", EXCLUSIVE_RUN, str(config_path)],
                            env={**os.environ, "EXACTSYNC_LOCK_WAIT": "10"}, capture_output=True, text=True)
    holder.wait()
    assert second.stdout == "ran\n"
