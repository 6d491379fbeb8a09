"""`exactsync check-settings` and `exactsync settings` (R14)."""

from __future__ import annotations

from functools import reduce

import click

from exactsync import log
from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.i18n import Msg, _, message_of, msg
from exactsync.settings_check import NotReached, check_all, fingerprint, record_verified, verified_settings
from exactsync.settings_text import label, shown
from exactsync.store import state
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
        log.error(db, "settings", message_of(exc), record="check-settings",
                  action=msg("see the message; nothing was recorded"))
        raise ExactsyncError(message_of(exc)) from None
    problems = [v for v in verdicts if not v.ok]
    if as_json:
        _output.print_json([{"setting": v.setting, "value": str(v.value), "ok": v.ok, "checked": v.checked,
                             "problem": str(v.problem), "fix": str(v.fix)} for v in verdicts])
    else:
        _output.stdout().print(_output.table(
            [_("setting"), _("value"), _("check"), _("how to fix")],
            ([str(label(v.setting)), _value(v), _("OK") if v.ok else str(v.problem), str(v.fix)] for v in verdicts),
            row_styles=["green" if v.ok else "red" for v in verdicts],
        ))
    if problems:
        for verdict in problems:
            log.error(db, "settings", msg("{setting}: {problem}", setting=label(verdict.setting),
                                          problem=verdict.problem),
                      record=verdict.setting, action=verdict.fix)
        raise ExactsyncError(msg("{counts}; nothing was recorded. Fix them and check again", counts=_count(problems)))
    record_verified(db, settings)
    log.info(db, "settings", msg("all settings checked and verified; they apply from now on"))
    _output.echo(_("all settings OK; they apply from now on"), err=True)


def _value(verdict) -> str:
    return str(verdict.value) if isinstance(verdict.value, Msg) else shown(verdict.setting, verdict.value)


def _count(problems) -> Msg:
    """E.g. "2 settings are not valid, 1 scope is missing, 2 could not be checked"."""
    scopes = sum(1 for v in problems if v.setting == "scope" and v.checked)
    invalid = sum(1 for v in problems if v.setting != "scope" and v.checked)
    unchecked = sum(1 for v in problems if not v.checked)
    # One message for one and one for more: English and Dutch both have just these two forms.
    parts = [(msg("{count} setting is not valid", count=invalid) if invalid == 1
              else msg("{count} settings are not valid", count=invalid)) if invalid else None,
             (msg("{count} scope is missing", count=scopes) if scopes == 1
              else msg("{count} scopes are missing", count=scopes)) if scopes else None,
             msg("{count} could not be checked", count=unchecked) if unchecked else None]
    return reduce(lambda counts, part: msg("{counts}, {next}", counts=counts, next=part), (p for p in parts if p))


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
        "verified_at": state.SETTINGS_CHECKED_AT.get(app.db),
        "changed_since_verified": state.SETTINGS_FINGERPRINT.get(app.db) != fingerprint(current),
    }
    if as_json:
        _output.print_json(status)
        return
    rows = []
    for name, value in current.as_dict().items():
        before = verified.as_dict()[name] if verified else None
        note = "" if verified is None or before == value else msg("changed (verified: {before})",
                                                                    before=shown(name, before)).render()
        rows.append([str(label(name)), shown(name, value), note])
    when = _output.local_time(status["verified_at"])
    verdict = msg("changed since: run exactsync check-settings") if status["changed_since_verified"] \
        else msg("unchanged since")
    caption = msg("last verified: {when} ({verdict})", when=when, verdict=verdict).render()
    _output.stdout().print(_output.table([_("setting"), _("value"), ""], rows, caption=caption))
