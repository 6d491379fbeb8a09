"""Push: archived work orders become draft sales invoices in Exact, exactly once, with their PDFs (R7-R12).

Exact has no idempotency key, and a timeout, a dropped connection or a 500 does
not say whether it stored the record. So every call that creates something is a
step in the `outbox` (invoice; per PDF a document and its attachment; the link), marked
`in_flight` and committed BEFORE the call and `done` with Exact's ID AFTER it.
A run starts by looking every `in_flight` step up in Exact by its unique
reference (the invoice by Description among OrderedBy's invoices, a document by
Subject among Account's documents, an attachment by FileName among Document's
attachments): found, it is adopted; not found, it may be sent again. Nothing is ever posted twice blindly.
The last step links the invoice to a PDF's document (its Document field) with a PUT, which sets the
same value however often it arrives: a link left in flight is looked up at once, without waiting,
and sent again when the invoice does not have it.
A step that got no answer at all is looked up only once Exact can no longer be
working on it (see `exact_done_at`): until then its work order waits, or the
lookup could miss what Exact is still storing.

When Exact refuses a step (4xx, or a 5xx after which nothing was found), the work
order waits before the next try: the next run, then 15 minutes, 1 hour, 4 hours;
the fifth refusal marks it failed. Exact blocks an app after 10 errors per
endpoint per hour, so one bad work order must not retry every 5 minutes.

Whatever else goes wrong with one work order (damaged data in the store, a bug)
becomes an error row for that work order, and the others still go; only what
stops every work order alike ends the run (see `stops_the_run`).
"""

from __future__ import annotations

import base64
import functools
import json
import sqlite3
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from exactsync import i18n, log
from exactsync.config import ITEM_SETTINGS
from exactsync.errors import ExactsyncError
from exactsync.exact import odata
from exactsync.exact.errors import DailyLimitReached, ExactApiError, LoginUnavailable, ScopeViolation, UncertainOutcome
from exactsync.i18n import N_, Msg, message_of, msg, nmsg
from exactsync.store import get_state, outbox, raise_mutation_date, records, set_state, store_failure, transaction
from exactsync.store.log import latest_message
from exactsync.store.workorders import booked_minutes, has_forms, invoice_materials, update_work_order
from exactsync.sync import invoice as invoice_mod
from exactsync.sync import mapping
from exactsync.sync.lookups import INVOICE_ENDPOINT, find_attachment, find_document, find_invoice, find_link
from exactsync.timeutil import amsterdam_today, for_people, iso, parse, utcnow
from exactsync.workorders import addresses
from exactsync.workorders.lookup import WorkOrderError, get_work_order, status_label
from exactsync.workorders.pdf import forms_pdf, workorder_pdf

