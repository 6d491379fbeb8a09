"""Push's outbox policy: when a step may go, when one left in flight may be looked up, and what
a refusal costs (attempts, back-off, failing the work order).

Exact has no idempotency key, and a timeout, a dropped connection or a 500 does not say whether
it stored the record. So every call that creates something is a step, marked in flight and
committed BEFORE the call and done with Exact's ID AFTER it. A step that got no answer is looked
up only once Exact can no longer be working on it: from the moment its try went out, twice the
client's longest call (as configured THEN) plus a second. That moment is recorded on the wall clock
and, because a clock step moves the wall clock but not the time since boot, in seconds since boot
too: while the machine has not restarted, both must have passed. A lowered `[exact] timeout_seconds`
or a clock stepped forward cannot shorten the wait.

When Exact refuses a step (4xx, or a 5xx after which nothing was found), the work order waits
before the next try: the next run, then 15 minutes, 1 hour, 4 hours; the fifth refusal marks it
failed. Exact blocks an app after 10 errors per endpoint per hour, so one bad work order must not
retry every 5 minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import sqlite_utils

from exactsync import log
from exactsync.config import Settings
from exactsync.i18n import N_, Msg, message_of, msg
from exactsync.store import outbox, state, transaction
from exactsync.store.workorders import update_work_order
from exactsync.sync.highwater import HighWater
from exactsync.timeutil import for_people, iso, parse

RETRY_DELAYS = (timedelta(0), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Exact blocks the app after 10 errors per endpoint per hour; leave room for other runs' and commands' errors.
ERRORS_PER_HOUR = 6
INVOICE_STEP = "invoice"
DOCUMENT_STEP = "document"  # the work order's one document on the customer's card, holding its PDFs
# Before migration 911 the forms had a document of their own; a work order half-sent then finishes with it.
FORMS_DOCUMENT_STEP = "document:forms"
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


def attachment_step(kind: str) -> str:
    return f"attachment:{kind}"


# Each step's name as people read it in a log row: marked here for the catalog, translated by step_label.
STEP_LABELS = (N_("invoice"), N_("document"), N_("attachment:workorder"), N_("attachment:forms"),
               N_("document:forms"))


def step_label(step: str) -> Msg:
    return msg(step)


def boot_clock() -> tuple[str | None, float]:
    """(this boot's id, seconds since boot): time that a change of the wall clock does not move.
    Without a boot id (not Linux) the guard is not kept, and the wall clock alone decides."""
    try:
        boot_id = BOOT_ID_FILE.read_text(encoding="ascii").strip()
    except OSError:
        return None, time.monotonic()
    return boot_id, time.clock_gettime(time.CLOCK_BOOTTIME)


def exact_may_work_for(client) -> float:
    """Seconds after a call went out during which Exact may still store what it got: the longest
    the client waits for an answer ([exact] timeout_seconds), as long again for Exact to finish what
    the client stopped waiting for, and 1 because the outbox's times are cut to the second (the
    moment from which the step may be looked up is stored cut, so at most 1 s early)."""
    return 2 * client.longest_call + 1


@dataclass
class Steps:
    """One work order's outbox rows, read once per send."""

    rows: dict[str, dict]

    @classmethod
    def of(cls, db: sqlite_utils.Database, work_order_id: int) -> Steps:
        return cls({row["step"]: row for row in outbox.rows_of(db, work_order_id)})

    def mark_done(self, step: str, exact_id: str, pdfs: str) -> None:
        """What this send just committed, so the steps after it see it."""
        self.rows[step] = {"state": "done", "exact_id": exact_id, "pdfs": pdfs, "next_attempt_at": None}

    def exact_id(self, step: str) -> str | None:
        row = self.rows.get(step)
        return row["exact_id"] if row and row["state"] == "done" else None

    @property
    def pdfs(self) -> str | None:
        """The `[settings] pdfs` in force when the work order's first step went out (None: none went)."""
        return next((row["pdfs"] for row in self.rows.values() if row["pdfs"]), None)

    def in_force(self, verified: Settings) -> Settings:
        """The settings this work order goes under: the verified ones, with the `pdfs` of its first step."""
        return replace(verified, pdfs=self.pdfs or verified.pdfs)

    def held(self, now: str) -> bool:
        """A step waits for its back-off, or is in flight (Exact may still be storing it, or its lookup
        failed: a later run settles it)."""
        return any(row["state"] == "in_flight" or row["state"] != "done" and row["next_attempt_at"]
                   and row["next_attempt_at"] > now for row in self.rows.values())

    def attachment_document(self, kind: str) -> str | None:
        """The document an attachment of `kind` goes on: the work order's, or the forms' own one made
        before migration 911."""
        return (kind == "forms" and self.exact_id(FORMS_DOCUMENT_STEP)) or self.exact_id(DOCUMENT_STEP)


