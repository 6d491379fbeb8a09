"""`exactsync workorder`: create, plan, book, complete and archive work orders (R6), import them, print PDFs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from exactsync.app import App, pass_app
from exactsync.cli_language import HelpGroup
from exactsync.commands import _output
from exactsync.commands import _workorder_views as views
from exactsync.commands._schema import schema_option
from exactsync.fieldapp import schemas
from exactsync.fieldapp.exact_state import exact_state
from exactsync.i18n import N_, Msg, msg, nmsg
from exactsync.locks import Busy, lock_wait_seconds
from exactsync.store import run_lock
from exactsync.workorders import import_apply, importer, lifecycle, pdf
from exactsync.workorders.lookup import (
    MAX_BOOKING_MINUTES,
    WorkOrderError,
    get_work_order,
    parse_answer,
    parse_quantity,
    typed_date,
    typed_time,
)


def _prefix(app: App) -> str:
    return app.config.get("workorders", "number_prefix")


def _done(message: Msg) -> None:
    _output.echo(message.render(), err=True)


@click.group("workorder", cls=HelpGroup)
def workorder_group():
    """Work orders: open -> planned -> completed -> archived; push sends archived
    ones to Exact as draft invoices (then sent, or failed).

    \b
    Examples:
      exactsync workorder create --customer 25 --description "Lekkage verhelpen"
      exactsync workorder plan WO00001 --employee Jan --date 2026-12-01 --time 08:30
      exactsync workorder book-time WO00001 --employee Jan --work 90 --travel 15
      exactsync workorder add-material WO00001 M100 1.5
      exactsync workorder complete WO00001
      exactsync workorder archive WO00001
    """


@workorder_group.command("create")
@click.option("--customer", "customer_code", required=True, help="Customer code as in Exact, e.g. 25.")
@click.option("--work-address", "work_address_id", type=int, help="Work address id; default: the customer's first.")
@click.option("--description", required=True, help="What is to be done.")
@click.option("--reference", default="", help="The customer's own reference (e.g. their order number).")
@pass_app
def create_command(app: App, customer_code: str, work_address_id: int | None, description: str, reference: str):
    """Create a work order for a customer from Exact; prints its number.

    \b
    Example:
      exactsync workorder create --customer 25 --work-address 12 --description "Cv-ketel onderhoud" --reference PO-881
    """
    _output.echo(lifecycle.create(app.db, prefix=_prefix(app), customer_code=customer_code, description=description,
                                work_address_id=work_address_id, customer_reference=reference))


@workorder_group.command("set-customer")
@click.argument("number")
@click.option("--customer", "customer_code", required=True, help="Customer code as in Exact, e.g. 25.")
@click.option("--work-address", "work_address_id", type=int, help="Work address id; default: the customer's first.")
@pass_app
def set_customer_command(app: App, number: str, customer_code: str, work_address_id: int | None):
    """Put the work order on another customer from Exact, also after archiving,
    as long as its invoice is not in Exact yet: the fix when push refused it for
    its customer (none from Exact, removed, or a work address of another customer).
    An archived one is changed only while no push (or other run) is busy: it waits
    for one up to 20 s (EXACTSYNC_LOCK_WAIT), then refuses.

    \b
    Example:
      exactsync workorder set-customer WO00007 --customer 25
    """
    archived = get_work_order(app.db, number)["status"] == "archived"
    with _no_run_busy(app, number) if archived else contextlib.nullcontext():
        lifecycle.set_customer(app.db, number, customer_code=customer_code, work_address_id=work_address_id,
                               run_locked=archived)
    _done(msg("{number} is now for customer {customer}", number=number, customer=customer_code))


@contextlib.contextmanager
def _no_run_busy(app: App, number: str) -> Iterator[None]:
    """The run lock, for a change to an archived work order that a push must not read halfway."""
    try:
        with run_lock(app.config.store_path, lock_wait_seconds()):
            yield
    except Busy:
        raise WorkOrderError(msg("work order {number} was not changed: a push (or another run) is busy and may be "
                                 "sending it; run the command again when that run has finished",
                                 number=number)) from None


@workorder_group.command("plan")
@click.argument("number")
@click.option("--employee", required=True, help="Who does the work: yourself or a colleague.")
@click.option("--date", "on", required=True, metavar="YYYY-MM-DD", help="The day.")
@click.option("--time", "at", default="", metavar="HH:MM", help="The time of day.")
@pass_app
def plan_command(app: App, number: str, employee: str, on: str, at: str):
    """Plan a work order for an employee on a date (planning again replaces it).

    \b
    Example:
      exactsync workorder plan WO00001 --employee "Jan de Vries" --date 2026-12-01 --time 08:30
    """
    on, at = typed_date(on), typed_time(at)  # 08-12-2026 and 8:30 too, as typed in Dutch
    lifecycle.plan(app.db, number, employee=employee, on=on, at=at)
    if at:
        _done(msg("planned {number} for {employee} on {date} {time}", number=number, employee=employee, date=on,
                  time=at))
    else:
        _done(msg("planned {number} for {employee} on {date}", number=number, employee=employee, date=on))


@workorder_group.command("book-time")
@click.argument("number")
@click.option("--employee", required=True, help="Who worked or travelled.")
@click.option("--work", type=click.IntRange(1, MAX_BOOKING_MINUTES), metavar="MINUTES",
              help="Work time in minutes, per booking.")
@click.option("--travel", type=click.IntRange(1, MAX_BOOKING_MINUTES), metavar="MINUTES",
              help="Travel time in minutes, per booking.")
@pass_app
def book_time_command(app: App, number: str, employee: str, work: int | None, travel: int | None):
    """Book work and/or travel minutes; prints the booking ids (for remove-time).

    \b
    Example:
      exactsync workorder book-time WO00001 --employee Jan --work 120 --travel 15
    """
    for booking_id in lifecycle.book_time(app.db, number, employee=employee,
                                          minutes_by_kind={"work": work, "travel": travel}):
        _output.echo(booking_id)


@workorder_group.command("remove-time")
@click.argument("number")
@click.argument("booking_id", type=int)
@pass_app
def remove_time_command(app: App, number: str, booking_id: int):
    """Remove a time booking (ids in `workorder show`), to correct it until archived.

    \b
    Example:
      exactsync workorder remove-time WO00001 3
    """
    lifecycle.remove_time(app.db, number, booking_id)
    _done(msg("removed time booking {id} from {number}", id=booking_id, number=number))


@workorder_group.command("add-material")
@click.argument("number")
@click.argument("item_code")
@click.argument("quantity")
@click.option("--description", default="", help="Text on the line; default: the item's description.")
@pass_app
def add_material_command(app: App, number: str, item_code: str, quantity: str, description: str):
    """Book a quantity (above 0, at most 100,000, up to 4 decimals: 1.5 or 1,5) of an item from Exact;
    prints the material id.

    \b
    Example:
      exactsync workorder add-material WO00001 M100 1.5 --description "Kraan 1/2 inch"
    """
    _output.echo(lifecycle.add_material(app.db, number, item_code, parse_quantity(quantity), description))


@workorder_group.command("remove-material")
@click.argument("number")
@click.argument("material_id", type=int)
@pass_app
def remove_material_command(app: App, number: str, material_id: int):
    """Remove a material line (ids in `workorder show`), to correct it until archived.

    \b
    Example:
      exactsync workorder remove-material WO00001 2
    """
    lifecycle.remove_material(app.db, number, material_id)
    _done(msg("removed material {id} from {number}", id=material_id, number=number))


@workorder_group.command("form")
@click.argument("number")
@click.argument("form_name")
@click.option("--answer", "answers", multiple=True, required=True, metavar="QUESTION=ANSWER",
              help="One question and its answer; repeat for more.")
@pass_app
def form_command(app: App, number: str, form_name: str, answers: tuple[str, ...]):
    """Fill in a custom form with your own questions; filling the same form again replaces it.

    \b
    Example:
      exactsync workorder form WO00001 Veiligheid --answer "Gas afgesloten?=Ja" --answer "Meterstand=1234"
    """
    try:
        pairs = [parse_answer(a) for a in answers]
    except WorkOrderError as exc:
        raise click.BadParameter(str(exc), param_hint="--answer") from None
    lifecycle.fill_form(app.db, number, form_name, pairs)
    _done(nmsg("filled in form {name} on {number} ({count} answer)",
               "filled in form {name} on {number} ({count} answers)", len(pairs), name=repr(form_name), number=number))


@workorder_group.command("complete")
@click.argument("number")
@pass_app
def complete_command(app: App, number: str):
    """Mark a work order completed ("gereed"). Hours and materials can still be corrected until it is archived.

    \b
    Example:
      exactsync workorder complete WO00001
    """
    lifecycle.complete(app.db, number)
    _done(msg("{number} is completed; archive it to send it to Exact", number=number))


@workorder_group.command("archive")
@click.argument("number")
@pass_app
def archive_command(app: App, number: str):
    """Archive a completed work order: the next push sends it to Exact as a draft invoice. Read-only from then on.

    \b
    Example:
      exactsync workorder archive WO00001
    """
    lifecycle.archive(app.db, number)
    _done(msg("{number} is archived and queued for Exact", number=number))


@workorder_group.command("list")
@click.option("--status", type=click.Choice(lifecycle.STATUSES), help="Only work orders with this status.")
@click.option("--invoice", "exact_number", type=click.IntRange(min=0, max=2**63 - 1),
              help="Only the work order whose draft (OrderNumber) or invoice (InvoiceNumber) in Exact has this number.")
@_output.json_option
@pass_app
def list_command(app: App, status: str | None, exact_number: int | None, as_json: bool):
    """List work orders by number, with where each stands in Exact.

    \b
    Examples:
      exactsync workorder list --status completed
      exactsync workorder list --invoice 24700001    # by Exact's invoice or draft number
      exactsync workorder list --json
    """
    rows = lifecycle.list_orders(app.db, status, exact_number)
    if as_json:
        _output.print_json(rows)
        return
    _output.stdout().print(views.list_table(rows))


@workorder_group.command("show")
@click.argument("number")
@_output.json_option
@pass_app
def show_command(app: App, number: str, as_json: bool):
    """Show everything about a work order: customer, work address, planning, hours,
    materials, forms, status, the push state, and where it stands in Exact once sent
    (draft and invoice numbers, processed or deleted there).

    --json adds its external_id and its state in Exact (as `exactsync export` gives it).

    \b
    Examples:
      exactsync workorder show WO00001
      exactsync workorder show WO00001 --json
    """
    order, row = lifecycle.details(app.db, number), get_work_order(app.db, number)
    if as_json:
        _output.print_json({**order, "external_id": row["external_id"], "exact": exact_state(app.db, row)})
        return
    console = _output.stdout()
    for part in views.show_tables(order, row):
        console.print(part)


@workorder_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--each", is_flag=True,
              help="Import every good entry and refuse only the others (exit 1 when any was refused).")
@schema_option(schemas.IMPORT, N_("Print the JSON Schema of the file and exit."))
@pass_app
def import_command(app: App, file: Path, each: bool):
    """Import work orders from a JSON file, all or nothing: any problem rejects the
    whole file and every problem is listed by entry (from 0) and field. Prints the
    number of each entry's work order.

    An entry with an external_id (the app's own id) that was imported before updates
    its work order while that can still change, or changes nothing when it is the
    same: importing a file twice changes nothing the second time.

    \b
    Examples:
      exactsync workorder import orders.json
      exactsync workorder import --each orders.json
      exactsync workorder import --schema
    The file is a list of {"external_id", "customer", "work_address" (id or
    {"street","postcode","city","country"}), "description", "customer_reference",
    "planned" {"employee","date","time"}, "hours" [{"kind","minutes","employee"}],
    "materials" [{"item","quantity"}], "forms" [{"name","answers" {...}}],
    "status" ("open", "completed" or "archived")}.
    """
    outcomes = import_apply.import_entries(app.db, importer.read_entries(file), prefix=_prefix(app),
                                           source=str(file), each=each)
    for outcome in outcomes:
        if outcome.number:
            _output.echo(outcome.number)
    _done(import_apply.summary(outcomes, str(file)))
    if any(o.problems for o in outcomes):
        raise import_apply.EntriesRefused(str(file), outcomes)


@workorder_group.command("resend")
@click.argument("number")
@pass_app
def resend_command(app: App, number: str):
    """Send a work order again whose draft invoice the office deleted in Exact: the
    next push makes a new draft, once, reusing its PDFs' documents still in Exact.
    Refused while the draft is not known to be deleted (run exactsync pull first).
    It waits for a running push (or other run) up to 20 s (EXACTSYNC_LOCK_WAIT).

    \b
    Example:
      exactsync workorder resend WO00012
    """
    with _no_run_busy(app, number):
        lifecycle.resend(app.db, number)
    _done(msg("{number} is queued again for Exact: the next push sends a new draft invoice", number=number))


@workorder_group.command("pdf")
@click.argument("number")
@click.option("--forms", is_flag=True, help="The custom forms PDF instead of the work order PDF.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@pass_app
def pdf_command(app: App, number: str, forms: bool, out: Path):
    """Write the work order PDF (or with --forms the custom forms PDF): the same bytes push sends to Exact.

    \b
    Examples:
      exactsync workorder pdf WO00001 --out WO00001.pdf
      exactsync workorder pdf WO00001 --forms --out WO00001-formulieren.pdf
    """
    render = pdf.forms_pdf if forms else pdf.workorder_pdf
    content = render(app.db, number, pdf.letterhead(app.config))
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise WorkOrderError(msg("cannot write {file}: {error}; choose another --out", file=str(out),
                                 error=str(exc.strerror))) from None
    _done(msg("wrote {file} ({size:n} bytes)", file=str(out), size=len(content)))