DEFAULT_MAX_SECONDS = 240  # a run fits a 5-minute cron
RETRY_DELAYS = (timedelta(0), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Exact blocks the app after 10 errors per endpoint per hour; leave room for other runs' and commands' errors.
ERRORS_PER_HOUR = 6
PDF_RENDERERS = {"workorder": workorder_pdf, "forms": forms_pdf}
INVOICE_STEP = "invoice"
# The invoice's Document set to the werkbon's document (the forms' when only they are sent), so that
# whoever checks the draft invoice opens the work order from it. After the invoice, as a PUT: setting
# the same Document again is harmless, so no fault can link twice, and the invoice still comes first
# (nothing lands on a customer's card before push knows the invoice went).
LINK_STEP = "invoice link"
# A POST carries at most 10.0 MB, an attachment counted by its bytes (EXDOC API_limits; read as 10**6-byte
# MB, the stricter reading); the rest of the attachment's request (document ID, file name) fits in 1,000 bytes.
MAX_PDF_BYTES = 10_000_000 - 1_000


def document_step(kind: str) -> str:
    return f"document:{kind}"


def attachment_step(kind: str) -> str:
    return f"attachment:{kind}"


# Each step's name as people read it in a log row: marked here for the catalog, translated by step_label.
STEP_LABELS = (N_("invoice"), N_("invoice link"), N_("document:workorder"), N_("attachment:workorder"),
               N_("document:forms"), N_("attachment:forms"))


def step_label(step: str) -> Msg:
    return msg(step)


OUTCOMES = (
    "sent",
    "refused",  # push's own checks: it cannot be invoiced as it is
    "retrying",  # refused by Exact or outcome unknown: a later run goes on
    "failed",
    "paused",  # not tried: too many recent errors on the endpoint
    "waiting",  # a step got no answer and Exact may still be storing it: looked up by a later run
    "errored",  # something unexpected went wrong with this work order: an error row, the others went on
)


def _listed(outcome: str) -> property:
    return property(lambda self: [n for n, o in self.outcomes.items() if o == outcome])


@dataclass
class PushResult:
    """What a run did, each work order counted once: under the last thing that happened to it."""

    outcomes: dict[str, str] = field(default_factory=dict)  # work order number -> one of OUTCOMES
    adopted: int = 0  # steps found in Exact after an interrupted run
    left: int = 0  # not started: the run's time was up

    sent, refused, retrying, failed, paused, waiting, errored = (_listed(o) for o in OUTCOMES)

    def note(self, number: str, outcome: str) -> None:
        self.outcomes.pop(number, None)  # listed where it ended up, in the order they ended
        self.outcomes[number] = outcome

    def summary(self) -> dict:
        return {**{o: getattr(self, o) for o in OUTCOMES}, "adopted": self.adopted, "left_for_next_run": self.left}


class ErrorBudget:
    """Exact blocks an app for an hour after 10 errors on one endpoint within an hour.
    Push keeps its own errors per endpoint (in the store, across runs) below ERRORS_PER_HOUR
    and stops posting to that endpoint until the oldest error is an hour old."""

    KEY = "push_error_times"

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], float]):
        self.db = db
        self.clock = clock
        self.warned: set[str] = set()

    def recent(self) -> dict[str, list[float]]:
        hour_ago = self.clock() - 3600
        stored = json.loads(get_state(self.db, self.KEY, "{}"))
        return {endpoint: [t for t in times if t > hour_ago] for endpoint, times in stored.items()}

    def count(self, endpoint: str) -> None:
        recent = self.recent()
        recent.setdefault(endpoint, []).append(self.clock())
        set_state(self.db, **{self.KEY: json.dumps({e: t for e, t in recent.items() if t})})

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


# --- reading a work order ---------------------------------------------------------

@dataclass
class Parts:
    """What `invoice.build` and `invoice.refusal` need of one work order, read from the store."""

    order: dict
    minutes: dict[str, int]
    materials: list[dict]
    has_forms: bool
    customer: dict | None
    address: dict | None
    items: dict[str, dict]  # the materials' items as the store holds them, by Exact ID


def read_parts(db: sqlite_utils.Database, order: dict) -> Parts:
    materials = invoice_materials(db, order["id"])
    return Parts(order, booked_minutes(db, order["id"]), materials, has_forms(db, order["id"]),
                 records.customer_by_exact_id(db, order["customer_exact_id"]),
                 addresses.by_key(db, order["work_address_key"]),
                 records.items_by_exact_id(db, [m["item_exact_id"] for m in materials if m["item_exact_id"]]))


def plan(parts: Parts, settings: dict, item_ids: dict[str, str | None],
         exact_item: Callable[[str], dict | None] | None = None
         ) -> tuple[invoice_mod.Invoice, invoice_mod.Refusal | None]:
    """The invoice and its refusal. `exact_item` reads an item from Exact (None: not there); without
    it (the dry run) a material that only Exact can judge counts as one that can be invoiced."""
    built = invoice_mod.build(parts.order, parts.minutes, parts.materials, settings, item_ids, parts.has_forms)
    today = amsterdam_today()
    refused = invoice_mod.refusal(
        parts.order, parts.customer, parts.address, parts.materials,
        lambda material: material_problem(material, parts.items.get(material["item_exact_id"]), exact_item, today),
        built)
    return built, refused


