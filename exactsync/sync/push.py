"""Push: archived work orders become draft sales invoices in Exact, exactly once, with their PDFs (R7-R12).

A work order goes in up to four calls, each a step in the outbox (see `steps` for the policy):
its one `document` on the customer's card, an `attachment:workorder` and `attachment:forms` on that
document for the PDFs `[settings] pdfs` asks for (as it was when the work order's first step went
out), then the `invoice`, whose POST carries the document (`Document`, writable on POST: Exact's
own guide creates the document, attaches, then posts the entry). Without PDFs: the invoice alone.
A run starts by looking every step left in flight up in Exact by its unique reference (the invoice
by Description among OrderedBy's invoices, the document by Subject among Account's documents, an
attachment by FileName among Document's attachments): found, it is adopted; not found, it may be
sent again. Nothing is ever posted twice blindly, and a step done is never sent again: a document
made for an invoice that Exact then refused is the one the next try carries.

Whatever else goes wrong with one work order (damaged data in the store, a bug)
becomes an error row for that work order, and the others still go; only what
stops every work order alike ends the run (see `stops_the_run`).
"""

from __future__ import annotations

import base64
import functools
import sqlite3
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from exactsync import i18n, log
from exactsync.config import Settings
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import (
    ExactApiError,
    NothingSent,
    RunTimeUp,
    ScopeViolation,
    UncertainOutcome,
)
from exactsync.i18n import Msg, message_of, msg, nmsg
from exactsync.store import outbox, raise_mutation_date, store_failure, transaction
from exactsync.store.log import latest_message
from exactsync.store.workorders import update_work_order
from exactsync.sync import invoice
from exactsync.sync.lookups import INVOICE_ENDPOINT, ExactItems, find_attachment, find_document, find_invoice
from exactsync.sync.steps import (
    DOCUMENT_STEP,
    FORMS_DOCUMENT_STEP,
    INVOICE_STEP,
    Outbox,
    Steps,
    attachment_step,
    boot_clock,
    step_label,
)
from exactsync.timeutil import for_people, iso, utcnow
from exactsync.workorders.lookup import WorkOrderError, get_work_order
from exactsync.workorders.pdf import forms_pdf, workorder_pdf

DEFAULT_MAX_SECONDS = 240  # a run fits a 5-minute cron
PDF_RENDERERS = {"workorder": workorder_pdf, "forms": forms_pdf}
DOCUMENTS, ATTACHMENTS = "documents/Documents", "documents/DocumentAttachments"
# A POST carries at most 10.0 MB, an attachment counted by its bytes (EXDOC API_limits; read as 10**6-byte
# MB, the stricter reading); the rest of the attachment's request (document ID, file name) fits in 1,000 bytes.
MAX_PDF_BYTES = 10_000_000 - 1_000

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
    left: int = 0  # not started, or stopped before its next call: the run's time was up

    sent, refused, retrying, failed, paused, waiting, errored = (_listed(o) for o in OUTCOMES)

    def note(self, number: str, outcome: str) -> None:
        self.outcomes.pop(number, None)  # listed where it ended up, in the order they ended
        self.outcomes[number] = outcome

    def summary(self) -> dict:
        return {**{o: getattr(self, o) for o in OUTCOMES}, "adopted": self.adopted, "left_for_next_run": self.left}


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


# --- the run ---------------------------------------------------------------------------