class ErrorBudget:
    """Exact blocks an app for an hour after 10 errors on one endpoint within an hour.
    Push keeps its own errors per endpoint (in the store, across runs) below ERRORS_PER_HOUR
    and stops posting to that endpoint until the oldest error is an hour old."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], float]):
        self.db = db
        self.clock = clock
        self.warned: set[str] = set()

    def recent(self) -> dict[str, list[float]]:
        hour_ago = self.clock() - 3600
        stored = state.PUSH_ERROR_TIMES.get(self.db) or {}
        return {endpoint: [t for t in times if t > hour_ago] for endpoint, times in stored.items()}

    def count(self, endpoint: str) -> None:
        recent = self.recent()
        recent.setdefault(endpoint, []).append(self.clock())
        state.PUSH_ERROR_TIMES.set(self.db, {e: t for e, t in recent.items() if t})

    def allow(self, endpoint: str) -> bool:
        times = self.recent().get(endpoint, [])
        if len(times) < ERRORS_PER_HOUR:
            return True
        if endpoint not in self.warned:
            self.warned.add(endpoint)
            resume = iso(min(times) + 3600)
            log.warning(self.db, "workorder", msg("push paused posting to {endpoint}: Exact refused {count} calls "
                                                  "there in the last hour, and it blocks the app after 10",
                                                  endpoint=endpoint, count=len(times)),
                        action=msg("see the errors above; push resumes from {time}", time=for_people(resume)))
        return False


class Outbox:
    """Each write of a step's life, in its own transaction, with its log rows."""

    def __init__(self, db: sqlite_utils.Database, client, clock: Callable[[], float],
                 boot: Callable[[], tuple[str | None, float]] = boot_clock):
        self.db = db
        self.client = client
        self.clock = clock
        self.boot = boot
        self.errors = ErrorBudget(db, clock)
        self.high_water = HighWater(db)

    def steps(self, work_order_id: int) -> Steps:
        return Steps.of(self.db, work_order_id)

    def begin(self, order: dict, step: str, pdfs: str | None) -> None:
        """In flight, and counted (see `highwater`), before its call."""
        count = self.high_water.before_call(order["number"])
        with transaction(self.db):
            outbox.begin_step(self.db, order["id"], step, pdfs)
            self.high_water.counted(count)

    def adopt(self, work_order_id: int, step: str, pdfs: str, exact_id: str, order_number: int | None) -> None:
        """What Exact already has for a step the store does not know of (restored from an older backup)."""
        with transaction(self.db):
            outbox.begin_step(self.db, work_order_id, step, pdfs)
            self.done(work_order_id, step, exact_id, order_number)

    def stamp(self, work_order_id: int, step: str) -> None:
        """Called just before each try of a step's POST goes out (a pace or a 429 wait may come between
        the in-flight mark and the call): from then on Exact may be storing it, for as long as the
        timeout in force now allows."""
        window = exact_may_work_for(self.client)
        now = self.clock()
        boot_id, since_boot = self.boot()
        with transaction(self.db):  # the time since boot is kept whole: it needs no second for the cut
            outbox.stamp_step(self.db, work_order_id, step, iso(now), iso(now + window), boot_id,
                              since_boot + window - 1)

    def look_up_from(self, row: dict) -> float | None:
        """When a step that got no answer may be looked up (wall clock), None when it may now."""
        wall = parse(row["look_up_after"]).timestamp() if row["look_up_after"] else \
            parse(row["updated_at"]).timestamp() + exact_may_work_for(self.client)  # stamped before migration 911
        boot_id, since_boot = self.boot()
        boot_wait = row["look_up_after_boot"] - since_boot if boot_id and row["boot_id"] == boot_id else 0
        now = self.clock()
        if now >= wall and boot_wait <= 0:
            return None
        return max(wall, now + boot_wait)

    def done(self, work_order_id: int, step: str, exact_id: str, order_number: int | None = None) -> None:
        """The step is done; the invoice's with Exact's ID and OrderNumber on the work order, together."""
        with transaction(self.db):
            outbox.mark_done(self.db, work_order_id, step, exact_id)
            if step == INVOICE_STEP:
                update_work_order(self.db, work_order_id, {"exact_invoice_id": exact_id,
                                                           "exact_order_number": order_number})

    def not_tried(self, work_order_id: int, step: str) -> None:
        with transaction(self.db):
            outbox.mark_not_tried(self.db, work_order_id, step)

    def uncertain(self, order: dict, step: str, endpoint: str, exc) -> None:
        if exc.status:
            self.errors.count(endpoint)
        with transaction(self.db):
            outbox.mark_uncertain(self.db, order["id"], step, exc.message or str(exc), exc.status)
            log.warning(self.db, "workorder", msg("work order {number}: {step}: {error}", number=order["number"],
                                                  step=step_label(step), error=message_of(exc)),
                        record=order["number"],
                        action=msg("none: the next push looks it up in Exact before sending anything again"))

    def refused(self, work_order_id: int, number: str, step: str, message: str) -> str:
        """Exact refused the step: wait longer before each next try; fail after MAX_ATTEMPTS. The outcome."""
        attempts = outbox.attempts_of(self.db, work_order_id, step)
        with transaction(self.db):
            if attempts >= MAX_ATTEMPTS:
                outbox.mark_failed(self.db, work_order_id, step, message)
                update_work_order(self.db, work_order_id, {"status": "failed"})
                log.error(self.db, "workorder", msg("work order {number} failed: Exact refused its {step} {count} "
                                                    "times: {error}", number=number, step=step_label(step),
                                                    count=attempts, error=message),
                          record=number, action=msg("correct the cause in Exact or in the work order, then run "
                                                    "exactsync push --retry {number}", number=number))
                outcome = "failed"
            else:
                retry_at = iso(self.clock() + RETRY_DELAYS[attempts - 1].total_seconds())
                outbox.mark_refused(self.db, work_order_id, step, message, retry_at)
                log.error(self.db, "workorder", msg("work order {number}: Exact refused its {step}: {error}",
                                                    number=number, step=step_label(step), error=message),
                          record=number, action=msg("check what Exact says; push tries again from {time} (try "
                                                    "{attempt} of {attempts})", time=for_people(retry_at),
                                                    attempt=attempts + 1, attempts=MAX_ATTEMPTS))
                outcome = "retrying"
            if step == INVOICE_STEP:
                self.document_waits(work_order_id, number)
        return outcome

    def document_waits(self, work_order_id: int, number: str) -> None:
        """The work order's document is on the customer's card while its invoice is not in Exact: say
        so (inside the caller's transaction); the next try reuses it."""
        document = outbox.done_exact_id(self.db, work_order_id, DOCUMENT_STEP)
        if document:
            log.warning(self.db, "workorder", msg("work order {number}: its document {document} is on the "
                                                  "customer's card in Exact and waits for its invoice",
                                                  number=number, document=document),
                        record=number, action=msg("none: the invoice that push sends for {number} carries this "
                                                  "document; it is not made again", number=number))
