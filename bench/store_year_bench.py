"""A year of cron against one store: does the file stay near what its data needs?

Simulated in one process on the real store functions, with a clock that moves an hour per step:
each hour 12 runs (one every 5 minutes) each write a pull and a push row to the log, the hour's
prune runs (as every run's does) with the default retention of 90 days, and on working days
10 work orders are booked and archived. In week 20 Exact refuses every invoice for a week: 3
error rows per run. Two stores live the same year: one as before (SQLite reuses free pages but
never shrinks the file) and one as now (free pages given back after pruning). Printed per store:
the largest and the final file, what its data needs (a fresh copy by VACUUM INTO), and final/needed.

    python -m bench.store_year_bench
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from exactsync import log
from exactsync.store import open_store, space, transaction, utcnow
from exactsync.store.log import add_log_row
from exactsync.workorders import lifecycle

RUNS_AN_HOUR = 12
RETENTION_DAYS = 90
WORK_ORDERS_A_WORKING_DAY = 10
BAD_WEEK = range(7 * 19, 7 * 20)  # days of the year Exact refuses every invoice
MB = 1 << 20
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


def customers(db, count: int) -> list[str]:
    codes = [f"K{n:04}" for n in range(count)]
    with transaction(db):
        for code in codes:
            exact_id = str(uuid.uuid4())
            customer = db["customers"].insert({"exact_id": exact_id, "code": code, "name": f"Klant {code}",
                                               "address_line1": "Dorpsstraat 1", "city": "Utrecht",
                                               "updated_at": utcnow()}).last_pk
            db["work_addresses"].insert({"key": "exact:" + exact_id, "customer_id": customer,
                                         "street": "Dorpsstraat 1", "city": "Utrecht", "created_at": utcnow()})
        db["items"].insert({"exact_id": str(uuid.uuid4()), "code": "PAKKING", "description": "Pakking",
                            "unit": "pc", "updated_at": utcnow()})
    return codes


def run_rows(db, at: str, bad: bool) -> None:
    with transaction(db):
        add_log_row(db, at, "info", "customer", "", "pull customers: 0 added, 2 changed, 0 deactivated", "")
        add_log_row(db, at, "info", "workorder", "", "push: 1 work order sent to Exact as draft invoice", "")
        for n in range(3 if bad else 0):
            add_log_row(db, at, "error", "workorder", f"WO{n:05}",
                        "Exact refused the draft invoice: the customer is blocked in Exact (" + "x" * 300 + ")",
                        "unblock the customer in Exact, or set another customer: exactsync workorder set-customer")


def work_day(db, codes: list[str], day: int) -> None:
    for n in range(WORK_ORDERS_A_WORKING_DAY):
        number = lifecycle.create(db, prefix="WO", customer_code=codes[(day * 7 + n) % len(codes)],
                                  description="CV-ketel onderhoud", customer_reference=f"PO-{day}-{n}")
        lifecycle.book_time(db, number, employee="Piet", minutes_by_kind={"work": 90, "travel": 20})
        lifecycle.add_material(db, number, "PAKKING", Decimal(2))
        lifecycle.fill_form(db, number, "Veiligheid", [("Gas afgesloten?", "Ja"), ("Opmerking", "Geen" * 20)])
        lifecycle.complete(db, number)
        lifecycle.archive(db, number)


def file_size(path: Path) -> int:
    return path.stat().st_size


def a_year(path: Path) -> tuple[int, int]:
    """Live a year on the store at `path`; return (largest, final) file size."""
    db = open_store(path)
    codes = customers(db, 300)
    largest = 0
    for hour in range(365 * 24):
        now = START + timedelta(hours=hour)
        day = hour // 24
        for run in range(RUNS_AN_HOUR):
            run_rows(db, (now + timedelta(minutes=5 * run)).strftime("%Y-%m-%dT%H:%M:%SZ"), day in BAD_WEEK)
        log.prune(db, RETENTION_DAYS, now=now)
        if hour % 24 == 8 and now.weekday() < 5:
            work_day(db, codes, day)
        largest = max(largest, file_size(path))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return largest, file_size(path)


def needed(path: Path) -> int:
    db = open_store(path)
    fresh = path.with_name("fresh.db")
    db.execute("VACUUM INTO ?", [str(fresh)])
    db.close()
    return file_size(fresh)


def as_before() -> None:
    """A store built and run as before: auto_vacuum NONE, nothing given back."""
    space.build_incremental = lambda conn: None
    log.give_back_free_pages = lambda db: 0


def main() -> None:
    variant = sys.argv[1] if len(sys.argv) > 1 else None
    if variant is None:  # each store in its own process: the "before" one patches the store's functions
        for name in ("before", "now"):
            os.spawnv(os.P_WAIT, sys.executable, [sys.executable, __file__, name])
        return
    if variant == "before":
        as_before()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "exactsync.db"
        largest, final = a_year(path)
        data = needed(path)
        print(f"{variant:>6}: largest {largest / MB:5.1f} MB, after a year {final / MB:5.1f} MB, its data needs "
              f"{data / MB:5.1f} MB: {final / data:.2f}x ({final / MB - data / MB:+.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
