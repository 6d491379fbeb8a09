"""`exactsync check-settings` and `exactsync settings` (R14)."""

from __future__ import annotations

import click

from exactsync import log
from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.settings_check import NotReached, check_all, fingerprint, record_verified, verified_settings
from exactsync.store import get_state
from exactsync.timeutil import amsterdam_today


@click.command("check-settings")
@_output.json_option
@pass_app
def check_settings_command(app: App, as_json: bool):
    """Verify every setting in [settings] against Exact, like the manual's
    "Controleer" buttons, and report all problems at once. First it proves,
    with one cheap read each, that the app may use the Exact scopes these
    settings need.

    When all are OK the settings are recorded as verified; pull, push and
    cleanup refuse to run while the config's settings differ from them. So
    after changing any setting, run this again.

    \b
    Example:
      exactsync check-settings
    """
    settings = app.config.settings
    db = app.db
    try:
        verdicts = check_all(app.client, settings, amsterdam_today())
    except NotReached as exc:
        log.error(db, "settings", str(exc), record="check-settings", action="see the message; nothing was recorded")
        raise
    problems = [v for v in verdicts if not v.ok]
    if as_json:
        _output.print_json([{"setting": v.setting, "value": v.value, "ok": v.ok, "checked": v.checked,
                             "problem": v.problem, "fix": v.fix} for v in verdicts])
    else:
        _output.stdout().print(_output.table(
            ["setting", "value", "check", "how to fix"],
            ([v.setting, v.value, "OK" if v.ok else v.problem, v.fix] for v in verdicts),
            row_styles=["green" if v.ok else "red" for v in verdicts],
        ))
    if problems:
        for verdict in problems:
            log.error(db, "settings", f"{verdict.setting}: {verdict.problem}", record=verdict.setting,
                      action=verdict.fix)
        raise ExactsyncError(f"{_count(problems)}; nothing was recorded. Fix them and check again")
    record_verified(db, settings)
    log.info(db, "settings", "all settings checked and verified; they apply from now on")
    click.echo("all settings OK; they apply from now on", err=True)


def _count(problems) -> str:
    """E.g. "2 settings are not valid, 1 scope is missing, 1 setting could not be checked"."""
    scopes = [v for v in problems if v.setting == "scope" and v.checked]
    invalid = [v for v in problems if v.setting != "scope" and v.checked]
    unchecked = [v for v in problems if not v.checked]
    parts = [f"{len(invalid)} {'setting is' if len(invalid) == 1 else 'settings are'} not valid" if invalid else "",
             f"{len(scopes)} {'scope is' if len(scopes) == 1 else 'scopes are'} missing" if scopes else "",
             f"{len(unchecked)} could not be checked" if unchecked else ""]
    return ", ".join(p for p in parts if p)


@click.command("settings")
@_output.json_option
@pass_app
def settings_command(app: App, as_json: bool):
    """Show the settings in the config, when they were last verified, and
    whether the file changed since.

    \b
    Example:
      exactsync settings
    """
    current = app.config.settings
    verified = verified_settings(app.db)
    status = {
        "settings": current.as_dict(),
        "verified_at": get_state(app.db, "settings_checked_at"),
        "changed_since_verified": get_state(app.db, "settings_fingerprint") != fingerprint(current),
    }
    if as_json:
        _output.print_json(status)
        return
    rows = []
    for name, value in current.as_dict().items():
        before = (verified or {}).get(name)
        note = "" if verified is None or before == value else f"changed (verified: {before!r})"
        rows.append([name, str(value), note])
    when = _output.local_time(status["verified_at"])
    verdict = "changed since: run exactsync check-settings" if status["changed_since_verified"] else "unchanged since"
    _output.stdout().print(_output.table(["setting", "value", ""], rows, caption=f"last verified: {when} ({verdict})"))
