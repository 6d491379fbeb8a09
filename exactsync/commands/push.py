"""`exactsync push`: archived work orders to Exact as draft invoices, with their PDFs."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.commands._run import cron_run
from exactsync.errors import ExactsyncError
from exactsync.i18n import N_, _, msg
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
        click.echo(msg("{number} queued again", number=push_mod.retry(app.db, retry_number)).render(), err=True)
    elif dry_run:
        _show_preview(app, as_json)
    else:
        with cron_run(app, "push") as run:
            result = push_mod.Push(app.client, run.db, verified_settings(run.db),
                                   company_name=app.config.get("workorders", "company_name")).run(max_seconds)
            if as_json:
                _output.print_json(result.summary())
            run.say(summary_line(result.summary()))


# The summary's counts as the last line says them.
SUMMARY_LABELS = {"sent": N_("sent"), "refused": N_("refused"), "retrying": N_("retrying"), "failed": N_("failed"),
                  "paused": N_("paused"), "waiting": N_("waiting"), "errored": N_("errored"),
                  "adopted": N_("adopted"), "left_for_next_run": N_("left for next run")}


def summary_line(summary: dict) -> str:
    """"2 sent, 1 refused, ...": each count before its label, in the reader's language."""
    return ", ".join(msg("{count} {label}", count=len(value) if isinstance(value, list) else value,
                         label=_(SUMMARY_LABELS[key])).render() for key, value in summary.items())


def _show_preview(app: App, as_json: bool) -> None:
    settings = verified_settings(app.db)
    if settings is None:
        raise ExactsyncError(msg("settings were never checked: run exactsync check-settings"))
    shown = push_mod.preview(app.db, settings)
    if as_json:
        return _output.print_json(shown)
    rows = [[s["number"], _outcome(s), *_invoice_cells(s["invoice"])] for s in shown]
    columns = [_("work order"), _("outcome"), _("lines"), _("your ref"), _("remarks"), _("pdfs")]
    _output.stdout().print(_output.table(columns, rows, caption=msg("{count} work order(s) queued; nothing was sent",
                                                                    count=len(shown)).render()))


def _invoice_cells(invoice: dict | None) -> list[str]:
    if invoice is None:  # the work order could not be read: its outcome says why
        return ["", "", "", ""]
    return ["\n".join(f"{ln['quantity']} x {ln['item']} {ln['description']}".rstrip() for ln in invoice["lines"]),
            invoice["your_ref"], invoice["remarks"], "\n".join(
                p["file_name"] + (" " + _("(linked to the invoice)") if p["file_name"] == invoice["linked_pdf"] else "")
                for p in invoice["pdfs"])]


def _outcome(shown: dict) -> str:
    if shown["error"]:
        return msg("cannot be handled: {error}", error=shown["error"]["message"]).render()
    invoice = shown["exact_invoice_id"]
    if invoice and shown["invoice"]["linked_pdf"]:
        return msg("invoice {invoice} is in Exact; its PDFs would be sent, {pdf} linked to it", invoice=invoice,
                   pdf=shown["invoice"]["linked_pdf"]).render()
    if invoice:
        return msg("invoice {invoice} is in Exact; its PDFs would be sent", invoice=invoice).render()
    if shown["refusal"]:
        return msg("refused: {reason}", reason=shown["refusal"]["message"]).render()
    return _("would be sent")
