"""Sandbox at scale: start-up time, memory, and a full sync read of 100,000 customers.

    .venv/bin/python bench/sandbox_bench.py [--customers 100000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exactsync.sandbox import Sandbox  # noqa: E402
from tests.helpers.sandbox_http import Api  # noqa: E402

SELECT = "ID,Code,Name,AddressLine1,Postcode,City,Country,Blocked,Status,IsSales,EndDate,Modified,Timestamp"


def rss_mib() -> float:
    """Current resident set size (Linux /proc; elsewhere the peak, which is close enough here)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()

    rss_before = rss_mib()
    started = time.perf_counter()
    sandbox = Sandbox(customers=args.customers, items=1000, minutely_limit=10**6, daily_limit=10**6)
    sandbox.start()
    startup = time.perf_counter() - started
    data_mib = rss_mib() - rss_before
    try:
        api = Api(sandbox)
        started = time.perf_counter()
        url = api.url("sync/CRM/Accounts")
        params = {"$filter": "Timestamp gt 1L", "$select": SELECT}
        rows = pages = 0
        slowest = 0.0
        while url:
            page_started = time.perf_counter()
            answer = api.session.get(url, params=params, headers=api.headers)
            slowest = max(slowest, time.perf_counter() - page_started)
            data = answer.json()["d"]
            rows, pages = rows + len(data["results"]), pages + 1
            url, params = data.get("__next"), None
        read = time.perf_counter() - started
        started = time.perf_counter()
        api.get("crm/Accounts", **{"$filter": "trim(Code) eq '4711'", "$select": "ID,Name"}).raise_for_status()
        filtered = time.perf_counter() - started
    finally:
        sandbox.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"customers            {args.customers:>10,}")
    print(f"start-up             {startup:>10.2f} s   (generate + listen; must be < 5 s)")
    print(f"data in memory       {data_mib:>10.0f} MiB (resident set growth during start-up)")
    print(f"peak RSS             {peak_rss:>10.0f} MiB (whole process, client included)")
    print(f"full sync read       {read:>10.2f} s   ({rows:,} rows in {pages} pages, "
          f"{rows / read:,.0f} rows/s, slowest page {slowest * 1000:.0f} ms)")
    print(f"filtered crm read    {filtered * 1000:>10.0f} ms  (one $filter scans every account)")
    if rows != args.customers:
        sys.exit(f"expected {args.customers} rows, read {rows}")


if __name__ == "__main__":
    main()
