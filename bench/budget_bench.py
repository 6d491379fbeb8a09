"""Exact's daily call budget: the calls of `exactsync pull` runs (real CLI processes
against the sandbox) when nothing changed in Exact, and what a day of cron costs.

Exact allows 5,000 calls per app per division per day (reset 00:00 UTC); cron pulls
every 5 minutes, 288 times a day. A quiet pull reads the four sync endpoints; once a
day it also reads the division's move date (first pull of the UTC day) and the item
groups (every 24 hours); while a draft invoice push sent is still open in Exact, it
reads which drafts the office processed (sync/SalesInvoice/SalesInvoices) at most once
an hour. The day is counted with a draft open all day, the most that costs.

    python -m bench.budget_bench
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

from exactsync.sandbox import Sandbox  # noqa: E402
from exactsync.store import get_state, open_store, set_state  # noqa: E402
from tests.helpers.login import connect_store  # noqa: E402

DAILY_LIMIT = 5_000
PULLS_A_DAY = 24 * 60 // 5


def api_calls(sandbox: Sandbox) -> int:
    return sum(n for call, n in sandbox.calls.items() if call != "POST token")


def pull_calls(sandbox: Sandbox, config_path: Path) -> int:
    sandbox.reset_calls()
    exactsync(config_path, "pull")
    return api_calls(sandbox)


def exactsync(config_path: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), *args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)


def send_a_draft(sandbox: Sandbox, config_path: Path) -> None:
    """One archived work order, pushed: its draft stays open in Exact."""
    customer = next(a["Code"].strip() for a in sandbox.accounts.values()
                    if a["Status"] == "C" and a["IsSales"] and not a["Blocked"] and a["EndDate"] is None)
    orders = config_path.parent / "orders.json"
    orders.write_text(json.dumps([{"customer": customer, "description": "Onderhoud", "status": "archived",
                                   "hours": [{"kind": "work", "minutes": 60, "employee": "Jan"}]}]))
    exactsync(config_path, "workorder", "import", str(orders))
    exactsync(config_path, "push")


def make_due(store_path: Path, *, move_date: bool = False, item_groups: bool = False,
             drafts_read: bool = False) -> None:
    """As if the move date was last read yesterday (UTC), the item groups 25 hours ago, and/or the
    processed drafts 61 minutes ago."""
    db = open_store(store_path)
    try:
        if drafts_read:
            read_at = datetime.now(UTC) - timedelta(minutes=61)
            set_state(db, sales_invoices_read_at=read_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if move_date:
            checked = json.loads(get_state(db, "division_move_checked"))
            day = datetime.fromisoformat(checked["day"]).date() - timedelta(days=1)
            set_state(db, division_move_checked=json.dumps({**checked, "day": day.isoformat()}))
        if item_groups:
            read_at = datetime.now(UTC) - timedelta(hours=25)
            set_state(db, item_groups_read_at=read_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    finally:
        db.close()


def run() -> list[tuple[str, str]]:
    with Sandbox(seed=42, customers=300, items=120, minutely_limit=1_000_000) as sandbox, \
            tempfile.TemporaryDirectory() as folder:
        config = connect_store(Path(folder) / "exactsync.toml", base_url=sandbox.base_url,
                               client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                               division=sandbox.division, work_time_item=work_item(sandbox))
        first = pull_calls(sandbox, config.path)
        quiet = pull_calls(sandbox, config.path)
        make_due(config.store_path, move_date=True)
        new_day = pull_calls(sandbox, config.path)
        make_due(config.store_path, item_groups=True)
        groups_due = pull_calls(sandbox, config.path)
        send_a_draft(sandbox, config.path)
        pull_calls(sandbox, config.path)  # the first read of the invoices, from the beginning
        draft_quiet = pull_calls(sandbox, config.path)
        make_due(config.store_path, drafts_read=True)
        drafts_due = pull_calls(sandbox, config.path)
    day = PULLS_A_DAY * quiet + (new_day - quiet) + (groups_due - quiet) + 24 * (drafts_due - draft_quiet)
    return [
        ("first pull (reads everything)", f"{first} calls"),
        ("pull, nothing changed", f"{quiet} calls (at most 4)"),
        ("  first of the UTC day (+ move date)", f"{new_day} calls"),
        ("  item groups due (every 24 h)", f"{groups_due} calls"),
        ("  a draft open, processed drafts not due", f"{draft_quiet} calls"),
        ("  a draft open, processed drafts due (hourly)", f"{drafts_due} calls"),
        (f"a day of cron ({PULLS_A_DAY} quiet pulls, a draft open all day)",
         f"{day:,} calls = {day / DAILY_LIMIT:.1%} of Exact's {DAILY_LIMIT:,} a day"),
    ]


def work_item(sandbox: Sandbox) -> str:
    """An item to book the work time on, so that the draft has a line."""
    return next(i["Code"] for i in sandbox.items.values() if i["IsSalesItem"] and i["EndDate"] is None
                and i["Code"] == i["Code"].strip() and " " not in i["Code"])


def main() -> None:
    print("budget benchmark: Exact calls of quiet pulls", flush=True)
    results = run()
    width = max(len(r[0]) for r in results)
    for what, measured in results:
        print(f"{what:<{width}}  {measured}")


if __name__ == "__main__":
    main()