# Settings are never retroactive (manual 6.3): [settings] item_groups decides what can be picked from
# now on, not whether what was booked before can be invoiced. That needs the item to exist in Exact and
# to be a sales item there, not ended.

def material_problem(material: dict, stored: dict | None, exact_item: Callable[[str], dict | None] | None,
                     today: date) -> invoice_mod.ItemProblem | None:
    """Why this material's item cannot be invoiced (None: it can). The store decides when Exact's
    own data made the item inactive there (pull and cleanup keep such a row in step with Exact
    while a work order not yet in Exact books it); Exact is asked when only the item groups
    setting made it inactive, or the store no longer has it."""
    item_id, code = material["item_exact_id"], material["item_code"]
    if not item_id:
        return invoice_mod.ItemProblem(msg("is not an item from Exact"))
    if stored is not None:
        if stored["active"]:
            return None
        if not mapping.only_outside_item_groups(stored["inactive_reason"]):
            return item_problem(code, stored["inactive_reason"])
        if ended := mapping.ended_reason(stored["end_date"], today):
            return item_problem(code, ended)
    if exact_item is None:
        return None
    item = exact_item(item_id)
    if item is None:
        return invoice_mod.ItemProblem(msg("is no longer in Exact"))
    why = mapping.item_inactive_reason(item, today)
    return item_problem(code, why) if why else None


def item_problem(code: str, why: str) -> invoice_mod.ItemProblem:
    return invoice_mod.ItemProblem(mapping.reason_message(why) if why else msg("is inactive in Exact"),
                                   mapping.fix_for("item", why, repr(code)) or "")


def local_item_ids(db: sqlite_utils.Database, codes) -> dict[str, str]:
    return {code: item_id for code in codes if (item_id := records.active_item_exact_id(db, code))}


def setting_item_codes(settings: dict) -> dict[str, str]:
    return {settings[name]: name for name in ITEM_SETTINGS if settings[name]}


def linked_pdf(built: invoice_mod.Invoice) -> invoice_mod.Pdf | None:
    """The PDF whose document the invoice links: the first sent, the werkbon before the forms."""
    return built.pdfs[0] if built.pdfs else None


# --- dry run ---------------------------------------------------------------------------

def preview(db: sqlite_utils.Database, settings: dict) -> list[dict]:
    """What push would send now, read from the store only: one dict per queued work order,
    with the invoice and, when it would be refused, the refusal. A settings item that
    is not in the store shows its code with item_id None; push asks Exact for it."""
    item_ids = local_item_ids(db, setting_item_codes(settings))
    shown = []
    for order in outbox.push_queue(db):
        entry = {"number": order["number"], "invoice": None,
                 "exact_invoice_id": order["exact_invoice_id"],  # set: only PDFs and the link are left
                 "refusal": None, "error": None}
        try:
            built, refused = plan(read_parts(db, order), settings, item_ids)
        except Exception as exc:
            if stops_the_run(exc):
                raise
            message, action = broken(order["number"], exc)
            shown.append({**entry, "error": {"message": str(message), "action": str(action)}})
            continue
        if order["exact_invoice_id"]:
            refused = None  # as in push: once the invoice is in Exact, its PDFs go whatever changed since
        linked = linked_pdf(built)
        shown.append({**entry, "invoice": {**built.shown(), "linked_pdf": linked.file_name if linked else None},
                      "refusal": {"message": str(refused.message), "action": str(refused.action)} if refused
                      else None})
    return shown


# --- what one work order may not break ---------------------------------------------------------

def stops_the_run(exc: Exception) -> bool:
    """True for trouble that stops every work order alike, so the run ends: Exact's limits, the
    login, the network or a setting (an ExactsyncError that is not about one work order), or a
    store that cannot be written. Anything else is one work order's."""
    if isinstance(exc, sqlite3.Error):
        return store_failure(exc) is not None
    return isinstance(exc, ExactsyncError) and not isinstance(exc, WorkOrderError)


