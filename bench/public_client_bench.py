"""The same full read by an independent public Exact client: ossobv's `exactonline`
from PyPI, installed in its own fresh venv, against the same sandbox (in its own
process) as a full `exactsync pull`: calls, wall time and peak memory side by side.

Both read the same sync endpoints with the same $select. exactsync also maps and
stores every row in SQLite (and reads item groups and the division); the public client
only collects the rows in memory. The client is driven through its public API, with two
settings: http allowed for the sandbox on 127.0.0.1 (it only speaks https by default),
and its iteration limit raised from 50 pages per read (it refuses to read more than
50,000 sync rows in one go otherwise). If the venv cannot be
built or the client cannot be driven, the bench says why instead of printing figures.

    python -m bench.public_client_bench [--customers 100000] [--items 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# `make bench` runs this file as a script: the repository root is not on the path then.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pull_bench import SandboxProcess, timed_pull  # noqa: E402
from exactsync.sync.pull import ENTITIES  # noqa: E402
from tests.helpers.login import connect_store  # noqa: E402

CLIENT = "exactonline==0.4.0"

# Runs inside the client's venv: nothing of exactsync is importable there.
CLIENT_SCRIPT = r'''
import json, resource, sys
import urllib.request
from urllib.parse import parse_qs, quote, urlsplit

from exactonline import http as exact_http
from exactonline.api import ExactApi
from exactonline.resource import GET
from exactonline.storage.ini import IniStorage

app, reads = json.loads(sys.argv[1]), json.loads(sys.argv[2])
exact_http.opt_secure.protocols = ("http", "https")   # the sandbox speaks http on 127.0.0.1
base = app["base_url"]
with open("exact.ini", "w") as ini:
    ini.write(f"""[server]
auth_url = {base}/api/oauth2/auth
rest_url = {base}/api
token_url = {base}/api/oauth2/token

[application]
base_url = {app["redirect_uri"]}
client_id = {app["client_id"]}
client_secret = {app["client_secret"]}
# its own setting, default 50 pages (50,000 sync rows) per read: a full read of 100,000 customers needs more
iteration_limit = 10000
""")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


api = ExactApi(storage=IniStorage("exact.ini"))
try:
    urllib.request.build_opener(NoRedirect).open(api.create_auth_request_url())
except urllib.error.HTTPError as redirect:   # the sandbox consents at once and redirects with the code
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
api.request_token(code)
api.set_division(app["division"])
rows = {}
for path, select in reads:
    query = "$filter=" + quote("Timestamp gt 1L") + "&$select=" + ",".join(select)
    rows[path] = len(api.restv1(GET(path + "?" + query)))
print(json.dumps({"rows": rows, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
'''


def client_venv(folder: Path) -> Path:
    """A fresh venv holding only the public client; its python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
    python = folder / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                CLIENT], capture_output=True, text=True)
    if installed.returncode != 0:
        raise RuntimeError(f"pip install {CLIENT} failed: {installed.stderr.strip().splitlines()[-1]}")
    return python


def public_read(python: Path, sandbox: SandboxProcess, folder: Path) -> dict:
    script = folder / "read_all.py"
    script.write_text(CLIENT_SCRIPT)
    reads = [(e.path, e.select) for e in ENTITIES]
    started = time.perf_counter()
    done = subprocess.run([str(python), str(script), json.dumps(sandbox.app), json.dumps(reads)],
                          capture_output=True, text=True, cwd=folder, env={**os.environ, "PYTHONPATH": ""})
    if done.returncode != 0:
        raise RuntimeError(f"the public client failed: {done.stderr.strip().splitlines()[-1]}")
    figures = json.loads(done.stdout.splitlines()[-1])
    figures["wall"] = time.perf_counter() - started
    return figures


def run(customers: int, items: int) -> list[tuple[str, str, str, str]]:
    sandbox = SandboxProcess(customers, items)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = connect_store(Path(folder) / "exactsync.toml", **sandbox.app)
            sandbox.ask("reset")
            seconds, peak_kib = timed_pull(config.path)
            ours = ("exactsync pull (reads, maps, stores)", sandbox.api_calls(), seconds, peak_kib)
        with tempfile.TemporaryDirectory() as folder:
            try:
                python = client_venv(Path(folder) / "venv")
                sandbox.ask("reset")
                figures = public_read(python, sandbox, Path(folder))
            except (RuntimeError, subprocess.CalledProcessError, ValueError) as exc:
                return [row(*ours), (CLIENT, "not measured", "", ""), (f"  why: {exc}", "", "", "")]
            theirs = (f"{CLIENT} (reads into memory)", sandbox.api_calls(), figures["wall"], figures["peak_kib"])
        rows = sum(figures["rows"].values())
        return [row(*ours), row(*theirs),
                ("ratio exactsync / public client", f"{ours[1] / theirs[1]:.2f}x", f"{ours[2] / theirs[2]:.2f}x",
                 f"{ours[3] / theirs[3]:.2f}x"),
                (f"rows read by the public client: {rows:,}", "", "", "")]
    finally:
        sandbox.close()


def row(what: str, calls: int, seconds: float, peak_kib: int) -> tuple[str, str, str, str]:
    return what, str(calls), f"{seconds:.1f} s", f"{peak_kib / 1024:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    print(f"full read, {args.customers:,} customers and {args.items:,} items: exactsync beside a public client "
          "(calls without the token call; wall time and peak memory of each whole process)", flush=True)
    results = [("", "API calls", "wall time", "peak memory"), *run(args.customers, args.items)]
    table = [r for r in results if any(r[1:])]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for r in results:
        if any(r[1:]):
            print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}".rstrip())
        else:
            print(r[0])


if __name__ == "__main__":
    main()
