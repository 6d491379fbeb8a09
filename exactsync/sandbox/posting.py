"""POST, PUT and DELETE with Exact's validation.

Like Exact: missing fields answer 400 ("Verplicht: ..."), references to
records that do not exist answer 500 ("Ongeldige referentie: ..."), several
messages are joined by CRLF, and nothing is stored when any check fails.
There is no idempotency: the same POST twice makes two records.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from exactsync.sandbox.data import Administration, local_now
from exactsync.sandbox.schema import INVOICE, INVOICE_LINE, Entity

BAD_BODY = "Error processing request stream. The request should be a valid top-level resource object."
# A POST may carry at most 10.0 MB, binaries counted by their bytes, not their base64 (EXDOC API_limits).
# Whether MB means 10**6 or 2**20 bytes is not said: the sandbox takes the stricter reading. What Exact
# answers to a bigger request is undocumented; the sandbox answers 413 with the limit in the message.
MAX_POST_BYTES = 10_000_000
WIRE_DATE = re.compile(r"^/Date\((-?\d+)\)/$")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class Problems:
    """Collects Exact's messages; missing fields are 400, bad references make it 500."""

    def __init__(self):
        self.messages: list[str] = []
        self.status = 400

    def missing(self, label: str):
        self.messages.append(f"Verplicht: {label}")

    def invalid(self, message: str):
        self.messages.append(message)

    def bad_reference(self, label: str):
        self.messages.append(f"Ongeldige referentie: {label}")
        self.status = 500

    def business_rule(self, message: str):
        self.messages.append(message)
        self.status = 500

    def raise_any(self):
        if self.messages:
            raise ApiError(self.status, "\r\n".join(self.messages))


