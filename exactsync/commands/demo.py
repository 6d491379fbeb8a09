"""`exactsync demo`: every step of a real run against the embedded sandbox, each printed as its command."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from exactsync import i18n
from exactsync.commands import _output
from exactsync.errors import ExactsyncError
from exactsync.i18n import msg


@click.command("demo")
@click.option("--keep", "keep_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Work in this (new or empty) folder and keep it, to explore afterwards.")
@click.option("--customers", type=click.IntRange(min=30, max=10_000), default=300, show_default=True,
              help="Customers in the sandbox's administration (at most 10,000, so that the demo stays "
                   "within Exact's 60 calls a minute).")
@click.pass_context
def demo_command(ctx: click.Context, keep_dir: Path | None, customers: int):
    """Try the whole tool in half a minute, without an Exact account: start an
    embedded Exact Online sandbox, connect, check the settings, pull, create and
    archive work orders, push them as draft invoices, and read the log. Each step
    prints the command it runs. Leaves nothing behind unless --keep.

    \b
    Examples:
      exactsync demo
      exactsync demo --keep ./try-exactsync --customers 1000
    """
    # Imported here: the sandbox it brings is not worth loading on every cron run of other commands.
    from exactsync import demo as demo_mod

    root = ctx.find_root()
    cli, language = root.command, root.params.get("language") or i18n.DEFAULT_LANGUAGE
    if keep_dir is None:
        with tempfile.TemporaryDirectory(prefix="exactsync-demo-") as folder:
            demo_mod.Demo(Path(folder), customers, cli, language).run()
        return
    if keep_dir.exists() and any(keep_dir.iterdir()):
        raise ExactsyncError(msg("{folder} is not empty: give --keep a new or empty folder", folder=str(keep_dir)))
    keep_dir.mkdir(parents=True, exist_ok=True)
    demo_mod.Demo(keep_dir.resolve(), customers, cli, language).run()
    _output.echo(demo_mod.how_to_explore(keep_dir.resolve()))
