"""`exactsync pull` and `exactsync cleanup`: what cron runs to follow Exact."""

from __future__ import annotations

import click

from exactsync import wipe
from exactsync.app import App, pass_app
from exactsync.commands._progress import row_counter
from exactsync.commands._run import cron_run
from exactsync.i18n import N_, Msg, N_plural, _, msg, nmsg, number
from exactsync.log import STORE_TABLES
from exactsync.sync import cleanup as cleanup_mod
from exactsync.sync import pull as pull_mod

# What a pull reads and counts, by its name in PullResult.counts.
ENTITY_LABELS = {"accounts": N_("accounts"), "addresses": N_("addresses"), "items": N_("items"),
                 "deleted": N_("deleted"), "ended": N_("ended")}
# How the office reads a pull's counts: what came new, per entity; what Exact deleted or ended.
NEW_COUNTS = {"accounts": N_plural("{count} new customer", "{count} new customers"),
              "addresses": N_plural("{count} new customer address", "{count} new customer addresses"),
              "items": N_plural("{count} new item", "{count} new items")}
GONE_COUNTS = {"deleted": N_plural("{count} deleted in Exact", "{count} deleted in Exact"),
               "ended": N_plural("{count} ended in Exact", "{count} ended in Exact")}


@click.command("pull")
@pass_app
def pull_command(app: App):
    """Bring customers, their addresses, item groups and items from Exact.

    Only what changed since the last pull is read; the first pull reads
    everything and shows its progress on a terminal. A pull that is stopped at
    any moment resumes where it stopped. Meant for cron, every 5 minutes.

    \b
    Example:
      exactsync pull
    """
    with cron_run(app, "pull") as run:
        # The summary comes after the progress lines are drawn for the last time: written while they
        # are live, their last redraw would erase it and draw the first line again above.
        with row_counter(_reading) as progress:
            result = pull_mod.pull(app.client, run.db, app.config.settings, progress=progress)
        summary = "; ".join(_entity_summary(name, counts).render() for name, counts in result.counts.items())
        run.say(nmsg("pulled in {count} call: {summary}", "pulled in {count} calls: {summary}", result.calls,
                     summary=summary).render())


def _entity_summary(name: str, counts: pull_mod.Counts) -> Msg:
    if name in GONE_COUNTS:
        return nmsg(*GONE_COUNTS[name], counts.deactivated)
    return msg("{new}, {changed} changed, {deactivated} deactivated", new=nmsg(*NEW_COUNTS[name], counts.added),
               changed=counts.changed, deactivated=counts.deactivated)


def _reading(entity: str, rows: int) -> str:
    return msg("reading {entity} {rows} rows", entity=_(ENTITY_LABELS[entity]), rows=number(rows)).render()


@click.command("cleanup")
@pass_app
def cleanup_command(app: App):
    """Remove customers and items that did not come from Exact, or that were
    deleted, blocked or ended there. Work orders are never removed.

    Meant for cron, a few times a week, after a pull.

    \b
    Example:
      exactsync cleanup
    """
    with cron_run(app, "cleanup") as run:
        removed = cleanup_mod.cleanup(run.db)
        removed_rows = wipe.counted({wipe.TABLE_COUNTS[STORE_TABLES[table]]: n for table, n in removed.items()})
        run.say(msg("cleanup done, removed: {summary}", summary=removed_rows).render())