class Push:
    def __init__(self, client, db: sqlite_utils.Database, settings: Settings, *, company_name: str = "",
                 clock: Callable[[], float] = time.time,
                 boot: Callable[[], tuple[str | None, float]] = boot_clock):
        self.client = client
        self.db = db
        self.settings = settings
        self.company_name = company_name
        self.clock = clock
        self.result = PushResult()
        self.outbox = Outbox(db, client, clock, boot)
        self.items = ExactItems(client, db, settings)
        self._pdfs: dict[tuple[str, str], bytes] = {}  # (number, kind): rendered once per run
        self.looked_up: set[int] = set()  # work orders looked up in Exact first (see look_up_first)

    def run(self, max_seconds: float = DEFAULT_MAX_SECONDS) -> PushResult:
        """Send the queue. No new call starts after `max_seconds` (nor a pace wait that would end after
        it); the call in progress then finishes within its own timeout, and what is left waits."""
        deadline = self.clock() + max_seconds
        self.client.deadline = self.client.clock() + max_seconds
        queue: list[dict] | None = None
        try:
            self.reconcile()
            queue = outbox.push_queue(self.db)
            everything = {order["id"] for order in queue}
            while queue:
                if self.clock() >= deadline:
                    raise RunTimeUp()
                self.isolated(queue[0]["number"], self.send, queue[0])
                queue.pop(0)
            if everything <= self.looked_up:
                self.outbox.high_water.queue_looked_up()
        except RunTimeUp:
            self.time_up(max_seconds, len(outbox.push_queue(self.db) if queue is None else queue))
        finally:
            self.client.deadline = None
        return self.result

    def time_up(self, max_seconds: float, left: int) -> None:
        self.result.left = left
        seconds = format(max_seconds, "g")
        log.info(self.db, "workorder", nmsg("push used its {seconds} s: {count} work order left for the next run",
                                            "push used its {seconds} s: {count} work orders left for the next run",
                                            left, seconds=seconds),
                 action=msg("none: the next push continues"))

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
        if row["last_status"] is None and (later := self.outbox.look_up_from(row)) is not None:
            self.wait_for_exact(row, later)
            return
        found = self.find(row)
        if found:
            self.outbox.done(row["work_order_id"], row["step"], *found)
            self.adopted(row["number"], msg("work order {number}: {step} found in Exact ({found}) after an "
                                            "interrupted send; adopted, not sent again", number=row["number"],
                                            step=step_label(row["step"]), found=found[0]))
        elif row["last_status"] is not None:
            self.result.note(row["number"], self.outbox.refused(row["work_order_id"], row["number"], row["step"],
                                                                row["last_error"]))
        else:
            # No answer and nothing stored: the network failed, not the work order; that try does
            # not count towards failing it.
            self.outbox.not_tried(row["work_order_id"], row["step"])

    def adopted(self, number: str, message: Msg) -> None:
        self.result.adopted += 1
        log.info(self.db, "workorder", message, record=number, action=msg("none"))

    def look_up_first(self, order: dict, steps: Steps) -> None:
        """The store is older than what push sent (see `highwater`): adopt what Exact already has of this
        work order before its first call."""
        for step in (INVOICE_STEP, DOCUMENT_STEP, attachment_step("workorder"), attachment_step("forms")):
            row = steps.rows.get(step)
            if not order["customer_exact_id"] or row and row["state"] in ("done", "in_flight"):
                continue
            found = self.find({"step": step, "number": order["number"], "work_order_id": order["id"],
                               "customer_exact_id": order["customer_exact_id"]})
            if found:
                self.outbox.adopt(order["id"], step, steps.in_force(self.settings).pdfs, *found)
                self.adopted(order["number"], msg("work order {number}: {step} found in Exact ({found}) though the "
                                                  "store did not know it (restored from an older backup?); adopted, "
                                                  "not sent again", number=order["number"], step=step_label(step),
                                                  found=found[0]))
        self.looked_up.add(order["id"])

    def wait_for_exact(self, row: dict, later: float) -> None:
        """Leave a step that got no answer in flight until Exact is done with it; say so once."""
        number = row["number"]
        message = msg("work order {number}: its {step} went to Exact at {sent} and no answer came (the run was "
                      "stopped or the network failed); Exact may still be storing it, so push looks it up from "
                      "{time} and sends nothing for {number} before then", number=number,
                      step=step_label(row["step"]), sent=for_people(row["updated_at"]),
                      time=for_people(iso(later)))
        if not last_logged(self.db, number, message):
            log.info(self.db, "workorder", message, record=number, action=msg("none: a later push goes on with it"))
        self.result.note(number, "waiting")

    def find(self, row: dict) -> tuple[str, int | None] | None:
        """What the step created, as (Exact ID, the invoice's OrderNumber), when Exact has it."""
        step, number, customer = row["step"], row["number"], row["customer_exact_id"]
        if step == INVOICE_STEP:
            return find_invoice(self.client, invoice.invoice_description(number), customer)
        if step in (DOCUMENT_STEP, FORMS_DOCUMENT_STEP):
            subject = invoice.document_subject(number) if step == DOCUMENT_STEP else \
                invoice.forms_document_subject(number)
            found = find_document(self.client, subject, customer)
        else:
            kind = step.split(":", 1)[1]
            document = self.outbox.steps(row["work_order_id"]).attachment_document(kind)
            found = document and find_attachment(self.client, document, invoice.pdf(kind, number).file_name)
        return (found, None) if found else None

    # -- one work order -----------------------------------------------------------------

    def send(self, order: dict) -> None:
        if self.outbox.high_water.look_up_first and order["id"] not in self.looked_up:
            self.look_up_first(order, self.outbox.steps(order["id"]))
        steps = self.outbox.steps(order["id"])
        if steps.held(iso(self.clock())):
            return
        settings = steps.in_force(self.settings)
        parts = invoice.read_parts(self.db, order)
        # The refusal needs no item IDs: a work order that cannot be invoiced costs no call at all.
        built, refused = invoice.plan(parts, settings, {}, self.items.item)
        refused = refused or self.pdf_too_large(built)
        invoice_done = steps.exact_id(INVOICE_STEP)  # before migration 911 the invoice went first
        if not invoice_done:
            if refused:
                self.refuse(order, refused, steps)
                return
            built, _ = invoice.plan(parts, settings, self.items.ids())
            self.warn(order["number"], built)
        go = functools.partial(self.step, order, steps, settings.pdfs)
        for pdf in built.pdfs:
            if steps.exact_id(attachment_step(pdf.kind)):
                continue
            document = steps.attachment_document(pdf.kind) or go(DOCUMENT_STEP, DOCUMENTS,
                                                                 functools.partial(self.document_body, order))
            if not document or not go(attachment_step(pdf.kind), ATTACHMENTS,
                                      functools.partial(self.attachment_body, document, pdf, order["number"])):
                return
        if invoice_done or go(INVOICE_STEP, INVOICE_ENDPOINT, lambda: built.wire(steps.exact_id(DOCUMENT_STEP)),
                              key="InvoiceID"):
            self.sent(order, built, steps)

    def step(self, order: dict, steps: Steps, pdfs: str, step: str, endpoint: str, body: Callable[[], dict],
             key: str = "ID") -> str | None:
        """POST `body()` to `endpoint` as the work order's `step`: its Exact ID, or None when it did not
        complete in this run. `pdfs` is the setting that governs the work order, kept with its steps."""
        if not self.outbox.errors.allow(endpoint):
            self.result.note(order["number"], "paused")
            return None
        payload = body()
        self.outbox.begin(order, step, pdfs)
        try:
            answer = self.client.post(endpoint, payload, sending=lambda: self.outbox.stamp(order["id"], step))
        except NothingSent:
            # The day's calls spent, no token, a 401, or the run's time up before the call could start:
            # no try of this work order.
            self.outbox.not_tried(order["id"], step)
            raise
        except UncertainOutcome as exc:
            self.outbox.uncertain(order, step, endpoint, exc)
            self.result.note(order["number"], "retrying")
            return None
        except ScopeViolation:
            # Refused before anything was stored, and not this work order's fault: the run stops, the
            # step waits untried. Counted, so that runs every 5 minutes stay below Exact's error block.
            self.outbox.errors.count(endpoint)
            self.outbox.not_tried(order["id"], step)
            raise
        except ExactApiError as exc:
            if exc.status == 429:
                raise  # the rate limit, not this work order: the step is looked up next run
            self.outbox.errors.count(endpoint)
            self.result.note(order["number"], self.outbox.refused(order["id"], order["number"], step,
                                                                  exc.message or str(exc)))
            return None
        self.outbox.done(order["id"], step, answer[key], answer.get("OrderNumber"))
        steps.mark_done(step, answer[key], pdfs)
        return answer[key]

    def warn(self, number: str, built: invoice.Invoice) -> None:
        for warning in built.warnings:
            log.warning(self.db, "workorder", msg("work order {number}: {warning}", number=number, warning=warning),
                        record=number, action=msg("none, or shorten the customer reference"))

    def refuse(self, order: dict, refused: invoice.Refusal, steps: Steps) -> None:
        """Log a refusal once per reason (not every 5 minutes); the work order stays queued."""
        self.result.note(order["number"], "refused")
        said = refused.message.english()  # the outbox keeps the English text: the same whoever reads
        if steps.rows.get(INVOICE_STEP, {}).get("last_error") == said:
            return
        with transaction(self.db):
            outbox.set_last_error(self.db, order["id"], INVOICE_STEP, said)
            log.error(self.db, "workorder", refused.message, record=order["number"], action=refused.action)
            self.outbox.document_waits(order["id"], order["number"])

    def sent(self, order: dict, built: invoice.Invoice, steps: Steps) -> None:
        number = order["number"]
        invoice_id = steps.exact_id(INVOICE_STEP)
        order_number = get_work_order(self.db, number)["exact_order_number"]
        if order_number is None:  # adopted, or sent before Exact's numbers were kept
            message = msg("work order {number} sent to Exact as draft invoice {invoice}", number=number,
                          invoice=invoice_id)
        else:
            message = msg("work order {number} sent to Exact as draft invoice {order_number} ({invoice})",
                          number=number, order_number=order_number, invoice=invoice_id)
        if built.pdfs:
            message = msg("{sent} with {pdfs}", sent=message, pdfs=", ".join(p.file_name for p in built.pdfs))
        with transaction(self.db):
            update_work_order(self.db, order["id"], {"status": "sent", "exact_invoice_id": invoice_id})
            log.info(self.db, "workorder", message, record=number,
                     action=msg("none: check and confirm the draft invoice in Exact"))
            raise_mutation_date(self.db, utcnow())
        self.result.note(number, "sent")

    # -- the PDFs -------------------------------------------------------------------------

    def pdf_too_large(self, built: invoice.Invoice) -> invoice.Refusal | None:
        """A PDF bigger than Exact takes in one POST, checked before any call for the work order."""
        self._pdfs = {}  # one work order's PDFs at a time
        for pdf in built.pdfs:
            size = len(self.pdf_bytes(pdf.kind, built.number))
            if size > MAX_PDF_BYTES:
                return invoice.Refusal(
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

    def document_body(self, order: dict) -> dict:
        """[settings] document_type, as check-settings verified it (exists, documents can be created)."""
        return {"Account": order["customer_exact_id"], "Subject": invoice.document_subject(order["number"]),
                "Type": self.settings.document_type}

    def attachment_body(self, document: str, pdf: invoice.Pdf, number: str) -> dict:
        return {"Document": document, "FileName": pdf.file_name,
                "Attachment": base64.b64encode(self.pdf_bytes(pdf.kind, number)).decode("ascii")}
