"""What a work order becomes in Exact (R8-R11): planning its invoice.

`read_parts` reads what a work order's invoice needs from the store; `build` turns
it and the settings in force into the sales invoice body and the PDFs to send, as a
pure function on plain dicts; `refusal` says why a work order cannot be invoiced
(R4, R12) before anything is sent; `plan` does both. Push and `push --dry-run` share
them, so the preview is what push sends.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlite_utils

from exactsync.config import ITEM_SETTINGS, Settings
from exactsync.i18n import N_, Msg, msg, nmsg
from exactsync.store import records
from exactsync.store.workorders import booked_minutes, has_forms, invoice_materials
from exactsync.sync import mapping
from exactsync.sync.mapping import NOT_A_CUSTOMER
from exactsync.timeutil import amsterdam_today
from exactsync.workorders import addresses

# Exact takes quantities with 4 decimals: minutes / 60 rounded half up there, so
# 20 min -> 0.3333, 40 min -> 0.6667, 15 min -> 0.25, 120 min -> 2 (never a float's 0.33333333333333331).
HOURS_QUANTUM = Decimal("0.0001")
# The length of YourRef is not documented [unverified]; 30 is what Exact's screens show for "Uw referentie".
YOUR_REF_MAX_LENGTH = 30
PDF_KINDS = {"none": (), "workorder": ("workorder",), "forms": ("forms",), "both": ("workorder", "forms")}
PDF_NAMES = {"workorder": "werkbon", "forms": "formulieren"}


def invoice_description(number: str) -> str:
    """Always on the invoice, and unique per work order: how push finds the invoice again."""
    return f"Werkbon {wire_text(number)}"


def document_subject(number: str) -> str:
    """The subject of the work order's document, unique per work order: how push finds it again."""
    return f"Werkbon {wire_text(number)}"


def forms_document_subject(number: str) -> str:
    """The subject of the forms' own document, made before migration 911."""
    return f"Formulieren {wire_text(number)}"


def wire_text(text: str, *, lines: bool = False) -> str:
    """`text` as it may go to Exact: without control characters (NUL, escape, bell, ...), which
    no screen, print or export of Exact's should get. A tab is a space; a line break is kept
    (as \\n) in a field of `lines`, like the remarks, and a space in any other field."""
    if lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(_wire_char(char, lines) for char in text)


def _wire_char(char: str, lines: bool) -> str:
    if char == "\n" and lines:
        return char
    if char in "\t\n\r":
        return " "
    return "" if unicodedata.category(char) == "Cc" else char


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    item_code: str
    item_id: str | None  # None only in a dry run, for a settings item not in the store
    quantity: Decimal
    description: str = ""  # empty: Exact takes the item's description

    def wire(self) -> dict:
        line = {"Item": self.item_id, "Quantity": _number(self.quantity)}
        if self.description:
            line["Description"] = self.description
        return line

    def shown(self) -> dict:
        return {"item": self.item_code, "item_id": self.item_id, "quantity": _text(self.quantity),
                "description": self.description}


@dataclass(frozen=True)
class Pdf:
    kind: str  # workorder or forms
    file_name: str


@dataclass
class Invoice:
    number: str
    customer_id: str
    journal: str
    lines: list[Line]
    description: str
    your_ref: str = ""
    remarks: str = ""
    pdfs: list[Pdf] = field(default_factory=list)
    warnings: list[Msg] = field(default_factory=list)

    def wire(self, document: str | None = None) -> dict:
        """The POST body, carrying the work order's `document` when it has one. No Status: Exact makes
        a new invoice 20 (open, the draft office staff confirm)."""
        body = {"Journal": self.journal, "OrderedBy": self.customer_id, "Description": self.description,
                "SalesInvoiceLines": [line.wire() for line in self.lines]}
        if document:
            body["Document"] = document
        if self.your_ref:
            body["YourRef"] = self.your_ref
        if self.remarks:
            body["Remarks"] = self.remarks
        return body

    def shown(self) -> dict:
        return {"number": self.number, "customer": self.customer_id, "journal": self.journal,
                "description": self.description, "your_ref": self.your_ref, "remarks": self.remarks,
                "lines": [line.shown() for line in self.lines],
                "document": document_subject(self.number) if self.pdfs else None,
                "pdfs": [{"subject": document_subject(self.number), "file_name": p.file_name} for p in self.pdfs],
                "warnings": [str(warning) for warning in self.warnings]}


