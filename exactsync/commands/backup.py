"""`exactsync backup FILE`: a consistent copy of the store, taken while cron runs."""

from __future__ import annotations

from pathlib import Path

import click

from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.i18n import msg, number
from exactsync.store.backup import copy_store

# The files that are the store or live beside it under its name: a copy written over one of them
# would replace the live store under a running push, or lose the login or push's count.
_STORE_FILES = ("", "-wal", "-shm", "-journal", ".lock", ".sent", ".sent.new", ".tokens.json",
                ".tokens.json.tmp", ".tokens.json.lock")


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_app
def backup_command(app: App, file: Path, force: bool):
    """Write a consistent copy of the store to FILE (mode 0600), also while pull, push or cleanup run.
    An existing FILE is replaced only with `--force`. Exits 1, writing nothing, when the copy
    cannot be written (a missing folder, a full disk). The config and the Exact login
    (`<store>.tokens.json`) are not in the copy: keep the config with it; a restored store
    needs no new login while the login file beside it still works.

    \b
    Example:
      exactsync backup /var/backups/exactsync/acme-$(date +%F).db
    """
    if not app.config.store_path.exists():  # opening would start a new, empty store: nothing to keep
        raise ExactsyncError(msg("there is no store {store} to back up: run the command in the administration's "
                                 "folder, or pass its config with --config", store=str(app.config.store_path)))
    _refuse_store_files(app.config.store_path, file)
    copy_store(app.db.conn, file, replace=force)
    if _output.watched():  # cron mails what a run prints: a backup that worked says nothing there
        _output.echo(msg("store {store} copied to {file} ({size} KiB)", store=str(app.config.store_path),
                       file=str(file), size=number(file.stat().st_size // 1024)).render(), err=True)


def _refuse_store_files(store: Path, file: Path) -> None:
    store = store.resolve()
    if file.resolve() in {store.with_name(store.name + suffix) for suffix in _STORE_FILES}:
        raise ExactsyncError(msg("{file} is the store or one of its files: write the backup to another file, "
                                 "best in another folder or on another disk", file=str(file)))
