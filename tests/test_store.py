import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from exactsync import config as config_mod
from exactsync import log, store
from exactsync.errors import StoreError
from tests.helpers.stores import rows_of


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

    monkeypatch.setattr(store.db, "MIGRATIONS", [*store.db.MIGRATIONS, ("999_vat", add_column)])
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

    monkeypatch.setattr(store.db, "MIGRATIONS", [*store.db.MIGRATIONS, ("998_broken", broken)])
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
    from exactsync.commands._run import exclusive

    @click.command()
    @click.argument("config")
    def main(config):
        with exclusive(App(config)):
            print("ran")

    main()
""")


def _hold_lock(store_path, seconds):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store_path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_run_that_is_killed_leaves_no_stale_lock(config_path, db, tmp_path):
    holder = _hold_lock(tmp_path / "exactsync.db", 30)
    holder.kill()
    holder.wait()
    second = subprocess.run([sys.executable, "-c", EXCLUSIVE_RUN, str(config_path)],
                            env={**os.environ, "EXACTSYNC_LOCK_WAIT": "0"}, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "ran\n"


@pytest.mark.slow
def test_a_second_run_gets_the_lock_when_the_first_finishes_in_time(config_path, db, tmp_path):
    holder = _hold_lock(tmp_path / "exactsync.db", 0.5)
    second = subprocess.run([sys.executable, "-c", EXCLUSIVE_RUN, str(config_path)],
                            env={**os.environ, "EXACTSYNC_LOCK_WAIT": "10"}, capture_output=True, text=True)
    holder.wait()
    assert second.stdout == "ran\n"


# --- the store file: private, never empty, and errors that say what is wrong ----------------------

def test_the_store_and_its_wal_and_shm_files_are_0600_whatever_the_umask(tmp_path):
    old_umask = os.umask(0)
    try:
        db = store.open_store(tmp_path / "new.db")
        log.info(db, "customer", "a write, so the -wal and -shm files exist")
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("new.db*")}
        db.close()
    finally:
        os.umask(old_umask)
    assert modes == {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600}
    assert [p.name for p in tmp_path.iterdir()] == ["new.db"]  # nothing left of building it


def test_a_store_created_world_readable_is_made_private_when_opened(tmp_path):
    path = tmp_path / "old.db"
    db = store.open_store(path)
    log.info(db, "customer", "x")
    for file in tmp_path.glob("old.db*"):
        file.chmod(0o644)
    store.open_store(path).close()
    db.close()
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("old.db*")} == {"old.db": 0o600}


@pytest.mark.slow
def test_two_first_runs_at_once_end_with_one_store(tmp_path):
    code = "import sys; from exactsync.store import open_store, set_state; set_state(open_store(sys.argv[1]), wiped_at=1)"
    runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "s.db")], stderr=subprocess.PIPE, text=True)
            for _ in range(4)]
    assert [(r.wait(), r.stderr.read()) for r in runs] == [(0, "")] * 4
    assert store.get_state(store.open_store(tmp_path / "s.db"), "wiped_at") == "1"


def test_an_empty_store_file_is_refused_clearly_and_left_as_it_is(tmp_path, run, config_path):
    path = tmp_path / "exactsync.db"
    path.write_bytes(b"")
    for command in ("status", "pull", "push"):
        result = run(command)
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"Error: the store {path} is an empty file (0 bytes): it was cut off (a failed copy or restore, or a "
            "full disk), so the work orders, the outbox and the activation it held are gone; restore it from a "
            "backup, or, to start over, delete the empty file and run exactsync connect\n")
    assert path.stat().st_size == 0


def test_a_damaged_store_is_the_only_one_told_to_restore_or_move_away(tmp_path, run, config_path):
    (tmp_path / "exactsync.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert run("status").output.startswith(f"Error: {tmp_path / 'exactsync.db'} is not a usable exactsync store (")
    assert "restore it from a backup; only without one, move it away" in run("status").output


def test_a_run_lock_that_is_a_folder_is_a_clear_error(tmp_path, run, config_path):
    (tmp_path / "exactsync.db.lock").mkdir()
    for command in ("pull", "push", "cleanup"):
        result = run(command)
        assert result.exit_code == 1, result.output
        assert result.output == (f"Error: the run lock {tmp_path / 'exactsync.db.lock'} is a folder: exactsync "
                                 "creates that file itself; move the folder away, then run the command again\n")


# A full disk and a read-only file system are real tmpfs mounts (root only); permissions are tested by
# running the CLI as the user nobody, since root ignores permission bits.
def _root_only():
    if os.geteuid() != 0:
        pytest.skip("needs root: mounts a small tmpfs, or runs a command as another user")


@pytest.fixture
def small_disk(tmp_path):
    _root_only()
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def _store_on(disk, tmp_path):
    config = tmp_path / "on-disk.toml"
    config_mod.write_new(config, {"store": {"path": str(disk / "exactsync.db")}})
    db = store.open_store(disk / "exactsync.db")
    log.info(db, "workorder", "kept")
    db.close()
    return config


def _fill(disk):
    with open(disk / "filler", "wb", buffering=0) as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 4096)


def _log_rows(disk):
    return rows_of(disk / "exactsync.db", "SELECT message FROM log")


def test_a_full_disk_at_opening_says_free_space_and_keeps_the_store(small_disk, tmp_path, run):
    config = _store_on(small_disk, tmp_path)
    _fill(small_disk)
    for command in ("status", "pull", "push", "workorder list"):
        result = run("--config", str(config), *command.split())
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: the disk holding the store is full ("), result.output
        assert result.output.endswith("free some space, then run the command again\n")
        assert "move it away" not in result.output
    (small_disk / "filler").unlink()
    assert run("--config", str(config), "status").exit_code == 0
    assert _log_rows(small_disk) == [("kept",)]


def test_a_full_disk_before_the_store_exists_says_free_space_and_leaves_no_empty_store(small_disk, tmp_path, run):
    config = tmp_path / "new.toml"
    config_mod.write_new(config, {"store": {"path": str(small_disk / "exactsync.db")}})
    _fill(small_disk)
    result = run("--config", str(config), "status")
    assert result.output.startswith("Error: the disk holding the store is full ("), result.output
    assert [p.name for p in small_disk.iterdir()] == ["filler"]
    (small_disk / "filler").unlink()
    assert run("--config", str(config), "status").exit_code == 0


def test_a_read_only_file_system_says_mount_it_read_write_and_keeps_the_store(small_disk, tmp_path, run):
    config = _store_on(small_disk, tmp_path)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run("--config", str(config), "pull")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the store {small_disk / 'exactsync.db'} is on a read-only file system (SQLite: unable to open "
        "database file): mount it read-write, or move the store to a writable disk and change [store] path; "
        "the store itself is fine: keep it\n")
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert run("--config", str(config), "status").exit_code == 0
    assert _log_rows(small_disk) == [("kept",)]


NOBODY = 65534


@pytest.fixture
def shared_folder():
    """A folder outside pytest's private tmp folder, so the user nobody can reach it."""
    _root_only()
    folder = Path(tempfile.mkdtemp(prefix="exactsync-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


# What `exactsync status` imports beyond the standard library, as "name path" lines: copied to a folder
# nobody can read, since the checkout and its venv may lie where nobody cannot enter (a 0700 temporary
# folder, /root).
_IMPORTED = """
import sys
from exactsync.cli import cli
try:
    cli(["--config", sys.argv[1], "status"], prog_name="exactsync")
except SystemExit:
    pass
for name in sorted({n.split(".")[0] for n in sys.modules} - set(sys.stdlib_module_names)):
    module = sys.modules.get(name)
    if getattr(module, "__file__", None):
        print(name, module.__file__, file=sys.stderr)
"""


@pytest.fixture(scope="module")
def nobodys_python():
    """The command that runs exactsync as nobody, with exactsync and what it imports copied to a folder
    nobody can read; skips, saying why, where nobody cannot run Python at all."""
    _root_only()
    lib = Path(tempfile.mkdtemp(prefix="exactsync-lib-"))
    lib.chmod(0o755)
    config = lib / "probe.toml"
    config_mod.write_new(config, {"store": {"path": str(lib / "probe.db")}})
    found = subprocess.run([sys.executable, "-c", _IMPORTED, str(config)], capture_output=True, text=True, check=True)
    for line in found.stderr.splitlines():
        name, file = line.split(" ", 1)
        source = Path(file)
        if source.name == "__init__.py":
            shutil.copytree(source.parent, lib / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, lib / source.name)
    for path in [lib, *lib.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    env = {**os.environ, "PYTHONPATH": str(lib)}
    for python in dict.fromkeys([sys.executable, os.path.realpath(sys.executable)]):
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", python, "-s"]
        probe = subprocess.run([*command, "-c", "import exactsync.cli"], capture_output=True, text=True, cwd="/",
                               env=env)
        if probe.returncode == 0:
            yield command, env
            break
    shutil.rmtree(lib)
    if probe.returncode:
        pytest.skip(f"the user nobody cannot run Python ({python}) with exactsync copied to a folder it may read: "
                    f"{(probe.stderr.strip().splitlines() or ['?'])[-1]}")


def _as_nobody(python, config, *args):
    command, env = python
    return subprocess.run([*command, "-m", "exactsync", "--config", str(config), *args],
                          capture_output=True, text=True, cwd="/", env=env)


def _nobodys_config(folder):
    config = folder / "exactsync.toml"
    config_mod.write_new(config, {})
    os.chown(config, NOBODY, NOBODY)
    store.open_store(folder / "exactsync.db").close()
    return config


def test_a_folder_the_user_may_not_write_says_make_it_writable(shared_folder, nobodys_python):
    config = _nobodys_config(shared_folder)
    os.chown(shared_folder / "exactsync.db", NOBODY, NOBODY)
    result = _as_nobody(nobodys_python, config, "status")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"Error: the folder {shared_folder} is not writable for this user ("), result.stderr
    assert result.stderr.endswith("make the folder writable for the user running exactsync (chown or chmod); "
                                  "the store itself is fine: keep it\n")


def test_a_store_file_of_another_user_says_fix_its_owner(shared_folder, nobodys_python):
    config = _nobodys_config(shared_folder)
    os.chown(shared_folder, NOBODY, NOBODY)
    result = _as_nobody(nobodys_python, config, "status")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"Error: {shared_folder / 'exactsync.db'} is not readable and writable for this "
                                    "user ("), result.stderr
    assert result.stderr.endswith("give it to the user running exactsync (chown, then chmod 600); "
                                  "the store itself is fine: keep it\n")


def test_without_the_path_an_io_error_at_run_time_never_says_move_the_store_away():
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorcode = sqlite3.SQLITE_IOERR
    message = str(store.store_failure(error))
    assert "keep the store" in message and "move" not in message


def test_a_store_that_stays_locked_at_opening_is_not_called_damaged(tmp_path, monkeypatch):
    store.open_store(tmp_path / "s.db").close()

    def locked(path):
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorcode = sqlite3.SQLITE_BUSY
        raise error

    monkeypatch.setattr(store.db, "_open", locked)
    with pytest.raises(StoreError) as refused:
        store.open_store(tmp_path / "s.db")
    assert str(refused.value).startswith(f"cannot open the store {tmp_path / 's.db'} (database is locked): if this "
                                         "happens again, check the file with sqlite3")
    assert "move" not in str(refused.value)


def test_a_field_app_id_names_one_work_order_at_most(tmp_path):
    db = store.open_store(tmp_path / "s.db")
    columns = db["work_orders"].columns_dict
    for column in ("exact_order_number", "exact_invoice_number", "exact_processed_at", "exact_deleted_at",
                   "external_id"):
        assert column in columns, column
    index = db.execute("SELECT sql FROM sqlite_master WHERE name = 'work_orders_external_id'").fetchone()[0]
    assert "UNIQUE" in index and "external_id IS NOT NULL" in index
