"""`exactsync backup FILE` as an admin meets it: a private, self-contained, consistent copy, also of a store
that a push is writing; an existing file kept unless --force; a clear exit 1 when it cannot be written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from exactsync import config as config_mod
from exactsync import log, store
from tests.helpers.push import archived, connected_store, customer_codes, sales_item_codes
from tests.helpers.stores import rows_of

pytestmark = pytest.mark.sandbox(seed=9, customers=30, items=30, minutely_limit=10_000)


def store_path(config_path):
    return config_mod.load(config_path).store_path


def assert_whole_store(path):
    """A copy that opens on its own, as a store of this version, undamaged."""
    assert rows_of(path, "PRAGMA integrity_check") == [("ok",)]
    assert rows_of(path, "PRAGMA foreign_key_check") == []
    assert rows_of(path, "PRAGMA journal_mode") == [("delete",)]  # one file: nothing beside it to copy
    assert {name for (name,) in rows_of(path, "SELECT name FROM migrations")} == {n for n, _ in store.MIGRATIONS}


def test_the_copy_is_private_whole_and_holds_the_store(db, run, tmp_path, monkeypatch):
    monkeypatch.setattr("exactsync.commands._output.watched", lambda: False)  # as under cron
    log.warning(db, "workorder", "kept in the backup", record="WO00001")
    old_umask = os.umask(0)
    try:
        result = run("backup", "copy.db")
    finally:
        os.umask(old_umask)
    assert (result.exit_code, result.output) == (0, "")  # a backup that worked says nothing to cron
    copy = tmp_path / "copy.db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert_whole_store(copy)
    assert rows_of(copy, "SELECT record, message FROM log") == [("WO00001", "kept in the backup")]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("copy", ".copy"))) == ["copy.db"]


def test_a_person_at_a_terminal_is_told_where_the_copy_went(db, run):
    result = run("backup", "copy.db")
    assert result.exit_code == 0 and "copied to copy.db" in result.output


def test_an_existing_file_is_kept_unless_force(db, run, tmp_path):
    (tmp_path / "copy.db").write_text("last week's backup")
    result = run("backup", "copy.db")
    assert result.exit_code == 1
    assert result.output == (f"Error: {tmp_path / 'copy.db'} already exists: give the backup a new file name, "
                             "or add --force to replace it\n")
    assert (tmp_path / "copy.db").read_text() == "last week's backup"
    assert run("backup", "--force", "copy.db").exit_code == 0
    assert_whole_store(tmp_path / "copy.db")


@pytest.mark.parametrize("name", ["exactsync.db", "./exactsync.db-wal", "exactsync.db.sent", "exactsync.db.tokens.json"])
def test_the_store_and_its_files_are_never_the_backup_even_with_force(db, run, tmp_path, name):
    (tmp_path / "exactsync.db.sent").write_text("8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    result = run("backup", "--force", name)
    assert result.exit_code == 1
    assert result.output == (f"Error: {Path(name)} is the store or one of its files: write the backup to another file, "
                             "best in another folder or on another disk\n")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_a_missing_folder_is_a_clear_error_and_writes_nothing(db, run, tmp_path):
    result = run("backup", "no-such-folder/copy.db")
    assert result.exit_code == 1
    assert result.output == (f"Error: the folder {tmp_path / 'no-such-folder'} does not exist: create it, or "
                             "write the backup to a file in a folder that exists\n")
    assert not (tmp_path / "no-such-folder").exists()


def test_without_a_store_there_is_nothing_to_back_up_and_none_is_started(config_path, run, tmp_path):
    result = run("backup", "copy.db")
    assert result.exit_code == 1
    assert result.output == (f"Error: there is no store {tmp_path / 'exactsync.db'} to back up: run the command in "
                             "the administration's folder, or pass its config with --config\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exactsync.toml"]


def test_a_folder_as_the_file_is_a_clear_error(db, run, tmp_path):
    (tmp_path / "backups").mkdir()
    result = run("backup", "backups")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'backups'} is a folder: give the backup a file name")


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root: mounts a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_copy(db, run, small_disk):
    log_rows = [("2026-12-01T00:00:00Z", "info", "connection", "", "x" * 1000, "")] * 3000  # 3 MB: more than the disk
    with store.transaction(db):
        for row in log_rows:
            log.add_log_row(db, *row)
    result = run("backup", str(small_disk / "copy.db"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the disk holding {small_disk / 'copy.db'} is full ("), result.output
    assert result.output.endswith("no backup was written; free some space there, or write the backup to another "
                                  "disk\n")
    assert list(small_disk.iterdir()) == []


def hold_call(sandbox, monkeypatch, call: str, nth: int) -> tuple[threading.Event, threading.Event]:
    """The sandbox keeps the `nth` `call` waiting until released: a push held halfway, one work order sent
    and the next one's step committed in flight. Returns (reached, release)."""
    reached, release = threading.Event(), threading.Event()
    take_fault = sandbox.take_fault

    def holding(method, path, name):
        fault = take_fault(method, path, name)
        if name == call and sandbox.calls[call] == nth:
            reached.set()
            release.wait(60)
        return fault

    monkeypatch.setattr(sandbox, "take_fault", holding)
    return reached, release


def work_order_states(path) -> dict[str, tuple]:
    return {number: (status, invoice, step_states) for number, status, invoice, step_states in rows_of(
        path, "SELECT w.number, w.status, w.exact_invoice_id, group_concat(o.state) FROM work_orders w "
              "LEFT JOIN outbox o ON o.work_order_id = w.id GROUP BY w.id")}


def test_a_backup_while_a_push_writes_is_a_consistent_store(sandbox, config_path, run, tmp_path, monkeypatch):
    _, db = connected_store(sandbox, config_path, work_time_item=sales_item_codes(sandbox)[0])
    numbers = [archived(db, code) for code in customer_codes(db)[:20]]
    reached, release = hold_call(sandbox, monkeypatch, "POST salesinvoice/SalesInvoices", 2)
    push = subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(config_path), "push"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    copies = []
    try:
        assert reached.wait(60), "the push never reached its second invoice"
        assert run("backup", "held.db").exit_code == 0
        release.set()
        while push.poll() is None:  # one backup after the other while the push writes
            copies.append(tmp_path / f"during-{len(copies)}.db")
            assert run("backup", str(copies[-1])).exit_code == 0
    finally:
        release.set()
        push.wait(60)
    assert push.returncode == 0, push.stderr.read()

    held = work_order_states(tmp_path / "held.db")
    assert_whole_store(tmp_path / "held.db")
    assert held[numbers[0]][0] == "sent" and held[numbers[0]][1] is not None
    assert held[numbers[1]][:2] == ("archived", None) and held[numbers[1]][2] == "in_flight"
    sent_before = 1
    for copy in copies:
        assert_whole_store(copy)
        states = work_order_states(copy)
        sent = [n for n, (status, invoice, steps) in states.items() if status == "sent"]
        assert all(states[n][1] is not None and states[n][2] == "done" for n in sent), states
        assert len(sent) >= sent_before  # each copy a later moment of the same store
        sent_before = len(sent)
    assert {status for status, _, _ in work_order_states(store_path(config_path)).values()} == {"sent"}
