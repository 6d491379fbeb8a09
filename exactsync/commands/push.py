"""`exactsync push`: archived work orders to Exact as draft invoices, with their PDFs."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.commands._budget import exact_run
from exactsync.errors import ExactsyncError
from exactsync.settings_check import verified_settings
from exactsync.sync import push as push_mod


@click.command("push")
@click.option("--dry-run", is_flag=True, help="Show what would be sent and refused; send and write nothing.")
@click.option("--max-seconds", type=click.IntRange(min=1), default=push_mod.DEFAULT_MAX_SECONDS, show_default=True,
              help="Start no new work order after this many seconds; the rest waits for the next run.")
@click.option("--retry", "retry_number", metavar="NUMBER", help="Queue a failed work order again, then stop.")
@_output.json_option
@pass_app
def push_command(app: App, dry_run: bool, max_seconds: int, retry_number: str | None, as_json: bool):
    """Send every archived work order to Exact as a draft (concept) sales
    invoice on its customer, with its PDFs on the customer's card and the
    werkbon linked to the invoice, exactly once.

    A work order that cannot be invoiced (no customer from Exact, a work address
    of another customer, an item no longer in Exact, nothing to invoice) gets an
    error in the log and stays queued; the others still go. Meant for cron,
    every 5 minutes, after pull.

    \b
    Examples:
      exactsync push
      exactsync push --dry-run --json
      exactsync push --retry WO00042
    """
    if retry_number:
        click.echo(f"{push_mod.retry(app.db, retry_number)} queued again", err=True)
    elif dry_run:
        _show_preview(app, as_json)
    else:
        with exact_run(app, "push") as db:
            result = push_mod.Push(app.client, db, verified_settings(db),
                                   company_name=app.config.get("workorders", "company_name")).run(max_seconds)
        if as_json:
            _output.print_json(result.summary())
        click.echo(", ".join(f"{len(v) if isinstance(v, list) else v} {k.replace('_', ' ')}"
                             for k, v in result.summary().items()), err=True)


def _show_preview(app: App, as_json: bool) -> None:
    settings = verified_settings(app.db)
    if settings is None:
        raise ExactsyncError("settings were never checked: run exactsync check-settings")
    shown = push_mod.preview(app.db, settings)
    if as_json:
        return _output.print_json(shown)
    rows = [[s["number"], _outcome(s), *_invoice_cells(s["invoice"])] for s in shown]
    _output.stdout().print(_output.table(["work order", "outcome", "lines", "your ref", "remarks", "pdfs"], rows,
                                         caption=f"{len(shown)} work order(s) queued; nothing was sent"))


def _invoice_cells(invoice: dict | None) -> list[str]:
    if invoice is None:  # the work order could not be read: its outcome says why
        return ["", "", "", ""]
    return ["\n".join(f"{ln['quantity']} x {ln['item']} {ln['description']}".rstrip() for ln in invoice["lines"]),
            invoice["your_ref"], invoice["remarks"], "\n".join(
                p["file_name"] + (" (linked to the invoice)" if p["file_name"] == invoice["linked_pdf"] else "")
                for p in invoice["pdfs"])]


def _outcome(shown: dict) -> str:
    if shown["error"]:
        return "cannot be handled: " + shown["error"]["message"]
    if shown["exact_invoice_id"]:
        linked = f", {shown['invoice']['linked_pdf']} linked to it" if shown["invoice"]["linked_pdf"] else ""
        return f"invoice {shown['exact_invoice_id']} is in Exact; its PDFs would be sent{linked}"
    return "refused: " + shown["refusal"]["message"] if shown["refusal"] else "would be sent"
