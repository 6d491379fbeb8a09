"""Reading one Exact sync endpoint from its checkpoint: the highest Timestamp (a rowversion) stored.

Each page's rows and the checkpoint move in one transaction, so a run killed at any moment resumes
where it stopped and a rerun never duplicates anything. A full read starts the checkpoint over under
a new generation number, which every row it sees is tagged with.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from exactsync.errors import ExactsyncError
from exactsync.exact import odata
from exactsync.i18n import msg
from exactsync.store import raise_mutation_date, transaction
from exactsync.store import records as store
from exactsync.sync import mapping
from exactsync.sync.entities import MORE_RECORDS, Context, Counts, SyncEntity
from exactsync.timeutil import amsterdam_today

# --- checkpoints ----------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    timestamp: int
    generation: int | None  # a full read in progress


def load_checkpoint(db, entity: str) -> Checkpoint | None:
    row = store.load_checkpoint(db, entity)
    return Checkpoint(*row) if row else None


def save_checkpoint(db, entity: str, checkpoint: Checkpoint) -> None:
    store.save_checkpoint(db, entity, checkpoint.timestamp, checkpoint.generation)


class TimestampsWentBack(Exception):
    """A sync answer holds rows at or below the checkpoint that was asked for."""


@contextlib.contextmanager
def rows_as_exact_sends(path: str) -> Iterator[None]:
    """A row without the fields Exact always sends, or with values of another type, stops the
    pull before its page is stored: guessing would store wrong data and move the checkpoint past it."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"  # Python's words, for support
        raise ExactsyncError(msg("Exact sent a {path} row that is not what Exact sends ({problem}): nothing of that "
                                 "page was stored; the next run tries again, and if this stays, report it to "
                                 "support with this message", path=path, problem=problem)) from None


def read_entity(client, db, entity: SyncEntity, now: datetime, item_groups: tuple[str, ...],
                 progress: Callable[[str, int], None], *, watch: bool = True) -> Counts:
    """Read one sync endpoint from its checkpoint. While `watch`, a page holding rows the
    checkpoint already covers raises TimestampsWentBack before anything of it is stored."""
    checkpoint = load_checkpoint(db, entity.name) or Checkpoint(1, None)
    ctx = Context(today=amsterdam_today(now), now=now, item_groups=item_groups, generation=checkpoint.generation)
    counts, rows_read, highest, ordered = Counts(), 0, checkpoint.timestamp, True
    params = {"$filter": f"Timestamp gt {int(checkpoint.timestamp)}L", "$select": ",".join(entity.select)}
    for page in _read_ahead(client.pages(entity.path, params)):
        with rows_as_exact_sends(entity.path):
            stamps = [odata.parse_int64(r["Timestamp"]) for r in page]
            if watch and stamps and min(stamps) <= checkpoint.timestamp:
                raise TimestampsWentBack(msg("Exact sent {path} rows with a Timestamp of {timestamp}, at or below the "
                                             "checkpoint {checkpoint} it was asked to read after", path=entity.path,
                                             timestamp=str(min(stamps)), checkpoint=str(checkpoint.timestamp)))
            # Moving the checkpoint per page is only safe while Exact returns rows in Timestamp order.
            ordered = ordered and stamps == sorted(stamps) and (not stamps or stamps[0] > highest)
            with transaction(db):
                counts += entity.save(db, mapping.newest_per_id(page), ctx)
                highest = max([highest, *stamps])
                if ordered:
                    save_checkpoint(db, entity.name, Checkpoint(highest, checkpoint.generation))
                _note_mutation(db, page)
        rows_read += len(page)
        progress(entity.name, rows_read)
    with transaction(db):
        if checkpoint.generation is not None and entity.sweep:
            counts.deactivated += entity.sweep(db, checkpoint.generation, ctx.records)
        ctx.records.finish(db, MORE_RECORDS)
        save_checkpoint(db, entity.name, Checkpoint(highest, None))
    return counts


def _read_ahead(pages: Iterator[list[dict]], depth: int = 2) -> Iterator[list[dict]]:
    """Fetch the next pages in a thread while this one is stored, so that waiting for
    Exact and writing SQLite overlap. Pages still come in order and are committed by
    the caller only, so a kill loses at most pages that were never stored."""
    handover: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(kind: str, value) -> None:
        while not stop.is_set():
            try:
                handover.put((kind, value), timeout=0.1)
                return
            except queue.Full:
                continue

    def read() -> None:
        try:
            for page in pages:
                hand("page", page)
                if stop.is_set():
                    return
            hand("end", None)
        except BaseException as exc:  # handed to the caller's thread, raised there
            hand("error", exc)

    reader = threading.Thread(target=read, name="exact-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handover.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        reader.join(timeout=5)


def _note_mutation(db, page: list[dict]) -> None:
    newest = mapping.newest_modified_utc(page)
    if newest:
        raise_mutation_date(db, newest)