class Posting:
    def __init__(self, admin: Administration, entity: Entity, base_url: str):
        self.admin = admin
        self.entity = entity
        self.base_url = base_url

    def create(self, body: bytes) -> dict:
        data = self.parse_body(body, self.entity.schema, self.entity.wire_type)
        if post_size(body, data, self.entity.schema) > MAX_POST_BYTES:
            raise ApiError(413, f"Request Entity Too Large: a request may carry at most {MAX_POST_BYTES} bytes.")
        create = {"invoices": self.create_invoice, "documents": self.create_document,
                  "attachments": self.create_attachment}[self.entity.table]
        return create(data)

    def update(self, key, body: bytes):
        row = self.existing(key)
        changes = self.parse_body(body, self.entity.schema, self.entity.wire_type)
        changes.pop(self.entity.key, None)
        if "SalesInvoiceLines" in changes:
            raise ApiError(400, "SalesInvoiceLines cannot be changed with PUT on the invoice: "
                                "use salesinvoice/SalesInvoiceLines")
        problems = Problems()
        check_linked_document(changes, self.admin, problems)
        problems.raise_any()
        row.update(changes)
        row["Modified"] = local_now()

    def delete(self, key):
        self.existing(key)
        del getattr(self.admin, self.entity.table)[key]

    def existing(self, key) -> dict:
        row = getattr(self.admin, self.entity.table).get(key)
        if row is None:
            raise ApiError(404, "Resource not found.")
        return row

    # -- parsing -----------------------------------------------------------------------------------

    @staticmethod
    def parse_body(body: bytes, schema: dict[str, str], wire_type: str) -> dict:
        try:
            data = json.loads(body.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, BAD_BODY) from None
        if not isinstance(data, dict):
            raise ApiError(400, BAD_BODY)
        return {name: convert(schema, wire_type, name, value) for name, value in data.items()
                if name != "__metadata"}

    # -- the three entities one can create ---------------------------------------------------------

    def create_invoice(self, data: dict) -> dict:
        admin, problems = self.admin, Problems()
        journal_code = data.get("Journal") or "70"
        journal = next((j for j in admin.journals.values() if j["Code"] == journal_code), None)
        if journal is None:
            problems.bad_reference(f"Dagboek ({journal_code})")
        elif journal["Type"] != 20:
            problems.business_rule("Ongeldig dagboek. Het dagboek moet een verkoopboek zijn."
                                   " (Invalid journal. The journal must be a sales journal.)")
        ordered_by = data.get("OrderedBy")
        if ordered_by is None:
            problems.missing("Besteld door")
        elif ordered_by not in admin.accounts:
            problems.bad_reference(f"Besteld door ({ordered_by})")
        for field, label in (("InvoiceTo", "Factuur voor"), ("DeliverTo", "Leveren aan")):
            if data.get(field) and data[field] not in admin.accounts:
                problems.bad_reference(f"{label} ({data[field]})")
        invoice_to = admin.accounts.get(data.get("InvoiceTo") or ordered_by or "")
        if invoice_to is not None and invoice_to["Status"] != "C":
            # An invoice for an account that is not a customer: 500 "Ongeldig: Factuur voor (Type)" (picqer#172).
            problems.business_rule("Ongeldig: Factuur voor (Type)")
        check_linked_document(data, admin, problems)
        raw_lines = data.get("SalesInvoiceLines") or []
        if not raw_lines:
            problems.missing("Factuurregels")
        lines = [self.invoice_line(raw, problems) for raw in raw_lines]
        problems.raise_any()
        now = local_now()
        invoice_id = admin.new_guid()
        for number, line in enumerate(lines, start=1):
            line.update(InvoiceID=invoice_id, LineNumber=number)
        amount = sum((line["AmountFC"] for line in lines), Decimal("0"))
        invoice_date = data.get("InvoiceDate") or now.replace(hour=0, minute=0, second=0, microsecond=0)
        invoice = {name: None for name in INVOICE} | data | {
            "InvoiceID": invoice_id, "Journal": journal_code, "OrderedByName": admin.accounts[ordered_by]["Name"],
            "InvoiceTo": data.get("InvoiceTo") or ordered_by, "DeliverTo": data.get("DeliverTo") or ordered_by,
            "Type": data.get("Type") or 8020, "Status": 20, "InvoiceNumber": None, "InvoiceDate": invoice_date,
            "OrderDate": data.get("OrderDate") or invoice_date,
            "DueDate": data.get("DueDate") or invoice_date + timedelta(days=30),
            "OrderNumber": data.get("OrderNumber") or admin.order_number, "Currency": data.get("Currency") or "EUR",
            "AmountDC": amount, "AmountFC": amount, "VATAmountFC": Decimal("0"),
            "Created": now, "Modified": now, "Division": admin.division, "SalesInvoiceLines": lines,
        }
        # A draft has its OrderNumber from creation, unless the POST gave one; its InvoiceNumber comes when
        # the office processes it (EXDOC SalesInvoices: "Assigned at entry or at printing depending on setting").
        admin.order_number += 1
        admin.invoices[invoice_id] = invoice
        return invoice

    def invoice_line(self, raw, problems: Problems) -> dict:
        if not isinstance(raw, dict):
            raise ApiError(400, BAD_BODY)
        data = {name: convert(INVOICE_LINE, "Exact.Web.Api.Models.SalesInvoiceLine", name, value)
                for name, value in raw.items() if name != "__metadata"}
        item = self.admin.items.get(data.get("Item") or "")
        if data.get("Item") is None:
            problems.missing("Artikel")
        elif item is None:
            problems.bad_reference(f"Artikel ({data['Item']})")
        quantity = data.get("Quantity", Decimal("1"))
        unit_price = data.get("UnitPrice")
        if unit_price is None and "NetPrice" not in data and item is not None:
            unit_price = item["StandardSalesPrice"]
        net_price = data.get("NetPrice", unit_price)
        amount = (Decimal(str(net_price or 0)) * Decimal(str(quantity))).quantize(Decimal("0.01"))
        return {name: None for name in INVOICE_LINE} | data | {
            "ID": self.admin.new_guid(), "ItemCode": item["Code"] if item else None,
            "Description": data.get("Description") or (item["Description"] if item else None),
            "Quantity": quantity, "UnitPrice": unit_price or Decimal("0"), "NetPrice": net_price,
            "AmountFC": amount, "AmountDC": amount, "VATCode": data.get("VATCode") or "2  ",
            "Division": self.admin.division,
        }

    def create_document(self, data: dict) -> dict:
        admin, problems = self.admin, Problems()
        if not data.get("Subject"):
            problems.missing("Onderwerp")
        if data.get("Type") is None:
            problems.missing("Soort")
        elif data["Type"] not in admin.document_types:
            problems.bad_reference(f"Soort ({data['Type']})")
        elif not admin.document_types[data["Type"]]["DocumentIsCreatable"]:
            # DocumentTypes says whether a type's documents can be created (picqer DocumentType.php);
            # what Exact answers when one is posted anyway is not reported: Exact's error body with a 400.
            problems.invalid(f"Ongeldig: Soort ({data['Type']}): documenten van dit soort kunnen niet worden "
                             "aangemaakt")
        if data.get("Account") and data["Account"] not in admin.accounts:
            problems.bad_reference(f"Relatie ({data['Account']})")
        problems.raise_any()
        now = local_now()
        guid = admin.new_guid()
        document = {name: None for name in self.entity.schema} | data | {
            "ID": guid, "TypeDescription": admin.document_types[data["Type"]]["Description"],
            "DocumentDate": data.get("DocumentDate") or now.replace(hour=0, minute=0, second=0, microsecond=0),
            "Created": now, "Modified": now, "Division": admin.division,
        }
        admin.documents[guid] = document
        return document

    def create_attachment(self, data: dict) -> dict:
        """An attachment on an existing document; a document may hold several (EXDOC DocumentAttachments:
        each attachment names its Document), so nothing limits how many one document gets."""
        admin, problems = self.admin, Problems()
        if data.get("Document") is None:
            problems.missing("Document")
        elif data["Document"] not in admin.documents:
            problems.bad_reference(f"Document ({data['Document']})")
        if not data.get("FileName"):
            problems.missing("Bestandsnaam")
        if data.get("Attachment") is None:
            problems.missing("Bijlage")
        problems.raise_any()
        guid = admin.new_guid()
        attachment = {
            "ID": guid, "Document": data["Document"], "FileName": data["FileName"],
            "FileSize": Decimal(len(data["Attachment"])), "Attachment": data["Attachment"],
            "Url": f"{self.base_url}/docs/SysAttachment.aspx?ID={guid}&_Division_={admin.division}",
            "Division": admin.division,
        }
        admin.attachments[guid] = attachment
        return attachment


