"""Push benchmark: 100 archived work orders (work and travel time, two materials, a form,
both PDFs) to the sandbox as draft invoices, through `exactsync push` in its own process.

Reports the calls per work order, the wall time, and every answer the sandbox gave by
status, so a 429 would show. The timing run uses a high minutely limit (printed): at
Exact's 60 calls a minute, 100 work orders take minutes of real waiting by design.
That push stays under 60 a minute without a 429 is proven without real waiting in
tests/test_push.py (a shared fake clock for client and sandbox).

    python -m bench.push_bench [--orders 100] [--minutely-limit 100000]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

from exactsync.demo import cast_from  # noqa: E402
from exactsync.sandbox import Sandbox  # noqa: E402
from exactsync.sandbox import server as sandbox_server  # noqa: E402
from exactsync.store import open_store  # noqa: E402
from exactsync.workorders import pdf  # noqa: E402
from tests.helpers.login import connect_store  # noqa: E402


def count_answers(statuses: collections.Counter) -> None:
    """Count every status the sandbox answers (its handler otherwise keeps quiet)."""
    def log_request(handler, code="-", size="-"):
        statuses[int(code)] += 1

    sandbox_server.Handler.log_request = log_request


def exactsync(config: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config), *args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"exactsync {' '.join(args)} failed: {done.stderr}")
    return time.perf_counter() - started


def work_orders(sandbox: Sandbox, count: int) -> list[dict]:
    cast = cast_from(sandbox)
    customers = [a["Code"].strip() for a in sandbox.accounts.values()
                 if a["Status"] == "C" and a["IsSales"] and not a["Blocked"] and a["EndDate"] is None]
    return [{"customer": code, "description": f"Onderhoud {n}", "customer_reference": f"PO-{n}",
             "hours": [{"kind": "work", "minutes": 90, "employee": "Jan"},
                       {"kind": "travel", "minutes": 15, "employee": "Jan"}],
             "materials": [{"item": cast.materials[0], "quantity": 1.5}, {"item": cast.materials[1], "quantity": 2}],
             "forms": [{"name": "Veiligheid", "answers": {"Gas afgesloten?": "Ja"}}],
             "status": "archived"}
            for n, code in zip(range(1, count + 1), itertools.cycle(customers))]


def rendering_seconds(store_path: Path, repeats: int = 5) -> float:
    """What rendering one work order's two PDFs costs (fpdf2 subsets the embedded font each time)."""
    db = open_store(store_path)
    try:
        started = time.perf_counter()
        for _ in range(repeats):
            pdf.workorder_pdf(db, "WO00001", "")
            pdf.forms_pdf(db, "WO00001", "")
        return (time.perf_counter() - started) / repeats
    finally:
        db.close()


def run(orders: int, minutely_limit: int) -> tuple[list[tuple[str, str, str]], bool]:
    statuses: collections.Counter = collections.Counter()
    count_answers(statuses)
    with Sandbox(seed=7, customers=300, items=120, minutely_limit=minutely_limit, daily_limit=1_000_000) as sandbox, \
            tempfile.TemporaryDirectory() as folder:
        cast = cast_from(sandbox)
        config = connect_store(Path(folder) / "exactsync.toml", base_url=sandbox.base_url,
                               client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                               division=sandbox.division, work_time_item=cast.work_item,
                               travel_time_item=cast.travel_item, memo="both", your_ref="both", pdfs="both")
        exactsync(config.path, "pull")
        entries = Path(folder) / "orders.json"
        entries.write_text(json.dumps(work_orders(sandbox, orders)))
        exactsync(config.path, "workorder", "import", str(entries))
        sandbox.reset_calls()
        statuses.clear()
        seconds = exactsync(config.path, "push")
        calls = sum(n for call, n in sandbox.calls.items() if call != "POST token")
        invoices = len(sandbox.invoices)
        pdf_seconds = rendering_seconds(config.store_path)
    answers = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
    return [
        (f"push of {orders} work orders (minutely limit {minutely_limit:,})", f"{seconds:.1f} s",
         f"{seconds / orders * 1000:.0f} ms per work order, process start included"),
        ("  of which rendering the two PDFs", f"{pdf_seconds * orders:.1f} s",
         f"{pdf_seconds * 1000:.0f} ms per work order ({pdf_seconds * orders / seconds:.0%} of the push)"),
        ("  draft invoices in the sandbox afterwards", str(invoices), f"expected {orders}"),
        ("  API calls", str(calls), f"{calls / orders:.1f} per work order (a document, 2 attachments, the invoice "
                                    "carrying the document; plus one-off lookups)"),
        ("  answers by status", answers, "no 429" if 429 not in statuses else "429 OCCURRED"),
        ("  at Exact's 60 calls a minute", f"{calls / 60:.1f} min",
         "the same calls, paced: no 429 there is proven in tests/test_push.py"),
    ], invoices == orders and 429 not in statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--minutely-limit", type=int, default=100_000)
    args = parser.parse_args()
    results, ok = run(args.orders, args.minutely_limit)
    width = max(len(r[0]) for r in results)
    for what, measured, note in results:
        print(f"{what:<{width}}  {measured:>14}  {note}")
    if not ok:
        sys.exit("push left work orders unsent, or met a 429")


if __name__ == "__main__":
    main()
