"""`exactsync customers` and `exactsync items`: what the store holds, to find codes."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.commands import _output
from exactsync.i18n import N_, _, msg, nmsg, number
from exactsync.store.records import list_customers, list_items
from exactsync.sync.mapping import reason_message

# SQLite refuses a LIKE pattern past 50,000 bytes ("LIKE or GLOB pattern too complex"); no code,
# name or description comes near this many characters, and 4 bytes each stay far below SQLite's limit.
MAX_SEARCH_LENGTH = 1000


def _bounded_search(ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    if text is not None and len(text) > MAX_SEARCH_LENGTH:
        raise click.BadParameter(msg("at most {limit} characters, got {length}: search for a part of the code or "
                                     "name", limit=MAX_SEARCH_LENGTH, length=number(len(text))).render())
    return text


# The column headers, by the store's column names (the keys of --json).
HEADERS = {"code": N_("code"), "name": N_("name"), "address": N_("address"), "postcode": N_("postcode"),
           "city": N_("city"), "country": N_("country"), "description": N_("description"),
           "item_group_code": N_("item group code"), "item_group_description": N_("item group"),
           "unit": N_("unit"), "inactive_reason": N_("inactive because")}


def _shown(row: dict) -> dict:
    """The row with its inactive reason (stored in English) in the reader's language."""
    return {**row, "inactive_reason": str(reason_message(row["inactive_reason"]))}


def _show(rows: list[dict], columns: list[str], as_json: bool) -> None:
    rows = [_shown(r) for r in rows]
    if as_json:
        _output.print_json(rows)
        return
    _output.stdout().print(_output.table([_(HEADERS[c]) for c in columns],
                                         ([str(r[c] if r[c] is not None else "") for c in columns] for r in rows),
                                         caption=nmsg("{count} row", "{count} rows", len(rows)).render()))


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
