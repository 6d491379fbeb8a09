"""`--schema`: print a command's JSON Schema (exactsync/fieldapp/schemas/) and exit, like --version."""

from __future__ import annotations

import click

from exactsync.commands import _output
from exactsync.fieldapp import schemas


def schema_option(name: str, help_text: str):
    """`--schema` printing the schema `name`; `help_text` marked with N_ for the catalog."""
    def print_schema(ctx: click.Context, param: click.Parameter, wanted: bool) -> None:
        if wanted and not ctx.resilient_parsing:
            _output.print_json_text(schemas.text(name))
            ctx.exit()

    return click.option("--schema", is_flag=True, is_eager=True, expose_value=False, callback=print_schema,
                        help=help_text)
