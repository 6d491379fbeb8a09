"""Soak: a seeded random sequence of everything a deployment lives through, then the promises.

Exact changes under the store (creates, updates, blocks, deletes of customers and items), users
create, book, complete and archive work orders, and cron runs pull, push and cleanup as real
processes: some overlap, some are killed with SIGKILL mid-flight, and the sandbox injects latency,
500s, dropped answers (before and after it committed), 429s and expired tokens. Afterwards, with the
faults gone, a few ordinary cron runs must leave: the store equal to Exact under the filters, every
archived work order in Exact exactly once with exactly its PDFs (or refused with an error row that
says why), no work order lost, an error row for every failed run, and a working Exact login.

The short form (one seed, a few dozen operations) runs in the normal suite; the long form runs with
`pytest -m soak`, its size from SOAK_SEEDS (default 10) and SOAK_OPS (default 300).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from exactsync import config as config_mod
from exactsync.errors import ExactsyncError
from exactsync.exact import ExactClient
from exactsync.exact.tokens import TokenStore
from exactsync.sandbox import FAULT_KINDS, Sandbox
from exactsync.store import open_store, outbox
from exactsync.sync import steps
from exactsync.workorders import lifecycle
from tests.helpers.login import log_in
from tests.helpers.pull import expected_customers, expected_items, stored_customers, stored_items
from tests.helpers.push import connected_store, in_exact, run_push, sales_item_codes

pytestmark = pytest.mark.slow  # a short soak takes half a minute; the long ones are also marked soak

EXACT_PATHS = ("sync/CRM/Accounts", "sync/CRM/Addresses", "sync/Logistics/Items", "sync/Deleted",
               "logistics/ItemGroups", "logistics/Items", "crm/Accounts", "salesinvoice/SalesInvoices",
               "documents/Documents", "documents/DocumentAttachments", "documents/DocumentTypes", None)
# Odd but legal text, as Exact users type it: quotes, OData keywords, accents, emoji.
ODD_NAMES = ("O'Brien & Zn.", "Bakker' or '1' eq '1", "Café Ünïcode ĳs", "Aa eq Bb and Cc", "Δ 😀 \"quoted\"",
             "x" * 50, "Nieuwe klant")
MAX_LATENCY_MS = 900  # the slowest answer a latency fault gives
# Exact's answer window: push looks a step a killed run left in flight up only after twice this.
TIMEOUT_SECONDS = 2
# The longest a run may take with its faults; a hang past it is a bug.
RUN_TIMEOUT_SECONDS = 120


@dataclass
class WorkOrder:
    """What the soak did to one work order, to check nothing was lost."""
    status: str = "open"
    bookings: int = 0
    materials: int = 0


@dataclass
class Figures:
    operations: Counter = field(default_factory=Counter)
    runs: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    kills: int = 0
    logins_lost: int = 0
    overlaps: int = 0
    refusals: int = 0

    def summary(self, seed: int, invoices: int, sent: int, refusals: Counter) -> str:
        return (f"soak seed {seed}: {sum(self.operations.values())} operations ({dict(self.operations)}), "
                f"runs {dict(self.runs)}, {self.kills} kills ({self.logins_lost} mid-refresh: connect again), "
                f"{self.overlaps} overlaps, "
                f"{sum(self.faults.values())} faults ({dict(self.faults)}), {self.refusals} local refusals, "
                f"{invoices} invoices checked ({sent} work orders sent, {sum(refusals.values())} refused and "
                f"explained: {dict(refusals)})")


class Soak:
    def __init__(self, sandbox, folder: Path, seed: int, monkeypatch):
        self.sandbox = sandbox
        self.rng = random.Random(seed)
        self.seed = seed
        self.config_path = folder / "exactsync.toml"
        self.protected_item = sales_item_codes(sandbox)[0]
        config, self.db = connected_store(sandbox, self.config_path, pdfs="both", work_time_item=self.protected_item)
        config = config_mod.update(config, "exact", "timeout_seconds", TIMEOUT_SECONDS)
        self.store_path = config.store_path
        self.folder = folder
        self.orders: dict[str, WorkOrder] = {}
        self.figures = Figures()
        self.run_count = 0
        # The sandbox's rate-limit clock sits just before a minute boundary that has passed, so a 429
        # sends the client to a reset that is due now: it waits ~0.5 s instead of up to a minute.
        sandbox.limits.clock = lambda: 60 * (time.time() // 60) - 1

    # -- Exact's side ---------------------------------------------------------------------------

    def exact_accounts(self) -> list[str]:
        return sorted(self.sandbox.accounts)

    def exact_items(self) -> list[str]:
        return sorted(k for k, i in self.sandbox.items.items() if i["Code"] != self.protected_item)

    def exact_change(self) -> None:
        sb, rng = self.sandbox, self.rng
        what = rng.choice(("add customer", "rename customer", "block customer", "unblock customer",
                           "delete customer", "prospect customer", "add item", "change item", "delete item",
                           "not for sale item"))
        self.figures.operations[f"exact: {what}"] += 1
        accounts, items = self.exact_accounts(), self.exact_items()
        if what == "add customer":
            sb.add_customer(Name=rng.choice(ODD_NAMES), AddressLine1=f"Straat {rng.randint(1, 999)}",
                            Postcode="1234 AB", City=rng.choice(("Utrecht", "'s-Hertogenbosch", "Zürich")))
        elif what == "rename customer" and accounts:
            sb.update_account(rng.choice(accounts), Name=rng.choice(ODD_NAMES))
        elif what in ("block customer", "unblock customer") and accounts:
            sb.update_account(rng.choice(accounts), Blocked=what == "block customer")
        elif what == "delete customer" and len(accounts) > 5:
            sb.delete_account(rng.choice(accounts))
        elif what == "prospect customer" and accounts:
            sb.update_account(rng.choice(accounts), Status=rng.choice(("P", "C")))
        elif what == "add item":
            sb.add_item(Code=f"SOAK-{len(sb.items) + 1}", Description=rng.choice(ODD_NAMES))
        elif what == "change item" and items:
            sb.update_item(rng.choice(items), Description=rng.choice(ODD_NAMES))
        elif what == "delete item" and len(items) > 5:
            sb.delete_item(rng.choice(items))
        elif what == "not for sale item" and items:
            sb.update_item(rng.choice(items), IsSalesItem=rng.random() < 0.5)

    # -- the users' side ------------------------------------------------------------------------

    def in_status(self, *statuses: str) -> list[str]:
        return sorted(n for n, o in self.orders.items() if o.status in statuses)

    def local_change(self) -> None:
        rng, db = self.rng, self.db
        what = rng.choice(("create", "create", "create", "book", "material", "complete", "complete", "archive",
                           "archive"))
        self.figures.operations[f"workorder: {what}"] += 1
        try:
            if what == "create":
                codes = [r[0] for r in db.execute("SELECT code FROM customers WHERE active = 1")]
                if codes:
                    number = lifecycle.create(db, prefix="WO", customer_code=rng.choice(codes),
                                              description=rng.choice(ODD_NAMES), customer_reference="PO 'x'")
                    self.orders[number] = WorkOrder()
            elif what == "book" and self.in_status("open"):
                number = rng.choice(self.in_status("open"))
                lifecycle.book_time(db, number, employee="Piet",
                                    minutes_by_kind={"work": rng.randint(1, 240), "travel": rng.randint(1, 60)})
                self.orders[number].bookings += 2
            elif what == "material" and self.in_status("open"):
                number = rng.choice(self.in_status("open"))
                codes = [r[0] for r in db.execute("SELECT code FROM items WHERE active = 1")]
                lifecycle.add_material(db, number, rng.choice(codes), Decimal(rng.choice(("1", "2.5", "0.125"))))
                self.orders[number].materials += 1
            elif what == "complete" and self.in_status("open"):
                number = rng.choice(self.in_status("open"))
                if not self.orders[number].bookings:
                    lifecycle.book_time(db, number, employee="Piet", minutes_by_kind={"work": 60})
                    self.orders[number].bookings += 1
                lifecycle.fill_form(db, number, "Veiligheid", [("Gas afgesloten?", rng.choice(("Ja", "Nee")))])
                lifecycle.complete(db, number)
                self.orders[number].status = "completed"
            elif what == "archive" and self.in_status("completed"):
                number = rng.choice(self.in_status("completed"))
                lifecycle.archive(db, number)
                self.orders[number].status = "archived"
        except ExactsyncError:
            self.figures.refusals += 1  # e.g. the customer was blocked in Exact meanwhile

    # -- faults ---------------------------------------------------------------------------------

    def fault(self) -> None:
        rng = self.rng
        self.figures.operations["fault"] += 1
        if rng.random() < 0.2:
            self.sandbox.expire_tokens()
            self.figures.faults["expired tokens"] += 1
            return
        kind = rng.choice(FAULT_KINDS)
        # Exact burns the old refresh token on use, so a refresh answer lost after Exact committed it
        # loses the login (the user must connect again): Exact's design, out of any client's reach.
        # Every other fault may hit the token endpoint too.
        path = rng.choice(EXACT_PATHS[:-1] if kind == "drop_after_commit" else (*EXACT_PATHS, "token"))
        self.sandbox.fault(rng.choice(("GET", "POST", None)), path, kind, times=rng.randint(1, 2),
                           ms=rng.randint(20, MAX_LATENCY_MS // 2))
        self.figures.faults[kind] += 1

    # -- cron runs ------------------------------------------------------------------------------

    def config_and_clock(self) -> None:
        """While steps may wait: the admin lowers [exact] timeout_seconds (or sets it back), and a push
        runs on a machine whose wall clock stood behind: its steps' times lie in the past of every later
        run, which thus meets a clock stepped forward. The time since boot is not moved by either."""
        rng = self.rng
        self.figures.operations["config and clock"] += 1
        config_mod.update(config_mod.load(self.config_path), "exact", "timeout_seconds",
                          rng.choice((1, TIMEOUT_SECONDS)))
        behind = rng.randint(60, 3600)
        with contextlib.suppress(ExactsyncError):  # a fault that stops the run, as in cron
            run_push(self.config_path, self.db, clock=lambda: time.time() - behind, boot=steps.boot_clock)

    def start(self, command: str, lock_wait: float = 20.0) -> tuple[subprocess.Popen, Path]:
        self.run_count += 1
        stderr = self.folder / f"run{self.run_count}-{command}.err"
        env = {**os.environ, "EXACTSYNC_LOCK_WAIT": str(lock_wait)}
        process = subprocess.Popen([sys.executable, "-m", "exactsync", "--config", str(self.config_path), command],
                                   stdout=subprocess.DEVNULL, stderr=stderr.open("w"), env=env)
        return process, stderr

    def last_log_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM log").fetchone()[0]

    def finish(self, command: str, process: subprocess.Popen, stderr: Path, log_before: int) -> None:
        """A run ends with 0, or 1 with a one-line error and an error row; never with a traceback."""
        code = process.wait(timeout=RUN_TIMEOUT_SECONDS)
        text = stderr.read_text(encoding="utf-8")
        assert "Traceback" not in text, text
        busy = code == 0 and "another exactsync run is busy" in text
        self.figures.runs[f"{command} {'busy' if busy else 'ok' if code == 0 else 'killed' if code < 0 else 'failed'}"] += 1
        if code == 1:
            assert "Error: " in text, text
            errors = self.db.execute("SELECT count(*) FROM log WHERE kind = 'error' AND id > ?",
                                     [log_before]).fetchone()[0]
            assert errors, f"{command} failed without an error row: {text}"
        else:
            assert code in (0, -signal.SIGKILL), (command, code, text)

    def cron_run(self) -> None:
        rng = self.rng
        command = rng.choice(("pull", "pull", "push", "push", "cleanup"))
        way = rng.choice(("plain", "plain", "killed", "overlapping"))
        self.figures.operations[f"run: {command} {way}"] += 1
        before = self.last_log_id()
        if way == "overlapping":
            # The second starts while the first is at work (holding the run lock, once it calls Exact).
            other = rng.choice(("pull", "push", "cleanup"))
            # A slow Exact keeps the first one at work long enough for the second to start meanwhile.
            self.sandbox.fault(None, None, "latency", times=2, ms=rng.randint(300, MAX_LATENCY_MS))
            self.figures.faults["latency"] += 1
            first = self.start(command)
            self.wait_until_busy(first[0], calls=1, seconds=rng.uniform(0.3, 1.0))
            second = self.start(other, lock_wait=rng.choice((0.0, 20.0)))
            self.figures.overlaps += 1
            self.finish(command, *first, before)
            self.finish(other, *second, before)
        elif way == "killed":
            refreshes = self.sandbox.calls["POST token"]
            process, stderr = self.start(command)
            self.wait_until_busy(process, calls=rng.randint(1, 12), seconds=rng.uniform(0.2, 2.0))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                self.figures.kills += 1
            self.finish(command, process, stderr, before)
            if command == "push" and rng.random() < 0.5:
                self.config_and_clock()  # while the killed push's steps wait
            if self.sandbox.calls["POST token"] != refreshes:
                time.sleep(MAX_LATENCY_MS / 1000 + 0.2)  # a refresh still held up by latency completes now
                self.log_in_again_if_killed_mid_refresh()
        else:
            self.finish(command, *self.start(command), before)

    def log_in_again_if_killed_mid_refresh(self) -> None:
        """Exact burns the old refresh token when it renews the login. A run killed after Exact renewed
        it and before the new pair was on disk leaves a burnt token: Exact's design, out of any client's
        reach, and the user must `exactsync connect` again. Count it and do that; any other lost login
        fails the final pull."""
        stored = TokenStore.beside(self.store_path).load()
        with self.sandbox.lock:
            if stored.refresh_token not in self.sandbox.oauth.used_refresh:
                return
            faults, self.sandbox.faults[:] = list(self.sandbox.faults), []
        log_in(config_mod.load(self.config_path))
        with self.sandbox.lock:
            self.sandbox.faults.extend(faults)
        self.figures.logins_lost += 1

    def wait_until_busy(self, process: subprocess.Popen, calls: int, seconds: float) -> None:
        """Until the run has made `calls` calls to Exact or `seconds` passed (cleanup makes no calls)."""
        start, deadline = self.api_calls(), time.monotonic() + seconds
        while self.api_calls() - start < calls and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)

    def api_calls(self) -> int:
        with self.sandbox.lock:
            return sum(n for call, n in self.sandbox.calls.items() if not call.endswith(" token"))

    # -- the whole run --------------------------------------------------------------------------

    def play(self, operations: int) -> None:
        for _ in range(operations):
            roll = self.rng.random()
            if roll < 0.2:
                self.exact_change()
            elif roll < 0.6:
                self.local_change()
            elif roll < 0.75:
                self.fault()
            elif roll < 0.82:
                self.config_and_clock()
            else:
                self.cron_run()

    def settle(self) -> None:
        """Faults gone; what cron does on a quiet day, and support retrying what failed."""
        with self.sandbox.lock:
            self.sandbox.faults.clear()
        config_mod.update(config_mod.load(self.config_path), "exact", "timeout_seconds", TIMEOUT_SECONDS)
        self.wait_until_exact_is_done()
        for command in ("pull", "push", "pull"):
            self.quiet_run(command)
        for (number,) in self.db.execute("SELECT number FROM work_orders WHERE status = 'failed'").fetchall():
            self.quiet_run("push", "--retry", number)
        for command in ("push", "pull"):  # the last pull proves the Exact login still works
            self.quiet_run(command)

    def wait_until_exact_is_done(self) -> None:
        """Until push may look up every step a killed push left in flight, as push itself decides it (the
        wall clock, the time since boot, the [exact] timeout): only then can Exact no longer be storing it."""
        client = ExactClient.from_config(config_mod.load(self.config_path))
        steps_outbox = steps.Outbox(self.db, client, time.time, steps.boot_clock)
        later = [steps_outbox.look_up_from(row) for row in outbox.in_flight_steps(self.db) if row["last_status"] is None]
        time.sleep(max([0.0] + [moment - time.time() for moment in later if moment is not None]))

    def quiet_run(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "exactsync", "--config", str(self.config_path), *args],
                                capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
        assert result.returncode == 0, (args, result.stderr)
        self.figures.runs[f"{args[0]} ok"] += 1

    def check(self) -> str:
        db = open_store(self.store_path)
        sb = self.sandbox
        assert stored_customers(db) == expected_customers(sb)
        assert stored_items(db) == expected_items(sb)

        rows = {r[0]: r[1:] for r in db.execute(
            "SELECT number, status, exact_invoice_id, (SELECT count(*) FROM time_bookings t WHERE t.work_order_id = "
            "w.id), (SELECT count(*) FROM materials m WHERE m.work_order_id = w.id) FROM work_orders w")}
        assert set(rows) == set(self.orders), "work orders lost or appeared"
        found = in_exact(sb)
        sent, refusals = 0, Counter()
        for number, order in self.orders.items():
            status, invoice_id, bookings, materials = rows[number]
            assert (bookings, materials) == (order.bookings, order.materials), number
            copies = [found["invoices"][f"Werkbon {number}"], found["documents"][f"Werkbon {number}"],
                      found["attachments"][f"Werkbon {number}/{number}-werkbon.pdf"],
                      found["attachments"][f"Werkbon {number}/{number}-formulieren.pdf"]]
            if order.status != "archived":
                assert status == order.status and copies == [0] * 4, (number, status, copies)
            elif status == "sent":
                sent += 1
                assert copies == [1] * 4, (number, copies)
                assert sb.invoices[invoice_id]["Description"] == f"Werkbon {number}"
                [document] = [d["ID"] for d in sb.documents.values() if d["Subject"] == f"Werkbon {number}"]
                assert sb.invoices[invoice_id]["Document"] == document, number
            else:
                assert status in ("archived", "failed") and max(copies) <= 1, (number, status, copies)
                explained = db.execute("SELECT message FROM log WHERE kind = 'error' AND record = ? ORDER BY id DESC",
                                       [number]).fetchone()
                assert explained, f"work order {number} is {status} without an error row saying why"
                refusals[explained[0].replace(number, "N")[:90]] += 1
        assert set(found["invoices"]) <= {f"Werkbon {n}" for n in self.orders}, "an invoice for no work order"
        db.close()
        return self.figures.summary(self.seed, len(sb.invoices), sent, refusals)


def soak(seed: int, operations: int, tmp_path: Path, monkeypatch) -> str:
    folder = tmp_path / f"seed{seed}"
    folder.mkdir()
    with Sandbox(seed=seed, customers=40, items=30, minutely_limit=10_000) as sandbox:
        play = Soak(sandbox, folder, seed, monkeypatch)
        try:
            play.play(operations)
            play.settle()
            return play.check()
        finally:
            play.db.close()


def test_short_soak_keeps_every_promise(tmp_path, monkeypatch, capsys):
    summary = soak(seed=20261128, operations=int(os.environ.get("SOAK_SHORT_OPS", "60")), tmp_path=tmp_path,
                   monkeypatch=monkeypatch)
    with capsys.disabled():
        print("\n" + summary)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(1, int(os.environ.get("SOAK_SEEDS", "10")) + 1))
def test_long_soak_keeps_every_promise(seed, tmp_path, monkeypatch, capsys):
    summary = soak(seed=seed, operations=int(os.environ.get("SOAK_OPS", "300")), tmp_path=tmp_path,
                   monkeypatch=monkeypatch)
    with capsys.disabled():
        print("\n" + summary)
