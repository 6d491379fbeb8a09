"""Pull benchmark: a full pull of N customers and M items from the sandbox (in its own
process), at 0 ms and at 50 ms added latency per call, then incremental pulls.

Every figure is printed beside a baseline measured in the same run, because these
machines are noisy: throughput against a bare HTTP read of the same pages (requests
and json, nothing stored), calls against the minimum (one per 1,000 rows per sync
endpoint plus the fixed few).

    python -m bench.pull_bench [--customers 100000] [--items 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

import requests  # noqa: E402

from exactsync.sync.pull import ENTITIES  # noqa: E402
from tests.helpers.login import connect_store  # noqa: E402

FIXED_CALLS = 2  # system/Divisions (division move check) and logistics/ItemGroups


class SandboxProcess:
    def __init__(self, customers: int, items: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.sandbox_process", str(customers), str(items)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
        self.app = json.loads(self.process.stdout.readline())

    def ask(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def api_calls(self) -> int:
        return sum(n for call, n in self.ask("calls").items() if call != "POST token")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def timed_pull(config_path: Path) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one `exactsync pull` process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(config_path), "pull"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"pull failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def bare_read(sandbox: SandboxProcess, token: str) -> tuple[float, dict[str, int]]:
    """The same sync pages read with requests and json only: what reading alone costs."""
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    base = f"{sandbox.app['base_url']}/api/v1/{sandbox.app['division']}"
    rows: dict[str, int] = {}
    started = time.perf_counter()
    for entity in ENTITIES:
        endpoint = entity.path
        url, params = f"{base}/{endpoint}", {"$filter": "Timestamp gt 1L", "$select": ",".join(entity.select)}
        rows[endpoint] = 0
        while url:
            body = requests.get(url, params=params, headers=headers, timeout=60).json()["d"]
            rows[endpoint] += len(body["results"])
            url, params = body.get("__next"), None
    return time.perf_counter() - started, rows


def minimum_calls(rows: dict[str, int]) -> int:
    return sum(max(1, math.ceil(n / 1000)) for n in rows.values()) + FIXED_CALLS


def run(customers: int, items: int) -> list[tuple[str, str, str]]:
    sandbox = SandboxProcess(customers, items)
    results = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = connect_store(Path(folder) / "exactsync.toml", **sandbox.app)
            token = json.loads((Path(folder) / "exactsync.db.tokens.json").read_text())["access_token"]
            bare_seconds, rows = bare_read(sandbox, token)
            total = sum(rows.values())
            results.append(("bare HTTP read of the same pages (baseline)", f"{bare_seconds:.1f} s",
                            f"{total / bare_seconds:,.0f} rows/s"))

            sandbox.ask("reset")
            seconds, peak_kib = timed_pull(config.path)
            calls = sandbox.api_calls()
            results.append((f"full pull, 0 ms latency ({total:,} rows)", f"{seconds:.1f} s",
                            f"{total / seconds:,.0f} rows/s = {bare_seconds / seconds:.2f}x the bare read"))
            results.append(("  API calls", str(calls),
                            f"minimum {minimum_calls(rows)} ({calls / minimum_calls(rows):.3f}x)"))
            results.append(("  peak memory of the pull process", f"{peak_kib / 1024:.0f} MB", "limit 200 MB"))

            sandbox.ask("reset")
            seconds, _ = timed_pull(config.path)
            results.append(("incremental pull, nothing changed", f"{seconds:.2f} s",
                            f"{sandbox.api_calls()} calls (limit 4)"))

            changed = sandbox.ask("change 1")["changed"]
            sandbox.ask("reset")
            seconds, _ = timed_pull(config.path)
            results.append((f"incremental pull, 1% changed ({changed:,} accounts)", f"{seconds:.2f} s",
                            f"{sandbox.api_calls()} calls"))

        sandbox.ask("latency 50")
        with tempfile.TemporaryDirectory() as folder:
            config = connect_store(Path(folder) / "exactsync.toml", **sandbox.app)
            sandbox.ask("reset")
            seconds, _ = timed_pull(config.path)
            calls = sandbox.api_calls()
            floor = calls * 0.050
            results.append(("full pull, 50 ms latency per call", f"{seconds:.1f} s",
                            f"{total / seconds:,.0f} rows/s; {calls} calls x 50 ms = {floor:.1f} s of waiting "
                            f"({floor / seconds:.0%} of the time)"))
    finally:
        sandbox.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    print(f"pull benchmark: {args.customers:,} customers, {args.items:,} items", flush=True)
    results = run(args.customers, args.items)
    width = max(len(r[0]) for r in results)
    for what, measured, ratio in results:
        print(f"{what:<{width}}  {measured:>10}  {ratio}")


if __name__ == "__main__":
    main()
