"""The click group: global options, command registration, and the one place errors become exit codes.

Library code raises ExactsyncError (a message the user can act on); here it
becomes `Error: ...` with exit 1. Click's usage errors exit 2. Anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations

import sqlite3
import sys

import click

from exactsync import __version__
from exactsync.app import App
from exactsync.commands import ALL_COMMANDS
from exactsync.config import DEFAULT_CONFIG_NAME
from exactsync.errors import ExactsyncError
from exactsync.store import store_failure


class ExactsyncGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ExactsyncError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            failure = store_failure(exc)
            if failure is None:
                raise
            raise click.ClickException(str(failure)) from None


@click.group(cls=ExactsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exactsync")
@click.option(
    "--config", "config_path",
    type=click.Path(dir_okay=False),
    default=DEFAULT_CONFIG_NAME, show_default=True, envvar="EXACTSYNC_CONFIG", show_envvar=True,
    help="Config file; the store lives beside it unless [store] path says otherwise.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str) -> None:
    """Sync a field-service work-order app with Exact Online.

    Exact leads for customers and items (`pull`); archived work orders become
    draft sales invoices in Exact (`push`). Start with `exactsync init`, then
    `exactsync connect`.
    """
    ctx.obj = App(config_path)


for command in ALL_COMMANDS:
    cli.add_command(command)


def main() -> None:
    cli(prog_name="exactsync")


if __name__ == "__main__":
    sys.exit(main())
