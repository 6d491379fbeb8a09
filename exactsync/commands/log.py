"""`exactsync log`: every event, newest first, coloured by kind, with the action to take."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from exactsync import log as logmod
from exactsync.app import App, pass_app
from exactsync.cli_language import TranslatedChoice
from exactsync.commands import _output
from exactsync.i18n import _, msg
from exactsync.store import state
from exactsync.timeutil import iso, office_zone

_DURATION = re.compile(r"^(\d+)([mhud])$")
_UNITS = {"m": "minutes", "h": "hours", "u": "hours", "d": "days"}  # u: uur
_DAYS_AGO = {"today": 0, "vandaag": 0, "yesterday": 1, "gisteren": 1}
_DUTCH_FORMATS = ("%d-%m-%Y %H:%M", "%d-%m-%Y")  # 28-11-2026 14:00, as the Dutch screens write it


def parse_since(text: str) -> str:
    """`30m`, `24h` (or `24u`), `7d`, today/yesterday (vandaag/gisteren, from midnight), a date (2026-11-28 or
    28-11-2026) or a date and time in the office's time zone -> ISO UTC."""
    text = text.strip()
    match = _DURATION.match(text)
    if match:
        return iso(datetime.now(UTC) - timedelta(**{_UNITS[match[2]]: int(match[1])}))
    if text.lower() in _DAYS_AGO:
        midnight = datetime.now(office_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
        return iso(midnight - timedelta(days=_DAYS_AGO[text.lower()]))
    at = _wall_clock(text)
    if at is None:
        raise click.BadParameter(msg("{text} is not a time: use 30m, 24h, 7d, 2026-11-28 or '2026-11-28 14:00'",
                                     text=repr(text)).render())
    return iso(at if at.tzinfo else at.replace(tzinfo=office_zone()))


def _wall_clock(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for layout in _DUTCH_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


@click.command("log")
@click.option("--errors", "level", flag_value="error", help="Only errors.")
@click.option("--warnings", "level", flag_value="warning", help="Warnings and errors.")
@click.option("--kind", type=TranslatedChoice(logmod.KIND_LABELS), help="Only rows of exactly this kind.")
@click.option("--table", "table_name", type=click.Choice(logmod.TABLES), help="Only rows about this table.")
@click.option("--since", metavar="WHEN", callback=lambda ctx, param, value: value and parse_since(value),
              help="Only rows since WHEN: 30m, 24h, 7d, 2026-11-28, '2026-11-28 14:00'.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many rows.")
@_output.json_option
@pass_app
def log_command(app: App, level: str | None, kind: str | None, table_name: str | None, since: str | None, limit: int,
                as_json: bool):
    """Show the integration log, newest first, with the action to take.

    Info rows are blue, warnings yellow, errors red. The highest mutation date is
    the newest change that crossed between this store and Exact.

    \b
    Examples:
      exactsync log --errors
      exactsync log --kind warning --table item
      exactsync log --table workorder --since 24h
      exactsync log --json --limit 1000 > log.jsonl
    """
    if kind and level:
        raise click.UsageError(msg("--kind and --{option} both choose the kinds: give one of them",
                                   option=level + "s").render())
    kinds = (kind,) if kind else {"error": ("error",), "warning": ("warning", "error")}.get(level, logmod.KINDS)
    where = logmod.LogFilter(kinds=kinds, table=table_name, since=since, limit=limit)
    rows = logmod.rows(app.db, where)
    if as_json:
        _output.print_json_lines(rows)
        return
    mutation = _output.local_time(state.HIGHEST_MUTATION_AT.get(app.db))
    _output.stdout().print(_output.table(
        [_("Time"), _("Kind of message"), _("Table"), _("Record"), _("Message"), _("Action to take")],
        ([_output.local_time(r["at"]), _(logmod.KIND_LABELS[r["kind"]]), _(logmod.TABLE_LABELS[r["table"]]),
          r["record"], r["message"], r["action"]] for r in rows),
        row_styles=[_output.KIND_STYLES[r["kind"]] for r in rows],
        caption=msg("highest mutation date: {date}   (rows shown: {count})", date=mutation, count=len(rows)).render(),
    ))
