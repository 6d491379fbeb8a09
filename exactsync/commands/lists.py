"""`exactsync customers` and `exactsync items`: what the store holds, to find codes."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.store.records import list_customers, list_items

# SQLite refuses a LIKE pattern past 50,000 bytes ("LIKE or GLOB pattern too complex"); no code,
# name or description comes near this many characters, and 4 bytes each stay far below SQLite's limit.
MAX_SEARCH_LENGTH = 1000


def _bounded_search(ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    if text is not None and len(text) > MAX_SEARCH_LENGTH:
        raise click.BadParameter(f"at most {MAX_SEARCH_LENGTH} characters, got {len(text):,}: search for a part "
                                 "of the code or name")
    return text


def _show(rows: list[dict], columns: list[str], as_json: bool) -> None:
    if as_json:
        _output.print_json(rows)
        return
    _output.stdout().print(_output.table(columns, ([str(r[c] if r[c] is not None else "") for c in columns]
                                                   for r in rows), caption=f"{len(rows)} rows"))


@click.command("customers")
@click.option("--search", metavar="TEXT", callback=_bounded_search,
              help="Only customers whose code, name, postcode or city contains TEXT.")
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive customers (cleanup removes them).")
@_output.json_option
@pass_app
def customers_command(app: App, search: str | None, include_inactive: bool, as_json: bool):
    """List the customers from Exact in the store, with their codes.

    \b
    Example:
      exactsync customers --search Zaandam
    """
    rows = list_customers(app.db, search, include_inactive)
    _show(rows, ["code", "name", "address", "postcode", "city", "country", "inactive_reason"], as_json)


@click.command("items")
@click.option("--search", metavar="TEXT", callback=_bounded_search,
              help="Only items whose code or description contains TEXT.")
@click.option("--group", metavar="NAME", help="Only items of this item group (code or description, exact case).")
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive items (cleanup removes them).")
@_output.json_option
@pass_app
def items_command(app: App, search: str | None, group: str | None, include_inactive: bool, as_json: bool):
    """List the items from Exact in the store, with their codes and groups.

    \b
    Example:
      exactsync items --group Diensten
    """
    rows = list_items(app.db, search, group, include_inactive)
    columns = ["code", "description", "item_group_code", "item_group_description", "unit", "inactive_reason"]
    _show(rows, columns, as_json)
