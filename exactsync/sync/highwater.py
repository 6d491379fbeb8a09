"""A store restored from a backup older than what push already sent must not send it again.

Before each call that creates something in Exact, push counts it, first in a small file beside the
store (`<store>.sent`, mode 0600, outside any backup of the store), then in the store, with the
step's in-flight mark. A store restored from a copy taken before later calls counts fewer than the
file: push then looks each queued work order up in Exact before its first call in the run (its
invoice, its document, the document's attachments) and adopts what it finds, as for a step whose
answer was lost. The store keeps that it must do so until a run has looked up its whole queue.
A crash between the two counts leaves the file ahead: one run of lookups too many, never one too few.

The file also keeps the highest work order number push sent a call for, so that a restored store
never hands out that number again (`last_number_sent`): a new work order under an old number would be
taken for the old one's invoice, which Exact already has, and never be invoiced itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import sqlite_utils

from exactsync.errors import ExactsyncError
from exactsync.i18n import msg
from exactsync.privatefile import fsync_folder, open_private, write_all
from exactsync.store import state, transaction
from exactsync.store.db import file_of


def sequence_of(number: str) -> int:
    """The counter behind a work order number: WO00042 -> 42 (the prefix may have changed since)."""
    digits = re.search(r"(\d+)$", number)
    return int(digits.group(1)) if digits else 0


def file_beside(db: sqlite_utils.Database) -> Path | None:
    store = file_of(db)
    return store.with_name(store.name + ".sent") if store else None


def _read(path: Path | None) -> tuple[int, int] | None:
    """The file's call count and highest number sent: (0, 0) without a file, None when unreadable."""
    if path is None:
        return 0, 0
    try:
        fields = [int(field) for field in path.read_text(encoding="ascii").split()]
    except FileNotFoundError:
        return 0, 0
    except (OSError, ValueError):
        return None
    return (fields[0], fields[1] if len(fields) > 1 else 0) if fields else None


def last_number_sent(db: sqlite_utils.Database) -> int:
    """The highest work order counter push ever sent a call for, as the file beside the store says."""
    read = _read(file_beside(db))
    return read[1] if read else 0


class HighWater:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.path = file_beside(db)
        outside = self.outside()
        if outside is None or outside > self.inside():
            state.PUSH_LOOK_UP_FIRST.set(self.db, True)
        self.look_up_first = state.PUSH_LOOK_UP_FIRST.get(db)

    def inside(self) -> int:
        return state.PUSH_CALLS_OUT.get(self.db)

    def outside(self) -> int | None:
        """The file's count: 0 without a file, None when it cannot be read as one (taken as ahead)."""
        read = _read(self.path)
        return read[0] if read else None

    def before_call(self, number: str) -> int:
        """Count a call for work order `number` about to go out in the file (whole, synced); the count to
        keep in the store."""
        calls, highest = _read(self.path) or (0, 0)  # read once: the file is read before every creating call
        count = max(self.inside(), calls) + 1
        if self.path is not None:
            highest = max(highest, sequence_of(number))
            building = self.path.with_name(self.path.name + ".new")
            try:
                fd = open_private(building)
                try:
                    write_all(fd, f"{count} {highest}".encode("ascii"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(building, self.path)
                fsync_folder(self.path.parent)
            except OSError as exc:
                raise ExactsyncError(msg("push could not write {path} ({error}), which tells a store restored from "
                                         "a backup from this one; nothing was sent: free the disk or correct the "
                                         "folder's permissions, then push again", path=str(self.path),
                                         error=exc.strerror or str(exc))) from exc
        return count

    def counted(self, count: int) -> None:
        """The store's count, inside the caller's transaction (the step's in-flight mark)."""
        state.PUSH_CALLS_OUT.set(self.db, count)

    def queue_looked_up(self) -> None:
        """A run looked its whole queue up in Exact: the store knows all it sent again."""
        if self.look_up_first:
            with transaction(self.db):
                state.PUSH_LOOK_UP_FIRST.set(self.db, None)
                state.PUSH_CALLS_OUT.set(self.db, max(self.inside(), self.outside() or 0))
            self.look_up_first = False
