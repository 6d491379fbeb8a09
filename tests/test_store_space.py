"""The store gives back what pruning the log frees, so a burst of rows does not keep the file large."""

from __future__ import annotations

import sqlite3

from exactsync import config as config_mod
from exactsync import log, store
from exactsync.store import space

OLD = "2020-01-01T00:00:00Z"  # older than any retention


def burst(db, rows: int, at: str = OLD) -> None:
    """`rows` log rows of about 1 kB each: a week of errors, say."""
    with store.transaction(db):
        for n in range(rows):
            log.add_log_row(db, at, "error", "workorder", f"WO{n:05}", "Exact refused the invoice: " + "x" * 1000,
                            "fix the customer in Exact")


def file_bytes(db) -> int:
    return db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]


def test_a_new_store_can_give_pages_back(db):
    assert space.is_incremental(db)


def test_a_run_after_a_burst_gives_the_pruned_rows_space_back(db, run):
    before = file_bytes(db)
    burst(db, 3000)
    assert file_bytes(db) > before + 3_000_000
    result = run("pull")  # not connected: skipped, after pruning as every run does
    assert result.exit_code == 0, result.output
    assert log.count_since(db, "error", OLD) == 0
    assert file_bytes(db) < before + 100_000
    assert space.free_bytes(db) == 0


def test_a_little_free_space_is_left_for_new_rows(db):
    burst(db, 300)  # about 0.3 MB
    log.prune(db, 90)
    assert 0 < space.free_bytes(db) < space.WORTH_GIVING_BACK_BYTES


def test_an_older_store_is_rewritten_once_into_giving_pages_back(config_path):
    path = config_mod.load(config_path).store_path
    db = store.open_store(path)
    db.execute("PRAGMA auto_vacuum = NONE")
    db.execute("VACUUM")  # as a store built before the stores were incremental
    assert not space.is_incremental(db)
    before = file_bytes(db)
    burst(db, 3000)
    assert log.prune(db, 90) == 3000
    assert space.is_incremental(db)
    assert file_bytes(db) < before + 100_000
    db.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
