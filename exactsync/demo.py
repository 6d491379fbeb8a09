"""`exactsync demo`: a newcomer's first run, against the embedded sandbox.

Every step runs the real command in this process, exactly as typed at a shell
(the working directory is the demo folder, so the default config name applies),
and prints that command first, so the demo teaches the tool. Only two things
are not commands: the sandbox's own data changes ("meanwhile, in Exact"), and the
admin at `exactsync connect`'s prompt: the browser is one HTTP GET of the login
address connect prints (the sandbox consents without asking) that does not
follow the redirect to the app's https address, and that address is pasted.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import click
import requests

from exactsync import config as config_mod
from exactsync import i18n
from exactsync.commands import _output
from exactsync.config import DEFAULT_CONFIG_NAME, SECRET_ENV
from exactsync.errors import ExactsyncError
from exactsync.exact import ExactClient
from exactsync.i18n import Msg, _, msg
from exactsync.sandbox import Sandbox
from exactsync.store import open_store
from exactsync.workorders import lifecycle

SEED = 7
ITEMS = 120
USER_VARIABLES = ("EXACTSYNC_CONFIG", SECRET_ENV)
ITEM_GROUPS = ("Arbeid", "Materialen", "Diensten")
# Offline: they read only the local store. The others talk to Exact.
OFFLINE_EXAMPLES = ("exactsync status", "exactsync log --errors", "exactsync customers", "exactsync items",
                    "exactsync workorder list", "exactsync workorder show {number}",
                    "exactsync workorder pdf {number} --out {number}.pdf", "exactsync push --dry-run")


class DemoFailed(ExactsyncError):
    pass


@dataclass(frozen=True)
class Cast:
    """The sandbox records the story uses, chosen from its seeded data."""

    customer_code: str
    doomed_customer_code: str
    doomed_customer_guid: str
    work_item: str
    travel_item: str
    default_item: str
    materials: tuple[str, str]


def cast_from(sandbox: Sandbox) -> Cast:
    customers = [a for a in sandbox.accounts.values()
                 if a["Status"] == "C" and a["IsSales"] and not a["Blocked"] and a["EndDate"] is None]
    customers.sort(key=lambda a: (a["Code"].strip() != "25", int(a["Code"])))
    if len(customers) < 2:
        raise DemoFailed(msg("the sandbox holds fewer than two active customers: run the demo with more "
                             "--customers"))
    group_of = {g["ID"]: g["Description"] for g in sandbox.item_groups.values()}
    sellable: dict[str, list[str]] = {name: [] for name in ITEM_GROUPS}
    for item in sorted(sandbox.items.values(), key=lambda i: i["Code"]):
        if item["IsSalesItem"] and item["EndDate"] is None and item["Code"].startswith("ART-"):
            sellable.get(group_of[item["ItemGroup"]], []).append(item["Code"])
    doomed = customers[-1]
    return Cast(customer_code=customers[0]["Code"].strip(), doomed_customer_code=doomed["Code"].strip(),
                doomed_customer_guid=doomed["ID"], work_item=sellable["Arbeid"][0],
                travel_item=sellable["Arbeid"][1], default_item=sellable["Diensten"][0],
                materials=(sellable["Materialen"][0], sellable["Materialen"][1]))


class Shown(io.StringIO):
    """What a command prints, on the screen as it comes and kept to be read back."""

    def __init__(self, screen):
        super().__init__()
        self.screen = screen

    def write(self, text: str) -> int:
        self.screen.write(text)
        return super().write(text)


def address_landed_on(login_url: str) -> str:
    """The browser at Exact's login address: the sandbox consents by itself and sends the browser on to
    the app's registered https address, which nothing serves, so the redirect is not followed; the
    address it points to is what the admin pastes."""
    answer = requests.get(login_url, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        raise DemoFailed(msg("the sandbox's login page answered {status} instead of sending the browser on: check "
                             "[exact] client_id and redirect_uri against `exactsync sandbox serve`",
                             status=answer.status_code))
    return answer.headers["Location"]


class PastingAdmin(io.TextIOBase):
    """Standard input of `exactsync connect`: opens the login address connect printed and pastes the
    address the browser lands on, shown on the screen with its code hidden."""

    def __init__(self, printed: Shown):
        self.printed = printed
        self.pasted = False

    def readable(self) -> bool:
        return True

    def readline(self, size: int = -1) -> str:
        if self.pasted:
            return ""
        self.pasted = True
        landed_on = address_landed_on(self.printed.getvalue().strip())
        shown = re.sub(r"code=[^&]*", "code=(hidden)", landed_on)
        self.printed.screen.write("# " + _("the browser logs in, allows access and lands on the app's address; "
                                           "pasted:") + f"\n{shown}\n")
        return landed_on + "\n"


@contextlib.contextmanager
def demo_environment(folder: Path) -> Iterator[None]:
    """Work in `folder`, blind to the user's own config and secret variables: the demo
    must never touch a real store, nor send a real client secret to the sandbox."""
    before = Path.cwd()
    hidden = {name: os.environ.pop(name) for name in USER_VARIABLES if name in os.environ}
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)
        os.environ.update(hidden)


class Demo:
    def __init__(self, folder: Path, customers: int, cli: click.Command, language: str = i18n.DEFAULT_LANGUAGE):
        self.started = time.perf_counter()
        self.cli = cli  # the root command, which every step runs as the admin would
        self.language = language  # of the narration, and of the demo's config, so of every command
        self.folder = folder
        self.customers = customers
        self.sandbox = Sandbox(seed=SEED, customers=customers, items=ITEMS)

    # -- the steps ---------------------------------------------------------------------------------------

    def run(self) -> None:
        with self.sandbox, demo_environment(self.folder):
            cast = cast_from(self.sandbox)
            self.start_sandbox()
            self.connect()
            self.set_settings(cast)
            self.heading(_("Pull customers and items from Exact (first pull: everything, with progress)"))
            self.command("pull")
            number = self.book_full_work_order(cast)
            doomed = self.work_order_for_doomed_customer(cast)
            self.show_refused_customer()
            self.push_and_show(number, doomed)
            self.fix_refused(doomed, cast)
        click.echo(self.closing_words())

    def start_sandbox(self) -> None:
        sandbox = self.sandbox
        self.heading(msg("Start an Exact Online sandbox: {customers} customers, {items} items in {groups} groups",
                         customers=len(sandbox.accounts), items=len(sandbox.items), groups=len(sandbox.item_groups)))
        self.show_command("exactsync", "sandbox", "serve", "--customers", str(self.customers), "--items", str(ITEMS))
        self.comment(msg("here it runs inside the demo, at {url}", url=sandbox.base_url))

    def connect(self) -> None:
        sandbox = self.sandbox
        self.heading(_("Create the config, with the app's client id, secret and redirect URI from the Exact App "
                       "Center"))
        language = ["--language", self.language] if self.language != i18n.DEFAULT_LANGUAGE else []
        self.command("init", "--client-id", sandbox.client_id, "--base-url", sandbox.base_url,
                     "--redirect-uri", sandbox.redirect_uri, *language)
        config = config_mod.load(Path(DEFAULT_CONFIG_NAME))
        config_mod.update(config, "exact", "client_secret", sandbox.client_secret)
        self.comment(_("edit exactsync.toml, [exact]:"))
        self.comment('  client_secret = "..."   ' + _("(or set EXACTSYNC_CLIENT_SECRET; never shown)"))
        self.heading(_("Log in to Exact and allow access, then paste the address the browser lands on "
                       "(the sandbox consents by itself)"))
        self.log_in()

    def log_in(self) -> None:
        """The real `exactsync connect`, with the pasted address on its standard input."""
        args = ["connect", "--no-browser"]
        self.show_command("exactsync", *args)
        printed, stdin = Shown(sys.stdout), sys.stdin
        sys.stdin = PastingAdmin(printed)
        try:
            with contextlib.redirect_stdout(printed):
                code = self.invoke(args)
        finally:
            sys.stdin = stdin
        if code != 0:
            raise stopped_at(args, code)

    def set_settings(self, cast: Cast) -> None:
        self.heading(_("Choose the settings, then let Exact check every one of them"))
        settings = {"journal": "70", "travel_time_item": cast.travel_item, "work_time_item": cast.work_item,
                    "item_groups": list(ITEM_GROUPS), "memo": "both", "default_item": cast.default_item,
                    "your_ref": "both", "pdfs": "both"}
        config = config_mod.load(Path(DEFAULT_CONFIG_NAME))
        self.comment(_("edit exactsync.toml, [settings]:"))
        for name, value in settings.items():
            config = config_mod.update(config, "settings", name, value)
            shown = "[" + ", ".join(f'"{v}"' for v in value) + "]" if isinstance(value, list) else f'"{value}"'
            self.comment(f"  {name} = {shown}")
        self.command("check-settings")

    def book_full_work_order(self, cast: Cast) -> str:
        code = cast.customer_code
        self.heading(msg("A work address for customer {code}, and a work order booked in full", code=code))
        address_id = self.command("workaddress", "add", code, "--street", "Kerkstraat 12", "--postcode", "3511 LX",
                                  "--city", "Utrecht", "--name", "Kantine", capture=True)
        number = self.command("workorder", "create", "--customer", code, "--work-address", address_id,
                              "--description", "Lekkage onder het aanrecht verhelpen", "--reference", "PO-881",
                              capture=True)
        self.command("workorder", "plan", number, "--employee", "Jan de Vries", "--date",
                     time.strftime("%Y-%m-%d"), "--time", "08:30")
        self.command("workorder", "book-time", number, "--employee", "Jan de Vries", "--work", "120",
                     "--travel", "15")
        self.command("workorder", "add-material", number, cast.materials[0], "1.5")
        self.command("workorder", "add-material", number, cast.materials[1], "2")
        self.command("workorder", "form", number, "Veiligheid", "--answer", "Gas afgesloten?=Ja",
                     "--answer", "Meterstand=1234", "--answer", "Klant tevreden?=Ja")
        self.command("workorder", "complete", number)
        self.command("workorder", "archive", number)
        self.command("workorder", "show", number)
        return number

    def work_order_for_doomed_customer(self, cast: Cast) -> str:
        code = cast.doomed_customer_code
        self.heading(msg("A second work order, for customer {code}, archived too", code=code))
        number = self.command("workorder", "create", "--customer", code, "--description", "Cv-ketel onderhoud",
                              capture=True)
        self.command("workorder", "book-time", number, "--employee", "Anna Bakker", "--work", "45")
        self.command("workorder", "complete", number)
        self.command("workorder", "archive", number)
        self.heading(msg("Meanwhile, in Exact, customer {code} is deleted; the next pull brings that over",
                         code=code))
        self.sandbox.delete_account(cast.doomed_customer_guid)
        self.comment(_("(the demo deletes it in the sandbox; in real life someone does it in Exact)"))
        self.command("pull")
        return number

    def show_refused_customer(self) -> None:
        self.heading(_("A work order needs a customer from Exact: an unknown one is refused at once"))
        self.command("workorder", "create", "--customer", "99999", "--description", "Dakgoot reinigen",
                     expect_failure=True)

    def push_and_show(self, number: str, doomed: str) -> None:
        self.heading(_("Push: archived work orders become draft invoices in Exact, with their PDFs"))
        self.command("push", "--dry-run")
        self.command("push")
        self.heading(msg("The log: {number} went through; {doomed} cannot be invoiced, and the log says what to do",
                         number=number, doomed=doomed))
        self.command("log")
        self.command("status")
        self.heading(msg("The invoice of {number} as Exact holds it", number=number))
        self.show_invoice(number)

    def fix_refused(self, doomed: str, cast: Cast) -> None:
        self.heading(msg("The fix: put {doomed} on a customer that is in Exact, and push again", doomed=doomed))
        self.command("workorder", "set-customer", doomed, "--customer", cast.customer_code)
        self.command("push")
        self.command("status")

    def show_invoice(self, number: str) -> None:
        config = config_mod.load(Path(DEFAULT_CONFIG_NAME))
        db = open_store(config.store_path)
        try:
            invoice_id = lifecycle.details(db, number)["exact_invoice_id"]
        finally:
            db.close()
        if not invoice_id:
            raise DemoFailed(msg("push recorded no Exact invoice for {number}; see `exactsync log --errors`",
                                 number=number))
        client = ExactClient.from_config(config)
        path = f"salesinvoice/SalesInvoices(guid'{invoice_id}')?$expand=SalesInvoiceLines"
        click.echo(click.style(f"# GET {client.url(path)}   " + _("(Exact's REST API, with the stored login)"),
                               fg="cyan"))
        click.echo(render_invoice(client.get_one(path)))
        documents = [f"{d['Subject']} ({', '.join(self.attachments_of(d['ID']))})"
                     for d in self.sandbox.documents.values() if number in (d.get("Subject") or "")]
        click.echo("  " + msg("documents on the customer's card: {documents}",
                              documents=", ".join(documents) or _("none")).render())

    def attachments_of(self, document: str) -> list[str]:
        return [a["FileName"] for a in self.sandbox.attachments.values() if a["Document"] == document]

    def closing_words(self) -> str:
        seconds = time.perf_counter() - self.started
        return "\n" + msg("Demo finished in {seconds} s.", seconds=i18n.tenths(seconds)).render()

    # -- running and printing commands -------------------------------------------------------------------

    def heading(self, text: str | Msg) -> None:
        click.echo(click.style(f"\n== {text}", bold=True))

    def comment(self, text: str | Msg) -> None:
        click.echo(f"# {text}")

    def show_command(self, *args: str) -> None:
        click.echo(click.style("$ " + shlex.join(args), fg="cyan"))

    def command(self, *args: str, capture: bool = False, expect_failure: bool = False) -> str:
        """Run `exactsync ARGS` in this process; with `capture`, return its stdout (also shown)."""
        self.show_command("exactsync", *args)
        output = io.StringIO()
        with contextlib.redirect_stdout(output) if capture else contextlib.nullcontext():
            code = self.invoke(list(args))
        if capture:
            click.echo(output.getvalue().rstrip("\n"))
        if (code != 0) != expect_failure:
            raise stopped_at(args, code)
        if expect_failure:
            self.comment(msg("exit status {code}: nothing was created", code=code))
        return output.getvalue().strip()

    def invoke(self, args: list[str]) -> int:
        """Run one command; the narration after it stays in the demo's language, whatever the command set."""
        try:
            with _output.read_by_a_person():
                return _invoke(self.cli, args)
        finally:
            i18n.use(self.language)