def build(order: dict, minutes: dict[str, int], materials: list[dict], settings: Settings,
          item_ids: dict[str, str | None], has_forms: bool) -> Invoice:
    """The invoice for `order` (a work_orders row) under `settings` (the verified settings).

    `minutes` is {"work": n, "travel": n}; `materials` are materials rows; `item_ids`
    maps the settings' item codes to their Exact IDs.
    """
    number = order["number"]
    lines = []
    for kind, setting in (("work", "work_time_item"), ("travel", "travel_time_item")):
        code = getattr(settings, setting)
        if code and minutes.get(kind):
            lines.append(Line(code, item_ids.get(code), hours(minutes[kind])))
    lines += [Line(m["item_code"], m["item_exact_id"], Decimal(m["quantity"]), wire_text(m["description"]).strip())
              for m in materials]
    if settings.default_item:
        lines.append(Line(settings.default_item, item_ids.get(settings.default_item), Decimal(1)))
    invoice = Invoice(number, order["customer_exact_id"], settings.journal, lines, invoice_description(number),
                      remarks=remarks(settings.memo, order["work_address"], order["description"]),
                      pdfs=pdfs(settings.pdfs, number, has_forms))
    reference = your_ref(settings.your_ref, number, order["customer_reference"])
    if len(reference) > YOUR_REF_MAX_LENGTH:
        invoice.warnings.append(msg("your reference {reference} is longer than Exact's {length} characters: "
                                    "sent as {sent}", reference=repr(reference), length=YOUR_REF_MAX_LENGTH,
                                    sent=repr(reference[:YOUR_REF_MAX_LENGTH])))
        reference = reference[:YOUR_REF_MAX_LENGTH]
    invoice.your_ref = reference
    return invoice


def remarks(memo: str, work_address: str, description: str) -> str:
    parts = {"none": (), "work_address": (work_address,), "work_description": (description,),
             "both": (work_address, description)}[memo]
    return "\n\n".join(text for text in (wire_text(part, lines=True).strip() for part in parts) if text)


def your_ref(setting: str, number: str, customer_reference: str) -> str:
    parts = {"none": (), "workorder_number": (number,), "customer_reference": (customer_reference,),
             "both": (number, customer_reference)}[setting]
    return " / ".join(text for text in (wire_text(part).strip() for part in parts) if text)


def pdfs(setting: str, number: str, has_forms: bool) -> list[Pdf]:
    """The PDFs for the customer's card. A work order without custom forms sends no forms PDF:
    it would only say that there are none."""
    return [pdf(kind, number) for kind in PDF_KINDS[setting] if kind != "forms" or has_forms]


def pdf(kind: str, number: str) -> Pdf:
    """The file name carries the work order number: how push finds the attachment again."""
    return Pdf(kind, f"{wire_text(number)}-{PDF_NAMES[kind]}.pdf")


@dataclass(frozen=True)
class Refusal:
    message: Msg
    action: Msg


@dataclass(frozen=True)
class ItemProblem:
    """Why a material's item cannot be invoiced, and what the office can do about it in Exact
    (`fix` empty: nothing brings it back)."""

    why: str | Msg
    fix: Msg | str = ""


# A list of any length as one message: "A, B, C" is "{first}, {rest}" nested.
COMMA_LIST, SEMICOLON_LIST = N_("{first}, {rest}"), N_("{first}; {rest}")


def listed(parts: list[str | Msg], template: str) -> str | Msg:
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = msg(template, first=part, rest=result)
    return result