def check_linked_document(data: dict, admin: Administration, problems: Problems) -> None:
    """An invoice's Document is the GUID of a document linked to it ("Document that is manually linked
    to the invoice"), writable on the POST and on PUT salesinvoice/SalesInvoices(guid'...') (PS
    SalesInvoices.php; EXDOC SalesInvoices; Exact's guide posts the document and its attachments, then
    the entry with Document: EXDOC Create_an_entry_with_attachment.md; NG attach-file-invoice.ts PUTs it
    later). One that does not exist is a bad reference: 500, nothing changed, as for every other
    reference (picqer#249, #452)."""
    if data.get("Document") and data["Document"] not in admin.documents:
        problems.bad_reference("Document")


def post_size(body: bytes, data: dict, schema: dict[str, str]) -> int:
    """The size the limit applies to: the request, with each binary counted as its bytes
    instead of its base64 text (4 characters per 3 bytes, padded)."""
    binaries = [value for name, value in data.items() if schema.get(name) == "bytes" and value]
    return len(body) - sum(4 * -(-len(value) // 3) - len(value) for value in binaries)


def convert(schema: dict[str, str], wire_type: str, name: str, value):
    """A JSON value to the Python value of the field's type, with Exact's conversion errors."""
    kind = schema.get(name)
    if kind is None:
        raise ApiError(400, f"The property '{name}' does not exist on type '{wire_type}'. "
                            "Make sure to only use property names that are defined by the type.")
    if value is None or kind == "lines":
        return value
    try:
        return _CONVERTERS[kind](value)
    except (ValueError, TypeError, ArithmeticError, binascii.Error):
        target = {"guid": "System.Guid", "bytes": "Byte[]", "date": "System.DateTime", "int": "System.Int32",
                  "int64": "System.Int64", "decimal": "System.Double", "bool": "System.Boolean",
                  "str": "System.String"}[kind]
        raise ApiError(400, f"Error encountered in converting the value from request payload for property "
                            f"'{name}' to type '{target}', which is the property's expected type. "
                            "See inner exception for more detail.") from None


def _guid(value) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return str(uuid.UUID(value))


def _date(value) -> datetime:
    if not isinstance(value, str):
        raise TypeError(value)
    if match := WIRE_DATE.match(value):
        return datetime(1970, 1, 1) + timedelta(milliseconds=int(match[1]))
    return datetime.fromisoformat(value.replace("Z", "")).replace(tzinfo=None)


def _bytes(value) -> bytes:
    if not isinstance(value, str):
        raise TypeError(value)
    return base64.b64decode(value, validate=True)


def _strict(kind):
    def check(value):
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise TypeError(value)
        return value
    return check


_CONVERTERS = {
    "guid": _guid, "date": _date, "bytes": _bytes, "str": _strict(str), "bool": _strict(bool),
    "int": lambda v: int(_strict((int, str))(v)), "int64": lambda v: int(_strict((int, str))(v)),
    "decimal": lambda v: Decimal(str(_strict((int, Decimal, str))(v))),
}