def broken(number: str, exc: Exception) -> tuple[Msg, Msg]:
    """The error row (message, action) for a work order that push could not handle."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    what = type(exc).__name__
    if where:
        place = f"{Path(where.filename).name}:{where.lineno}"
        what = msg("{error_type} at {place}", error_type=what, place=place)
    return (msg("work order {number} could not be handled by push ({where}: {error}); the other work orders are "
                "not held up", number=number, where=what, error=message_of(exc)),
            msg("report this message; {number} stays queued and each push tries it again", number=number))


def last_logged(db: sqlite_utils.Database, number: str, message: Msg) -> bool:
    """Is `message` the latest log row about work order `number`? Then it is not written again."""
    return latest_message(db, "workorder", number) == message.english()


def exact_may_work_for(client) -> float:
    """Seconds after a call went out during which Exact may still store what it got: the longest
    the client waits for an answer ([exact] timeout_seconds), as long again for Exact to finish what
    the client stopped waiting for, and 1 because the outbox's times are cut to the second."""
    return 2 * client.longest_call + 1


# --- the run ---------------------------------------------------------------------------

class Push:
    def __init__(self, client, db: sqlite_utils.Database, settings: dict, *, company_name: str = "",
                 clock: Callable[[], float] = time.time):
        self.client = client
        self.db = db
        self.settings = settings
        self.company_name = company_name
        self.clock = clock
        self.result = PushResult()
        self.errors = ErrorBudget(db, clock)
        self._item_ids: dict[str, str] | None = None
        self._exact_items: dict[str, dict | None] = {}
        self._pdfs: dict[tuple[str, str], bytes] = {}  # (number, kind): rendered once per run

    def run(self, max_seconds: float = DEFAULT_MAX_SECONDS) -> PushResult:
        deadline = self.clock() + max_seconds
        self.reconcile()
        orders = outbox.push_queue(self.db)
        for position, order in enumerate(orders):
            if self.clock() >= deadline:
                self.result.left = len(orders) - position
                seconds = f"{max_seconds:g}"
                log.info(self.db, "workorder",
                         nmsg("push used its {seconds} s: {count} work order left for the next run",
                              "push used its {seconds} s: {count} work orders left for the next run",
                              self.result.left, seconds=seconds),
                         action=msg("none: the next push continues"))
                break
            self.isolated(order["number"], self.send, order)
        return self.result

    def isolated(self, number: str, work: Callable[[dict], None], row: dict) -> None:
        """Do `work(row)` for one work order; whatever goes wrong there that does not stop the run
        (see stops_the_run) becomes an error row for this work order, and the run goes on."""
        try:
            work(row)
        except Exception as exc:
            if stops_the_run(exc):
                raise
            message, action = broken(number, exc)
            if not last_logged(self.db, number, message):
                log.error(self.db, "workorder", message, record=number, action=action)
            self.result.note(number, "errored")

    # -- reconciliation ---------------------------------------------------------------

    def reconcile(self) -> None:
        """Settle every step a previous run left in flight, by looking it up in Exact."""
        for row in outbox.in_flight_steps(self.db):
            self.isolated(row["number"], self.settle, row)

    def settle(self, row: dict) -> None:
        # The link is set to the same value however often it arrives: nothing to wait for.
        if row["last_status"] is None and row["step"] != LINK_STEP and self.clock() < self.exact_done_at(row):
            self.wait_for_exact(row)
            return
        found = self.find(row)
        if found:
            self.done(row["work_order_id"], row["step"], found)
            self.result.adopted += 1
            log.info(self.db, "workorder", msg("work order {number}: {step} found in Exact ({found}) after an "
                                               "interrupted send; adopted, not sent again", number=row["number"],
                                               step=step_label(row["step"]), found=found),
                     record=row["number"], action=msg("none"))
        elif row["last_status"] is not None:
            self.refused_by_exact(row["work_order_id"], row["number"], row["step"], row["last_error"])
        else:
            # No answer and nothing stored: the network failed, not the work order; that try does
            # not count towards failing it.
            self.not_tried(row["work_order_id"], row["step"])

    def exact_done_at(self, row: dict) -> float:
        """When Exact can no longer be storing a step that got no answer: its last try's start, the
        outbox's updated_at, plus exact_may_work_for."""
        started = parse(row["updated_at"])
        return started.timestamp() + exact_may_work_for(self.client)

    def wait_for_exact(self, row: dict) -> None:
        """Leave a step that got no answer in flight until Exact is done with it; say so once."""
        number = row["number"]
        message = msg("work order {number}: its {step} went to Exact at {sent} and no answer came (the run was "
                      "stopped or the network failed); Exact may still be storing it, so push looks it up from "
                      "{time} and sends nothing for {number} before then", number=number,
                      step=step_label(row["step"]), sent=for_people(row["updated_at"]),
                      time=for_people(iso(self.exact_done_at(row))))
        if not last_logged(self.db, number, message):
            log.info(self.db, "workorder", message, record=number, action=msg("none: a later push goes on with it"))
        self.result.note(number, "waiting")

    def find(self, row: dict) -> str | None:
        step, number, customer = row["step"], row["number"], row["customer_exact_id"]
        if step == INVOICE_STEP:
            return find_invoice(self.client, invoice_mod.invoice_description(number), customer)
        if step == LINK_STEP:
            documents = {s["exact_id"] for name, s in self.steps_of(row["work_order_id"]).items()
                         if name.startswith("document:") and s["state"] == "done"}
            return find_link(self.client, self.exact_id_of(row["work_order_id"], INVOICE_STEP), documents)
        kind = step.split(":", 1)[1]
        pdf = invoice_mod.pdf(kind, number)
        if step == document_step(kind):
            return find_document(self.client, pdf.subject, customer)
        document = self.exact_id_of(row["work_order_id"], document_step(kind))
        return find_attachment(self.client, document, pdf.file_name) if document else None

    # -- one work order -----------------------------------------------------------------

    def send(self, order: dict) -> None:
        number = order["number"]
        steps = self.steps_of(order["id"])
        now = iso(self.clock())
        if any(s["state"] != "done" and s["next_attempt_at"] and s["next_attempt_at"] > now for s in steps.values()):
            return
        if any(s["state"] == "in_flight" for s in steps.values()):
            return  # Exact may still be storing it, or its lookup failed: a later run settles it
        parts = read_parts(self.db, order)
        invoice_done = steps.get(INVOICE_STEP, {}).get("state") == "done"
        # The refusal needs no item IDs: a work order that cannot be invoiced costs no call at all.
        built, refused = plan(parts, self.settings, {}, self.exact_item)
        refused = refused or self.pdf_too_large(built)
        if not invoice_done:
            if refused:
                self.refuse(order, refused, steps.get(INVOICE_STEP))
                return
            built, _ = plan(parts, self.settings, self.item_ids())
            for warning in built.warnings:
                log.warning(self.db, "workorder", msg("work order {number}: {warning}", number=number, warning=warning),
                            record=number, action=msg("none, or shorten the customer reference"))
            if not self.step(order, INVOICE_STEP, INVOICE_ENDPOINT, built.wire, key="InvoiceID"):
                return
        documents = {}
        for pdf in built.pdfs:
            document = self.step(order, document_step(pdf.kind), "documents/Documents",
                                 functools.partial(self.document_body, order, pdf))
            if not document or not self.step(order, attachment_step(pdf.kind), "documents/DocumentAttachments",
                                             functools.partial(self.attachment_body, document, pdf, number)):
                return
            documents[pdf.kind] = document
        linked = linked_pdf(built)
        if linked and not self.link(order, documents[linked.kind]):
            return
        self.sent(order, built)

    def link(self, order: dict, document: str) -> str | None:
        """The LINK_STEP: PUT the invoice's Document. Its Exact ID is the document linked."""
        invoice = self.exact_id_of(order["id"], INVOICE_STEP)

        def put(payload: dict) -> str:
            self.client.put(f"{INVOICE_ENDPOINT}({odata.guid(invoice)})", payload)
            return document

        return self.step(order, LINK_STEP, INVOICE_ENDPOINT, lambda: {"Document": document}, send=put)

    def step(self, order: dict, step: str, endpoint: str, body: Callable[[], dict], key: str = "ID",
             send: Callable[[dict], str] | None = None) -> str | None:
        """Run one outbox step: POST `body()` to `endpoint` (or `send(body())` it) unless done
        before. Its Exact ID, or None when it did not complete in this run."""
        existing = self.steps_of(order["id"]).get(step)
        if existing and existing["state"] == "done":
            return existing["exact_id"]
        if not self.errors.allow(endpoint):
            self.result.note(order["number"], "paused")
            return None
        payload = body()
        with transaction(self.db):
            outbox.begin_step(self.db, order["id"], step)
        try:
            exact_id = send(payload) if send else self.client.post(
                endpoint, payload, sending=lambda: self.stamp(order["id"], step))[key]
        except (DailyLimitReached, LoginUnavailable):
            # Nothing reached Exact (the day's calls spent, no token, or a 401): no try of this work order.
            self.not_tried(order["id"], step)
            raise
        except UncertainOutcome as exc:
            if exc.status:
                self.errors.count(endpoint)
            with transaction(self.db):
                outbox.mark_uncertain(self.db, order["id"], step, exc.message or str(exc), exc.status)
                log.warning(self.db, "workorder", msg("work order {number}: {step}: {error}", number=order["number"],
                                                      step=step_label(step), error=message_of(exc)),
                            record=order["number"],
                            action=msg("none: the next push looks it up in Exact before sending anything again"))
            self.result.note(order["number"], "retrying")
            return None
        except ScopeViolation:
            # Refused before anything was stored, and not this work order's fault: the run stops, the
            # step waits untried. Counted, so that runs every 5 minutes stay below Exact's error block.
            self.errors.count(endpoint)
            self.not_tried(order["id"], step)
            raise
        except ExactApiError as exc:
            if exc.status == 429:
                raise  # the rate limit, not this work order: the step is looked up next run
            self.errors.count(endpoint)
            self.refused_by_exact(order["id"], order["number"], step, exc.message or str(exc))
            return None
        self.done(order["id"], step, exact_id)
        return exact_id

    def stamp(self, work_order_id: int, step: str) -> None:
        """Called just before each try of a step's POST goes out (a pace or a 429 wait may come
        between the in-flight mark and the call): the outbox holds when Exact may have started on it."""
        with transaction(self.db):
            outbox.stamp_step(self.db, work_order_id, step, iso(self.clock()))

    def done(self, work_order_id: int, step: str, exact_id: str) -> None:
        with transaction(self.db):
            outbox.mark_done(self.db, work_order_id, step, exact_id)
            if step == INVOICE_STEP:
                update_work_order(self.db, work_order_id, {"exact_invoice_id": exact_id})

    def not_tried(self, work_order_id: int, step: str) -> None:
        with transaction(self.db):
            outbox.mark_not_tried(self.db, work_order_id, step)

    def refused_by_exact(self, work_order_id: int, number: str, step: str, message: str) -> None:
        """Exact refused the step: wait longer before each next try; fail after MAX_ATTEMPTS (a
        refused link does not fail the work order: its invoice and PDFs are in Exact)."""
        attempts = outbox.attempts_of(self.db, work_order_id, step)
        with transaction(self.db):
            if attempts >= MAX_ATTEMPTS:
                outbox.mark_failed(self.db, work_order_id, step, message)
                if step == LINK_STEP:
                    self.sent_unlinked(work_order_id, number, attempts, message)
                    return
                update_work_order(self.db, work_order_id, {"status": "failed"})
                log.error(self.db, "workorder", msg("work order {number} failed: Exact refused its {step} {count} "
                                                    "times: {error}", number=number, step=step_label(step),
                                                    count=attempts, error=message),
                          record=number, action=msg("correct the cause in Exact or in the work order, then run "
                                                    "exactsync push --retry {number}", number=number))
                self.result.note(number, "failed")
                return
            retry_at = iso(self.clock() + RETRY_DELAYS[attempts - 1].total_seconds())
            outbox.mark_refused(self.db, work_order_id, step, message, retry_at)
            log.error(self.db, "workorder", msg("work order {number}: Exact refused its {step}: {error}", number=number,
                                                step=step_label(step), error=message),
                      record=number, action=msg("check what Exact says; push tries again from {time} (try {attempt} "
                                                "of {attempts})", time=for_people(retry_at), attempt=attempts + 1,
                                                attempts=MAX_ATTEMPTS))
        self.result.note(number, "retrying")

    def sent_unlinked(self, work_order_id: int, number: str, attempts: int, message: str) -> None:
        """The invoice and its PDFs are in Exact; only the link is not (e.g. the office deleted the
        document or booked the invoice meanwhile). No retry could change that: the work order is sent."""
        invoice_id = self.exact_id_of(work_order_id, INVOICE_STEP)
        update_work_order(self.db, work_order_id, {"status": "sent", "exact_invoice_id": invoice_id})
        log.warning(self.db, "workorder", msg("work order {number} sent to Exact as draft invoice {invoice} with its "
                                              "PDFs, but Exact refused {count} times to link its PDF to the invoice: "
                                              "{error}", number=number, invoice=invoice_id, count=attempts,
                                              error=message),
                    record=number, action=msg("none: its PDFs are on the customer's card in Exact; link the document "
                                              "on the invoice there if it is wanted"))
        raise_mutation_date(self.db, utcnow())
        self.result.note(number, "sent")

    def refuse(self, order: dict, refused: invoice_mod.Refusal, invoice_step: dict | None) -> None:
        """Log a refusal once per reason (not every 5 minutes); the work order stays queued."""
        self.result.note(order["number"], "refused")
        said = refused.message.english()  # the outbox keeps the English text: the same whoever reads
        if invoice_step and invoice_step["last_error"] == said:
            return
        with transaction(self.db):
            outbox.set_last_error(self.db, order["id"], INVOICE_STEP, said)
            log.error(self.db, "workorder", refused.message, record=order["number"], action=refused.action)

    def sent(self, order: dict, built: invoice_mod.Invoice) -> None:
        number = order["number"]
        invoice_id = self.exact_id_of(order["id"], INVOICE_STEP)
        message = msg("work order {number} sent to Exact as draft invoice {invoice}", number=number, invoice=invoice_id)
        if built.pdfs:
            message = msg("{sent} with {pdfs}", sent=message, pdfs=", ".join(p.file_name for p in built.pdfs))
        if linked := linked_pdf(built):
            message = msg("{sent} ({pdf} linked to the invoice)", sent=message, pdf=linked.file_name)
        with transaction(self.db):
            update_work_order(self.db, order["id"], {"status": "sent", "exact_invoice_id": invoice_id})
            log.info(self.db, "workorder", message, record=number,
                     action=msg("none: check and confirm the draft invoice in Exact"))
            raise_mutation_date(self.db, utcnow())
        self.result.note(number, "sent")

    # -- what the steps need ---------------------------------------------------------------

    def steps_of(self, work_order_id: int) -> dict[str, dict]:
        return {r["step"]: r for r in outbox.steps_of(self.db, work_order_id)}

    def exact_id_of(self, work_order_id: int, step: str) -> str | None:
        return outbox.done_exact_id(self.db, work_order_id, step)

    def item_ids(self) -> dict[str, str]:
        """The settings' item codes -> Exact IDs: from the store, else asked of Exact once per run
        (an item outside the pulled item groups can still be the work-time item)."""
        if self._item_ids is None:
            codes = setting_item_codes(self.settings)
            found = local_item_ids(self.db, codes)
            for code, setting in codes.items():
                if code not in found:
                    found[code] = exact_item_id(self.client, code, setting)
            self._item_ids = found
        return self._item_ids

    def exact_item(self, item_id: str) -> dict | None:
        """An item as Exact has it now (None: not there), read once per run: a material's item that
        the store has inactive only because of the item groups setting, or no longer has. By
        $filter, not by key: a key Exact does not know is a 404, and 404s count towards the 10
        errors an hour after which Exact blocks the app (ZAP); this may be asked every run."""
        if item_id not in self._exact_items:
            rows = self.client.get("logistics/Items", {"$filter": f"ID eq {odata.guid(item_id)}",
                                                       "$select": "ID,Code,IsSalesItem,StartDate,EndDate"})
            self._exact_items[item_id] = rows[0] if rows else None
        return self._exact_items[item_id]

    @property
    def document_type(self) -> int:
        """[settings] document_type, as check-settings verified it (exists, documents can be created)."""
        return self.settings["document_type"]

    def pdf_too_large(self, built: invoice_mod.Invoice) -> invoice_mod.Refusal | None:
        """A PDF bigger than Exact takes in one POST, checked before any call for the work order."""
        self._pdfs = {}  # one work order's PDFs at a time
        for pdf in built.pdfs:
            size = len(self.pdf_bytes(pdf.kind, built.number))
            if size > MAX_PDF_BYTES:
                return invoice_mod.Refusal(
                    msg("work order {number}: its PDF {pdf} is {size} bytes, more than the {most} Exact takes in one "
                        "call", number=built.number, pdf=pdf.file_name, size=i18n.number(size),
                        most=i18n.number(MAX_PDF_BYTES)),
                    msg("make the work order smaller (fewer forms or materials), or leave this PDF out with "
                        "[settings] pdfs and run exactsync check-settings; the next push sends it"))
        return None

    def pdf_bytes(self, kind: str, number: str) -> bytes:
        # Rendering costs ~0.3 s: the size check keeps the bytes for the attachment step.
        if (number, kind) not in self._pdfs:
            self._pdfs[(number, kind)] = PDF_RENDERERS[kind](self.db, number, self.company_name)
        return self._pdfs[(number, kind)]

    def document_body(self, order: dict, pdf: invoice_mod.Pdf) -> dict:
        return {"Account": order["customer_exact_id"], "Subject": pdf.subject, "Type": self.document_type}

    def attachment_body(self, document: str, pdf: invoice_mod.Pdf, number: str) -> dict:
        return {"Document": document, "FileName": pdf.file_name, "Attachment": self.pdf_base64(pdf.kind, number)}

    def pdf_base64(self, kind: str, number: str) -> str:
        return base64.b64encode(self.pdf_bytes(kind, number)).decode("ascii")