def refusal(order: dict, customer: dict | None, address: dict | None, materials: list[dict],
            item_problem: Callable[[dict], ItemProblem | None], invoice: Invoice) -> Refusal | None:
    """Why this work order cannot become an invoice, or None.

    `customer` is the customers row with the work order's Exact customer ID (None when
    gone), `address` the work address row (None when gone), `item_problem` says of a
    materials row why its item cannot be invoiced (None when it can); it is only asked
    when everything before the materials is in order. Every action is one the user can
    take for an archived work order: its materials and hours can no longer be changed.
    """
    number = order["number"]
    label = " ".join(filter(None, (order["customer_code"], f"({order['customer_name']})" if order["customer_name"]
                                   else ""))) or "?"
    if not order["customer_code"] and not order["customer_exact_id"]:
        return Refusal(msg("work order {number} has no customer: an invoice needs a customer (debtor) from Exact",
                           number=number),
                       msg("give it one: exactsync workorder set-customer {number} --customer CODE; "
                           "the next push sends it", number=number))
    if not order["customer_exact_id"]:
        return Refusal(msg("work order {number}: customer {customer} is not from Exact, so it cannot be invoiced",
                           number=number, customer=label),
                       msg("exactsync workorder set-customer {number} --customer CODE, with a customer from Exact "
                           "(one added there arrives with the next pull)", number=number))
    if customer is None:
        return Refusal(msg("work order {number}: customer {customer} is no longer in Exact (deleted there and "
                           "removed by cleanup)", number=number, customer=label),
                       msg("restore the customer in Exact (the next pull and push send it), or "
                           "exactsync workorder set-customer {number} --customer CODE", number=number))
    if customer["inactive_reason"].startswith(NOT_A_CUSTOMER):
        # Exact refuses an invoice for it with a 500 (picqer#172): refused here, without the call.
        return Refusal(msg("work order {number}: customer {customer} {reason}, so Exact refuses an invoice for it",
                           number=number, customer=label, reason=mapping.reason_message(customer["inactive_reason"])),
                       msg("make the account a customer in Exact (status Customer) and the next pull and push "
                           "send it, or choose another customer: exactsync workorder set-customer {number} "
                           "--customer CODE", number=number))
    if not customer["active"]:
        inactive = msg("work order {number}: customer {customer} is inactive in Exact", number=number, customer=label)
        if customer["inactive_reason"]:
            reason = mapping.reason_message(customer["inactive_reason"])
            inactive = msg("{inactive} ({reason})", inactive=inactive, reason=reason)
        return Refusal(inactive, mapping.inactive_customer_action(customer["inactive_reason"], label, number))
    if address is None or address["customer_id"] != customer["id"]:
        return Refusal(msg("work order {number}: its work address is not linked to customer {customer}",
                           number=number, customer=label),
                       msg("choose one of its work addresses: exactsync workorder set-customer {number} --customer "
                           "{code} --work-address ID (see exactsync workaddress list {code}); the next push sends it",
                           number=number, code=order["customer_code"]))
    problems = {m["item_code"]: problem for m in materials if (problem := item_problem(m))}
    if problems:
        return material_refusal(number, problems)
    if not invoice.lines:
        return Refusal(msg("work order {number} has nothing to invoice: no booked time with a time item set, "
                           "no materials and no default item", number=number),
                       msg("set [settings] default_item (or the time item for the time it has booked) and run "
                           "exactsync check-settings; the next push sends it with the items then set"))
    return None


def material_refusal(number: str, problems: dict[str, ItemProblem]) -> Refusal:
    """The materials of an archived work order cannot be changed: the action is what the office
    can do in Exact, or, for an item that is gone for good, making the invoice there by hand."""
    items = listed([msg("{item} ({why})", item=repr(code), why=problem.why) for code, problem in problems.items()],
                   COMMA_LIST)
    message = nmsg("work order {number}: material item {items} cannot be invoiced",
                   "work order {number}: material items {items} cannot be invoiced", len(problems), number=number,
                   items=items)
    if all(problem.fix for problem in problems.values()):
        return Refusal(message, msg("{fixes}; the next pull and push send it",
                                    fixes=listed([problem.fix for problem in problems.values()], SEMICOLON_LIST)))
    return Refusal(message, msg("an item deleted in Exact cannot come back, and the materials of an archived work "
                                "order cannot be changed: make this invoice by hand in Exact (exactsync workorder "
                                "show {number} lists the lines)", number=number))


