"""The click group: global options, command registration, and the one place errors become exit codes.

Library code raises ExactsyncError (a message the user can act on); here it
becomes `Error: ...` with exit 1. Click's usage errors exit 2. Anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys

import click

from exactsync import __version__, i18n
from exactsync.config import DEFAULT_CONFIG_NAME
from exactsync.errors import ExactsyncError
from exactsync.i18n import _, msg

# Every command: its module in exactsync.commands, the command object there, and its short help (the
# first sentence of its docstring; tests/test_cli.py keeps them equal). A command's module, and what
# it imports, is loaded only when that command runs: cron starts exactsync every 5 minutes.
COMMANDS = {
    "activate": ("activation", "activate_command",
                 "Start the integration again after `exactsync deactivate`: the next pull and push resume from "
                 "where they stopped."),
    "backup": ("backup", "backup_command",
               "Write a consistent copy of the store to FILE (mode 0600), also while pull, push or cleanup run."),
    "check-settings": ("settings", "check_settings_command",
                       "Verify every setting in [settings] against Exact, like the manual's \"Controleer\" buttons, "
                       "and report all problems at once."),
    "cleanup": ("pull", "cleanup_command",
                "Remove customers and items that did not come from Exact, or that were deleted, blocked or ended "
                "there."),
    "connect": ("connect", "connect_command",
                "Log in to Exact Online (OAuth consent), store the login beside the store (mode 0600), fill in the "
                "division if the config has none, and activate the integration."),
    "customers": ("lists", "customers_command", "List the customers from Exact in the store, with their codes."),
    "deactivate": ("activation", "deactivate_command",
                   "Stop the integration now: from here on pull, push and cleanup send and fetch nothing (no "
                   "invoices go to Exact) and leave a warning in the log once a day."),
    "demo": ("demo", "demo_command",
             "Try the whole tool in half a minute, without an Exact account: start an embedded Exact Online "
             "sandbox, connect, check the settings, pull, create and archive work orders, push them as draft "
             "invoices, and read the log."),
    "export": ("export", "export_command",
               "Print, as JSON lines for a field app, the customers, work addresses, items and work orders that "
               "changed since a cursor, ending with the next cursor."),
    "init": ("init", "init_command", "Create the config file (mode 0600) with every key and its default."),
    "items": ("lists", "items_command", "List the items from Exact in the store, with their codes and groups."),
    "log": ("log", "log_command", "Show the integration log, newest first, with the action to take."),
    "pull": ("pull", "pull_command", "Bring customers, their addresses, item groups and items from Exact."),
    "push": ("push", "push_command",
             "Send every archived work order to Exact as a draft (concept) sales invoice on its customer, with "
             "its PDFs on the customer's card and the werkbon linked to the invoice, exactly once."),
    "sandbox": ("sandbox", "sandbox_group",
                "The embedded Exact Online sandbox: a local stand-in for Exact's API and OAuth."),
    "settings": ("settings", "settings_command",
                 "Show the settings in the config, when they were last verified, and whether the file changed "
                 "since."),
    "status": ("status", "status_command",
               "Show whether the integration is active, the connected division, the Exact login, the last pull "
               "and push, the highest mutation date, queued and failed work orders, errors in the last 24 "
               "hours, and Exact's daily calls left as last seen."),
    "wipe": ("wipe", "wipe_command", "Show what each part of the store holds and wipe the chosen parts."),
    "workaddress": ("workaddress", "workaddress_group", "Work addresses: where the work is done."),
    "workorder": ("workorder", "workorder_group",
                  "Work orders: open -> planned -> completed -> archived; push sends archived ones to Exact as "
                  "draft invoices (then sent, or failed)."),
}


class UserError(click.ClickException):
    """`Error: ...` (exit 1), in the language in force."""

    def show(self, file=None) -> None:
        click.echo(msg("Error: {message}", message=self.format_message()).render(), file=file, err=file is None)


class UsageRefused(UserError):
    """`Error: ...` (exit 2): a command refused as called, e.g. a question with nobody to answer it."""

    exit_code = 2


class Declined(click.ClickException):
    """The admin answered no: nothing changed (exit 1)."""

    def __init__(self):
        super().__init__("")

    def show(self, file=None) -> None:
        click.echo(_("Aborted!"), file=file, err=file is None)


def confirm(question: str) -> None:
    """Ask `question` on the terminal; a no stops the command with nothing changed."""
    if not click.confirm(question, err=True):
        raise Declined()


class ExactsyncGroup(click.Group):
    """Loads a command's module when the command runs (click's lazily loading group)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"exactsync.commands.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in --help, from COMMANDS: as click writes it, without importing every command."""
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ExactsyncError as exc:
            raise UserError(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            from exactsync.store import store_failure

            failure = store_failure(exc)
            if failure is None:
                raise
            raise UserError(str(failure)) from None


@click.group(cls=ExactsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exactsync")
@click.option(
    "--config", "config_path",
    type=click.Path(dir_okay=False),
    default=DEFAULT_CONFIG_NAME, show_default=True, envvar="EXACTSYNC_CONFIG", show_envvar=True,
    help="Config file; the store lives beside it unless [store] path says otherwise.",
)
@click.option(
    "--lang", "language", type=click.Choice(i18n.LANGUAGES), envvar=i18n.LANG_ENV, show_envvar=True,
    help="Language of the output for this command; else [interface] language in the config.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str, language: str | None) -> None:
    """Sync a field-service work-order app with Exact Online.

    Exact leads for customers and items (`pull`); archived work orders become
    draft sales invoices in Exact (`push`). Start with `exactsync init`, then
    `exactsync connect`.
    """
    # Imported here: the config, the store and the client, which --help needs none of.
    from exactsync.app import App

    # Before the config is read: its errors, too, come in the language asked for (else, until the config
    # says otherwise, in English).
    i18n.use(language or i18n.DEFAULT_LANGUAGE)
    ctx.obj = App(config_path, language_chosen=language is not None)


def main() -> None:
    cli(prog_name="exactsync")


if __name__ == "__main__":
    sys.exit(main())
