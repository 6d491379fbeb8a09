"""`exactsync wipe`: empty parts of the store before (re)connecting to Exact (R13)."""

from __future__ import annotations

import click

from exactsync import wipe
from exactsync.app import App, pass_app
from exactsync.cli import confirm
from exactsync.commands import _output
from exactsync.commands._run import exclusive
from exactsync.i18n import N_, _, msg

LABELS = {
    "customers": N_("customers (with their work addresses)"),
    "work_addresses": N_("work addresses"),
    "items": N_("items and item groups"),
    "workorders": N_("work orders (with bookings, materials, forms and what push was sending)"),
}


def _part_option(name: str, help_text: str):
    return click.option(f"--{name.replace('_', '-')}", name, is_flag=True, help=help_text)


@click.command("wipe")
@_part_option("customers", "Customers and, with them, all their work addresses.")
@_part_option("work_addresses", "Work addresses (the one from Exact comes back with the next pull).")
@_part_option("items", "Items and item groups.")
@_part_option("workorders", "Work orders with their time bookings, materials, forms and push state.")
@click.option("--all", "everything", is_flag=True, help="Every part: required before the first `connect`.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option("--force", is_flag=True, help="Also delete archived work orders that have not reached Exact.")
@pass_app
def wipe_command(app: App, everything: bool, yes: bool, force: bool, **chosen: bool):
    """Show what each part of the store holds and wipe the chosen parts.

    The next pull reads wiped customers and items again from Exact. Work
    addresses that work orders not yet sent to Exact use are kept, with their
    customers, and archived work orders that have not reached Exact are kept
    unless --force: no work order loses what it needs. The log, the work order
    numbering and the Exact login are never wiped. Without a part option it
    only shows the counts.

    \b
    Examples:
      exactsync wipe                       # what each part holds
      exactsync wipe --all                 # before the first connect
      exactsync wipe --customers --items --yes
    """
    parts = list(wipe.PART_NAMES) if everything else [name for name in wipe.PART_NAMES if chosen[name]]
    counts = wipe.counts(app.db)
    _output.stdout().print(_output.table(
        [_("part"), _("rows")], ([_(LABELS[p]), str(wipe.rows_text(counts[p]))] for p in wipe.PART_NAMES)))
    if not parts:
        click.echo(_("nothing wiped: choose parts (--customers, --work-addresses, --items, --workorders) or --all"),
                   err=True)
        return
    if "workorders" in parts and not force:
        wipe.refuse_losing_archived(app.db)
    if not yes:
        confirm(msg("Wipe {parts}? This cannot be undone", parts=", ".join(_(LABELS[p]) for p in parts)).render())
    with exclusive(app) as db:
        wiped = wipe.wipe(db, parts, force=force)
    click.echo(msg("wipe: {summary}", summary=wiped.summary()).render(), err=True)