def _number(quantity: Decimal) -> int | float:
    """JSON for a quantity: 2 stays 2; 0.3333 becomes the float whose shortest text is 0.3333."""
    return int(quantity) if quantity == quantity.to_integral_value() else float(quantity)


def _text(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f")


# --- planning a work order's invoice ---------------------------------------------------

@dataclass
class Parts:
    """What `build` and `refusal` need of one work order, read from the store."""

    order: dict
    minutes: dict[str, int]
    materials: list[dict]
    has_forms: bool
    customer: dict | None
    address: dict | None
    items: dict[str, dict]  # the materials' items as the store holds them, by Exact ID


def read_parts(db: sqlite_utils.Database, order: dict) -> Parts:
    materials = invoice_materials(db, order["id"])
    return Parts(order, booked_minutes(db, order["id"]), materials, has_forms(db, order["id"]),
                 records.customer_by_exact_id(db, order["customer_exact_id"]),
                 addresses.by_key(db, order["work_address_key"]),
                 records.items_by_exact_id(db, [m["item_exact_id"] for m in materials if m["item_exact_id"]]))


def plan(parts: Parts, settings: Settings, item_ids: dict[str, str | None],
         exact_item: Callable[[str], dict | None] | None = None) -> tuple[Invoice, Refusal | None]:
    """The invoice and its refusal. `exact_item` reads an item from Exact (None: not there); without
    it (the dry run) a material that only Exact can judge counts as one that can be invoiced."""
    built = build(parts.order, parts.minutes, parts.materials, settings, item_ids, parts.has_forms)
    today = amsterdam_today()
    refused = refusal(
        parts.order, parts.customer, parts.address, parts.materials,
        lambda material: material_problem(material, parts.items.get(material["item_exact_id"]), exact_item, today),
        built)
    return built, refused


# Settings are never retroactive (manual 6.3): [settings] item_groups decides what can be picked from
# now on, not whether what was booked before can be invoiced. That needs the item to exist in Exact and
# to be a sales item there, not ended.

def material_problem(material: dict, stored: dict | None, exact_item: Callable[[str], dict | None] | None,
                     today: date) -> ItemProblem | None:
    """Why this material's item cannot be invoiced (None: it can). The store decides when Exact's
    own data made the item inactive there (pull and cleanup keep such a row in step with Exact
    while a work order not yet in Exact books it); Exact is asked when only the item groups
    setting made it inactive, or the store no longer has it."""
    item_id, code = material["item_exact_id"], material["item_code"]
    if not item_id:
        return ItemProblem(msg("is not an item from Exact"))
    if stored is not None:
        if stored["active"]:
            return None
        if not mapping.only_outside_item_groups(stored["inactive_reason"]):
            return item_problem(code, stored["inactive_reason"])
        if ended := mapping.ended_reason(stored["end_date"], today):
            return item_problem(code, ended)
    if exact_item is None:
        return None
    item = exact_item(item_id)
    if item is None:
        return ItemProblem(msg("is no longer in Exact"))
    why = mapping.item_inactive_reason(item, today)
    return item_problem(code, why) if why else None


def item_problem(code: str, why: str) -> ItemProblem:
    return ItemProblem(mapping.reason_message(why) if why else msg("is inactive in Exact"),
                       mapping.fix_for("item", why, repr(code)) or "")


def local_item_ids(db: sqlite_utils.Database, codes) -> dict[str, str]:
    return {code: item_id for code in codes if (item_id := records.active_item_exact_id(db, code))}


def setting_item_codes(settings: Settings) -> dict[str, str]:
    return {code: name for name in ITEM_SETTINGS if (code := getattr(settings, name))}