def stopped_at(args: list[str] | tuple[str, ...], code: int) -> DemoFailed:
    return DemoFailed(msg("`exactsync {command}` exited {code}; the demo stopped there", command=shlex.join(args),
                          code=code))


def _invoke(cli: click.Command, args: list[str]) -> int:
    try:
        cli.main(args, prog_name="exactsync", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


def render_invoice(invoice: dict) -> str:
    remarks = " / ".join(filter(None, (invoice.get("Remarks") or "").splitlines()))
    lines = [msg("draft sales invoice (Status {status}) in journal {journal}", status=str(invoice["Status"]),
                 journal=str(invoice["Journal"])).render()]
    fields = ((_("customer"), invoice["OrderedByName"]), (_("your ref"), invoice["YourRef"]),
              (_("description"), invoice["Description"]), (_("remarks"), remarks))
    width = max(12, *(len(label) for label, _value in fields))
    lines += [f"  {label:<{width}} {value}" for label, value in fields]
    for line in invoice["SalesInvoiceLines"]["results"]:  # expanded, Exact wraps the lines in "results"
        lines.append(f"  {i18n.quantity(str(line['Quantity'])):>8} × {line['ItemCode']:<10} {line['Description']:<34} "
                     f"{i18n.amount(Decimal(str(line['AmountFC']))):>10}")
    total = _("total (excl. VAT)")
    lines.append(f"  {total:>57} {i18n.money(Decimal(str(invoice['AmountFC'])), invoice['Currency']):>12}")
    return "\n".join(lines)


def how_to_explore(folder: Path) -> str:
    """What to type next in a kept demo folder; the sandbox is gone, so only offline commands still work."""
    number = "WO00001"
    examples = "\n".join("  " + e.format(number=number) for e in OFFLINE_EXAMPLES)
    kept = msg("Kept {folder}: config {config}, store {store}.", folder=str(folder),
               config=str(folder / DEFAULT_CONFIG_NAME), store=str(folder / "exactsync.db"))
    return (f"\n{kept}\n"
            + _("The sandbox stopped with the demo, so these work (they read only the local store):") + "\n"
            f"  cd {shlex.quote(str(folder))}\n{examples}\n"
            + _("pull, push, check-settings and connect need Exact: `exactsync sandbox serve` starts a new sandbox "
                "with new credentials,\nso put its base_url, client_id and client_secret in the config and run "
                "`exactsync wipe --all` and `exactsync connect`."))
