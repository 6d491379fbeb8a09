"""`exactsync status`: is the integration on, and how did the last runs go."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
import sqlite_utils

from exactsync import activation
from exactsync import log as logmod
from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.exact.errors import ReconnectNeeded
from exactsync.exact.tokens import TokenStore
from exactsync.i18n import _, message_of, msg, number
from exactsync.store import state, store_failure
from exactsync.store.workorders import work_order_counts
from exactsync.sync import budget
from exactsync.timeutil import iso

if TYPE_CHECKING:
    from exactsync import health


def collect(db: sqlite_utils.Database, division: int) -> dict:
    """The status of the store, connected to `division` (the config's: the one every run uses)."""
    day_ago = iso(datetime.now(UTC) - timedelta(hours=24))
    counts = work_order_counts(db)
    return {
        "active": state.ACTIVE.get(db),
        "inactive_reason": activation.why_inactive(db),
        "division": division if division and state.CONNECTED_AT.get(db) else None,
        **{f"last_{run}": {"at": state.LAST_RUN_AT(run).get(db), "outcome": state.LAST_RUN_OUTCOME(run).get(db)}
           for run in ("pull", "push")},
        "highest_mutation_at": state.HIGHEST_MUTATION_AT.get(db),
        "workorders_queued": counts.get("archived", 0),
        "workorders_failed": counts.get("failed", 0),
        "errors_last_24h": logmod.count_since(db, "error", day_ago),
        "exact_daily_calls": budget.last_seen(db),
    }


def login_state(tokens: TokenStore) -> dict:
    """The Exact login as its file tells it, without asking Exact: state is connected, expired
    (Exact refused it: `since` when, `exact_said` why), missing or unreadable."""
    try:
        stored = tokens.load()
    except ReconnectNeeded:
        return {"state": "unreadable", "since": None, "exact_said": None}
    if stored is None:
        return {"state": "missing", "since": None, "exact_said": None}
    if stored.refused_at:
        return {"state": "expired", "since": stored.refused_at, "exact_said": stored.refusal}
    return {"state": "connected", "since": None, "exact_said": None}


def _login_line(login: dict) -> str:
    if login["state"] == "connected":
        return _("connected")
    if login["state"] == "expired":
        return msg("expired or revoked (found {time}): run exactsync connect",
                   time=_output.local_time(login["since"])).render()
    return {"missing": _("not logged in: run exactsync connect"),
            "unreadable": _("the token file is unreadable: run exactsync connect")}[login["state"]]


def _daily_calls_line(calls: dict) -> str:
    if not calls["seen_at"]:
        return _("not seen yet (the first pull or push shows them)")
    seen, resets = _output.local_time(calls["seen_at"]), _output.local_time(calls["resets_at"])
    if calls["remaining"] is None:
        return msg("unknown: Exact's day has reset since they were seen {seen}", seen=seen).render()
    if not calls["limit"]:
        return msg("{remaining} left (seen {seen}; resets {resets})", remaining=number(calls["remaining"]),
                   seen=seen, resets=resets).render()
    return msg("{remaining} of {limit} left (seen {seen}; resets {resets})", remaining=number(calls["remaining"]),
               limit=number(calls["limit"]), seen=seen, resets=resets).render()


def _run_line(run: dict) -> str:
    if not run["at"]:
        return _("never")
    # The outcome is stored as the English text marked in sync/runs.py, and translated here.
    return f"{_output.local_time(run['at'])} ({_(run['outcome'])})"


@click.command("status")
@click.option("--check", is_flag=True,
              help="Judge the health as a monitoring plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, "
                   "a summary line first.")
@_output.json_option
@pass_app
def status_command(app: App, check: bool, as_json: bool):
    """Show whether the integration is active, the connected division, the Exact login, the last
    pull and push, the highest mutation date, queued and failed work orders, errors in
    the last 24 hours, and Exact's daily calls left as last seen.

    With --check, judge them for a monitor (Nagios, Icinga, Zabbix, ...): one line
    "EXACTSYNC OK|WARNING|CRITICAL|UNKNOWN - ...", the details after it, and the exit code
    the monitoring-plugin convention gives each (0, 1, 2, 3).

    \b
    Examples:
      exactsync status
      exactsync status --json
      exactsync status --check
    """
    if check:
        _report(_health(app), as_json)
    status = collect(app.db, app.config.settings.division)
    status["login"] = login_state(TokenStore.beside(app.config.store_path))
    reason = status["inactive_reason"]
    if as_json:
        _output.print_json({**status, "inactive_reason": reason and str(reason)})
        return
    rows = [
        [_("integration"), str(reason) if reason else _("active")],
        [_("administration (division)"), str(status["division"] or _("not connected"))],
        [_("Exact login"), _login_line(status["login"])],
        [_("last pull"), _run_line(status["last_pull"])],
        [_("last push"), _run_line(status["last_push"])],
        [_("highest mutation date"), _output.local_time(status["highest_mutation_at"])],
        [_("work orders queued for Exact"), str(status["workorders_queued"])],
        [_("work orders failed"), str(status["workorders_failed"])],
        [_("errors in the last 24 hours"), str(status["errors_last_24h"])],
        [_("Exact calls left today"), _daily_calls_line(status["exact_daily_calls"])],
    ]
    _output.print_key_values(f"exactsync ({app.config.store_path})", rows)


def _health(app: App) -> health.Health:
    # Imported here: plain `status` needs none of the checks, and cron-like monitors pay its start-up often.
    from exactsync import health

    try:
        config = app.config
    except ExactsyncError as exc:
        return health.unknown(message_of(exc))
    try:
        return health.check(app.db, config, login_state(TokenStore.beside(config.store_path)), datetime.now(UTC))
    except ExactsyncError as exc:  # the store's own errors (damaged, unwritable folder) are ExactsyncErrors
        return health.store_unreadable(message_of(exc))
    except sqlite3.DatabaseError as exc:
        return health.store_unreadable(message_of(store_failure(exc, config.store_path) or exc))


def _report(found: health.Health, as_json: bool) -> None:
    if as_json:
        _output.print_json(found.as_json())
    else:
        _output.echo("\n".join([found.summary, *found.details]))
    raise click.exceptions.Exit(found.code)
