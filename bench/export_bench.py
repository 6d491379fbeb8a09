"""`exactsync export` at scale: the first export of 100,000 customers with their work addresses and
20,000 items, against a bare read of the same rows (sqlite3, nothing built or printed), and its peak
memory at a tenth of the size (flat memory means the same peak); then an export with nothing changed.

Each measurement runs in its own process, so each peak memory is its own.

    python -m bench.export_bench [--customers 100000] [--items 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlite_utils

from exactsync.store import open_store, transaction


def build(path: Path, customers: int, items: int) -> None:
    """A store as a full pull leaves it: customers, each with its work address from Exact, and items."""
    db = open_store(path)
    with transaction(db):
        db["customers"].insert_all(({"id": n, "exact_id": f"c-{n}", "code": f"{n:06d}", "name": f"Klant {n}",
                                     "address_line1": f"Dorpsstraat {n}", "postcode": "1234 AB", "city": "Utrecht",
                                     "country": "NL", "updated_at": "2026-12-01T00:00:00Z"}
                                    for n in range(1, customers + 1)), batch_size=5000)
        db["work_addresses"].insert_all(({"key": f"exact:c-{n}", "customer_id": n, "street": f"Dorpsstraat {n}",
                                          "postcode": "1234 AB", "city": "Utrecht", "country": "NL",
                                          "exact_address_id": f"a-{n}", "created_at": "2026-12-01T00:00:00Z"}
                                         for n in range(1, customers + 1)), batch_size=5000)
        db["items"].insert_all(({"exact_id": f"i-{n}", "code": f"M{n}", "description": f"Artikel {n}", "unit": "stuk",
                                 "updated_at": "2026-12-01T00:00:00Z"} for n in range(1, items + 1)), batch_size=5000)
    db.close()


# Run in a child process whose stdout is /dev/null: the export as the command prints it (or the bare read);
# {"seconds", "lines", "peak_mb", "cursor"} on stderr.
CHILD = """
import json, resource, sys, time
from pathlib import Path
path, mode, since = Path(sys.argv[1]), sys.argv[2], sys.argv[3] or None
from exactsync.commands import _output
from exactsync.fieldapp import feed
from exactsync.store import open_store
db = open_store(path)
start, last, count = time.perf_counter(), {}, 0
def counted(lines):
    global count
    for line in lines:
        count += 1
        last.update(line)
        yield line
if mode == "bare":
    count = sum(sum(1 for _ in db.conn.execute(f"SELECT * FROM {t}")) for t in ("customers", "work_addresses", "items"))
else:
    _output.print_json_lines(counted(feed.lines(db, feed.Cursor.parse(since) if since else None)))
print(json.dumps({"seconds": time.perf_counter() - start, "lines": count, "cursor": last.get("cursor"),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)
"""


def measure(path: Path, mode: str, since: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, since], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return json.loads(done.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big, small = Path(folder, "big.db"), Path(folder, "small.db")
        build(big, args.customers, args.items)
        build(small, args.customers // 10, args.items // 10)
        bare, first = measure(big, "bare"), measure(big, "export")
        tenth = measure(small, "export")
        quiet = measure(big, "export", first["cursor"])
        rows = sqlite_utils.Database(big)["changes"].count
    print(f"| first export, {args.customers:,} customers + work addresses, {args.items:,} items | "
          f"{first['lines']:,} lines in {first['seconds']:.1f} s = {first['lines'] / first['seconds']:,.0f} lines/s; "
          f"{first['seconds'] / bare['seconds']:.1f}x a bare read of the rows ({bare['seconds']:.2f} s) |")
    print(f"| its peak memory (whole process) | {first['peak_mb']:.0f} MB; at a tenth of the rows "
          f"{tenth['peak_mb']:.0f} MB ({first['peak_mb'] / tenth['peak_mb']:.2f}x) |")
    print(f"| export with nothing changed (changes table: {rows:,} rows) | {quiet['lines']} line in "
          f"{quiet['seconds'] * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
