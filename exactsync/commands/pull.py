"""`exactsync pull` and `exactsync cleanup`: what cron runs to follow Exact."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands._progress import row_counter
from exactsync.commands._run import cron_run
from exactsync.i18n import N_, _, msg, number
from exactsync.sync import cleanup as cleanup_mod
from exactsync.sync import pull as pull_mod

# What a pull reads and counts, by its name in PullResult.counts.
ENTITY_LABELS = {"accounts": N_("accounts"), "addresses": N_("addresses"), "items": N_("items"),
                 "deleted": N_("deleted"), "ended": N_("ended")}


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
    with cron_run(app, "pull") as run, row_counter(_reading) as progress:
        result = pull_mod.pull(app.client, run.db, app.config.settings, progress=progress)
        summary = ", ".join(f"{_(ENTITY_LABELS[name])} +{number(c.added)} ~{number(c.changed)} "
                            f"-{number(c.deactivated)}" for name, c in result.counts.items())
        run.say(msg("pulled in {calls} calls: {summary}", calls=number(result.calls), summary=summary).render())


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
        run.say(msg("removed {work_address} work address(es), {customer} customer(s), {item} item(s), "
                    "{item_group} item group(s)", **{table: number(n) for table, n in removed.items()}).render())
