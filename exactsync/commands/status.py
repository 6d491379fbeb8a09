"""`exactsync status`: is the integration on, and how did the last runs go."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click
import sqlite_utils

from exactsync import activation
from exactsync import log as logmod
from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.store import get_state


def collect(db: sqlite_utils.Database) -> dict:
    day_ago = (datetime.now(timezone.utc) - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = dict(db.execute("SELECT status, count(*) FROM work_orders GROUP BY status").fetchall())
    division = get_state(db, "division")
    return {
        "active": get_state(db, "active") == "1",
        "inactive_reason": activation.why_inactive(db),
        "division": int(division) if division else None,
        "last_pull": {"at": get_state(db, "last_pull_at"), "outcome": get_state(db, "last_pull_outcome")},
        "last_push": {"at": get_state(db, "last_push_at"), "outcome": get_state(db, "last_push_outcome")},
        "highest_mutation_at": get_state(db, "highest_mutation_at"),
        "workorders_queued": counts.get("archived", 0),
        "workorders_failed": counts.get("failed", 0),
        "errors_last_24h": logmod.count_since(db, "error", day_ago),
    }


def _run_line(run: dict) -> str:
    if not run["at"]:
        return "never"
    return f"{_output.local_time(run['at'])} ({run['outcome']})"


@click.command("status")
@_output.json_option
@pass_app
def status_command(app: App, as_json: bool):
    """Show whether the integration is active, the connected division, the last
    pull and push, the highest mutation date, queued and failed work orders, and
    errors in the last 24 hours.

    \b
    Example:
      exactsync status
      exactsync status --json
    """
    status = collect(app.db)
    if as_json:
        _output.print_json(status)
        return
    rows = [
        ["integration", status["inactive_reason"] or "active"],
        ["division", str(status["division"] or "not connected")],
        ["last pull", _run_line(status["last_pull"])],
        ["last push", _run_line(status["last_push"])],
        ["highest mutation date", _output.local_time(status["highest_mutation_at"])],
        ["work orders queued for Exact", str(status["workorders_queued"])],
        ["work orders failed", str(status["workorders_failed"])],
        ["errors in the last 24 hours", str(status["errors_last_24h"])],
    ]
    _output.stdout().print(_output.table(["", ""], rows, title=f"exactsync ({app.config.store_path})"))
