"""`--schema`: print a command's JSON Schema (exactsync/fieldapp/schemas/) and exit, like --version."""

from __future__ import annotations

import click

from exactsync.fieldapp import schemas


def schema_option(name: str, what: str):
    def print_schema(ctx: click.Context, param: click.Parameter, wanted: bool) -> None:
        if wanted and not ctx.resilient_parsing:
            click.echo(schemas.text(name), nl=False)
            ctx.exit()

    return click.option("--schema", is_flag=True, is_eager=True, expose_value=False, callback=print_schema,
                        help=f"Print the JSON Schema of {what} and exit.")