def exact_item_id(client, code: str, setting: str) -> str:
    rows = client.get("logistics/Items", {"$filter": f"Code eq {odata.quote(code)}",
                                          "$select": "ID,Code,IsSalesItem,StartDate,EndDate"})
    item = next((r for r in rows if str(r.get("Code", "")).strip() == code), None)
    why = "does not exist in Exact" if item is None else mapping.item_inactive_reason(item, amsterdam_today())
    if why:
        raise ExactsyncError(msg("item {code} of [settings] {setting} {why}: correct the setting and run "
                                 "exactsync check-settings; nothing was sent", code=code, setting=setting,
                                 why=msg("does not exist in Exact") if item is None else mapping.reason_message(why)))
    return item["ID"]


# --- failed work orders ----------------------------------------------------------------------

def retry(db: sqlite_utils.Database, number: str) -> str:
    """Queue a failed work order again, with a fresh count of tries; return its number."""
    order = get_work_order(db, number)
    if order["status"] != "failed":
        raise ExactsyncError(msg("work order {number} is {status}, not failed: only a failed work order can be "
                                 "retried (an archived one is sent by the next push anyway)",
                                 number=order["number"], status=status_label(order["status"])))
    with transaction(db):
        update_work_order(db, order["id"], {"status": "archived"})
        outbox.reset_failed_steps(db, order["id"])
        log.info(db, "workorder", msg("work order {number} queued again for Exact", number=order["number"]),
                 record=order["number"], action=msg("none: the next push sends it"))
    return order["number"]
