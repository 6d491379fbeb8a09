"""`exactsync workaddress`: the places where work is done, per customer (R4)."""

from __future__ import annotations

import click

from exactsync.app import App, pass_app
from exactsync.cli_language import HelpGroup
from exactsync.commands import _output
from exactsync.i18n import _, msg
from exactsync.workorders import addresses


@click.group("workaddress", cls=HelpGroup)
def workaddress_group():
    """Work addresses: where the work is done. Every work address belongs to a
    customer; the first one comes from the customer's address in Exact.

    \b
    Examples:
      exactsync workaddress add 25 --street "Kerkstraat 1" --postcode "1234 AB" --city Utrecht
      exactsync workaddress list 25
    """


@workaddress_group.command("add")
@click.argument("customer_code")
@click.option("--street", required=True, help="Street and house number.")
@click.option("--postcode", default="", help="Postcode, e.g. \"1234 AB\".")
@click.option("--city", required=True, help="City.")
@click.option("--country", default="NL", show_default=True, help="Country code.")
@click.option("--name", default="", help="A name for the place, e.g. \"Filiaal Centrum\".")
@pass_app
def add_command(app: App, customer_code: str, street: str, postcode: str, city: str, country: str, name: str):
    """Add a work address to a customer from Exact; prints its id.

    Customer codes are typed as you know them: "25" finds Exact's padded code, and
    also "0025" when no customer has exactly "25".

    \b
    Example:
      exactsync workaddress add 25 --street "Kerkstraat 1" --postcode "1234 AB" --city Utrecht --name Kantine
    """
    address = addresses.add(app.db, customer_code, street=street, postcode=postcode, city=city,
                            country=country, name=name)
    _output.echo(address["id"])


@workaddress_group.command("list")
@click.argument("customer_code")
@_output.json_option
@pass_app
def list_command(app: App, customer_code: str, as_json: bool):
    """List a customer's work addresses, the one from Exact first.

    \b
    Examples:
      exactsync workaddress list 25
      exactsync workaddress list 25 --json
    """
    customer, rows = addresses.of_customer(app.db, customer_code)
    if as_json:
        _output.print_json([{**r, "from_exact": bool(r["exact_address_id"])} for r in rows])
        return
    _output.stdout().print(_output.table(
        [_("id"), _("name"), _("street"), _("postcode"), _("city"), _("country"), _("from Exact")],
        ([str(r["id"]), r["name"], r["street"], r["postcode"], r["city"], r["country"],
          _("yes") if r["exact_address_id"] else ""] for r in rows),
        title=msg("work addresses of customer {code} {name}", code=customer["code"].strip(),
                  name=customer["name"]).render(),
    ))


@workaddress_group.command("remove")
@click.argument("address_id", type=int)
@pass_app
def remove_command(app: App, address_id: int):
    """Remove a work address that no unsent work order uses. The address from
    Exact is changed or removed in Exact.

    \b
    Example:
      exactsync workaddress remove 12
    """
    address = addresses.remove(app.db, address_id)
    _output.echo(msg("removed work address {id}: {address}", id=address_id,
                   address=", ".join(addresses.address_lines(address))).render(), err=True)
