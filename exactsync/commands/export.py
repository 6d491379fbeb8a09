"""`exactsync export`: what changed for a field app since its cursor, as JSON lines."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.commands._schema import schema_option
from exactsync.fieldapp import feed, schemas


def _cursor(ctx: click.Context, param: click.Parameter, text: str | None) -> feed.Cursor | None:
    if text is None:
        return None
    try:
        return feed.Cursor.parse(text)
    except feed.CursorError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("export")
@click.option("--since", "since", metavar="CURSOR", callback=_cursor,
              help="The cursor the previous export ended with; without it, everything.")
@schema_option(schemas.EXPORT, "the lines")
@pass_app
def export_command(app: App, since: feed.Cursor | None):
    """Print, as JSON lines for a field app, the customers, work addresses, items and work orders
    that changed since a cursor, ending with the next cursor.

    Inactive and removed records come with the reason, so the app can hide them; a work order comes
    with its external_id, its status and its state in Exact. After a wipe (or with another store) the
    export starts with a reset line and gives everything. Without --since, everything.

    \b
    Examples:
      exactsync export > everything.jsonl
      exactsync export --since "$(tail -n 1 everything.jsonl | jq -r .cursor)"
      exactsync export --schema
    """
    _output.print_json_lines(feed.lines(app.db, since))
