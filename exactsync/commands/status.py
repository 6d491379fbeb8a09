"""`exactsync status`: is the integration on, and how did the last runs go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import sqlite_utils

from exactsync import activation
from exactsync import log as logmod
from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.exact.errors import ReconnectNeeded
from exactsync.exact.tokens import TokenStore
from exactsync.i18n import _, msg, number
from exactsync.store import get_state
from exactsync.store.workorders import work_order_counts
from exactsync.sync import budget
from exactsync.timeutil import iso


def collect(db: sqlite_utils.Database, division: int) -> dict:
    """The status of the store, connected to `division` (the config's: the one every run uses)."""
    day_ago = iso(datetime.now(UTC) - timedelta(hours=24))
    counts = work_order_counts(db)
    return {
        "active": get_state(db, "active") == "1",
        "inactive_reason": activation.why_inactive(db),
        "division": division if division and get_state(db, "connected_at") else None,
        "last_pull": {"at": get_state(db, "last_pull_at"), "outcome": get_state(db, "last_pull_outcome")},
        "last_push": {"at": get_state(db, "last_push_at"), "outcome": get_state(db, "last_push_outcome")},
        "highest_mutation_at": get_state(db, "highest_mutation_at"),
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
@_output.json_option
@pass_app
def status_command(app: App, as_json: bool):
    """Show whether the integration is active, the connected division, the Exact login, the last
    pull and push, the highest mutation date, queued and failed work orders, errors in
    the last 24 hours, and Exact's daily calls left as last seen.

    \b
    Example:
      exactsync status
      exactsync status --json
    """
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
