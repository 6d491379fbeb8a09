"""What push reads from Exact: a step's record looked up after its answer was lost, and the items an
invoice needs.

Exact documents filters on key fields, not on text: bulk DocumentAttachments takes only Document
and ID, and "Filtering on these fields is not supported" 400s are known (Pi-Systems Bulk/Documents,
picqer#500, #532). So the lookups filter on the GUID they were posted with, read every page of
that record's invoices, documents or attachments with only the fields needed, and compare the
text here, exactly (Exact's own comparison ignores case and trailing spaces). No date narrows
them: a missed record would be posted twice, and a customer's invoices are a few pages at most.
"""

from __future__ import annotations

from exactsync.config import Settings
from exactsync.errors import ExactsyncError
from exactsync.exact import odata
from exactsync.i18n import msg
from exactsync.sync import mapping
from exactsync.sync.invoice import local_item_ids, setting_item_codes
from exactsync.timeutil import amsterdam_today

INVOICE_ENDPOINT = "salesinvoice/SalesInvoices"
ITEM_FIELDS = "ID,Code,IsSalesItem,StartDate,EndDate"


def find_invoice(client, description: str, customer_id: str) -> tuple[str, int | None] | None:
    """The invoice's ID and OrderNumber (the draft's number in Exact's list)."""
    row = _find(client, INVOICE_ENDPOINT, {"$filter": f"OrderedBy eq {odata.guid(customer_id)}"},
                "InvoiceID,OrderNumber", "Description", description)
    return (row["InvoiceID"], row.get("OrderNumber")) if row else None


def find_document(client, subject: str, customer_id: str) -> str | None:
    row = _find(client, "documents/Documents", {"$filter": f"Account eq {odata.guid(customer_id)}"},
                "ID", "Subject", subject)
    return row["ID"] if row else None


def find_attachment(client, document_id: str, file_name: str) -> str | None:
    row = _find(client, "documents/DocumentAttachments", {"$filter": f"Document eq {odata.guid(document_id)}"},
                "ID", "FileName", file_name)
    return row["ID"] if row else None


def _find(client, path: str, query: dict, fields: str, text_field: str, text: str) -> dict | None:
    """The first row whose `text_field` is exactly `text`; stops at the page that has it."""
    for page in client.pages(path, query | {"$select": f"{fields},{text_field}"}):
        found = next((row for row in page if row.get(text_field) == text), None)
        if found:
            return found
    return None


class ExactItems:
    """The items an invoice needs, read from Exact at most once per run."""

    def __init__(self, client, db, settings: Settings):
        self.client = client
        self.db = db
        self.settings = settings
        self._ids: dict[str, str] | None = None
        self._items: dict[str, dict | None] = {}

    def ids(self) -> dict[str, str]:
        """The settings' item codes -> Exact IDs: from the store, else asked of Exact once per run
        (an item outside the pulled item groups can still be the work-time item)."""
        if self._ids is None:
            codes = setting_item_codes(self.settings)
            found = local_item_ids(self.db, codes)
            for code, setting in codes.items():
                if code not in found:
                    found[code] = self.id_of(code, setting)
            self._ids = found
        return self._ids

    def item(self, item_id: str) -> dict | None:
        """An item as Exact has it now (None: not there): a material's item that the store has
        inactive only because of the item groups setting, or no longer has. By $filter, not by
        key: a key Exact does not know is a 404, and 404s count towards the 10 errors an hour
        after which Exact blocks the app (ZAP); this may be asked every run."""
        if item_id not in self._items:
            rows = self.client.get("logistics/Items", {"$filter": f"ID eq {odata.guid(item_id)}",
                                                       "$select": ITEM_FIELDS})
            self._items[item_id] = rows[0] if rows else None
        return self._items[item_id]

    def id_of(self, code: str, setting: str) -> str:
        rows = self.client.get("logistics/Items", {"$filter": f"Code eq {odata.quote(code)}", "$select": ITEM_FIELDS})
        item = next((r for r in rows if str(r.get("Code", "")).strip() == code), None)
        why = "does not exist in Exact" if item is None else mapping.item_inactive_reason(item, amsterdam_today())
        if why:
            raise ExactsyncError(msg("item {code} of [settings] {setting} {why}: correct the setting and run "
                                     "exactsync check-settings; nothing was sent", code=code, setting=setting,
                                     why=msg("does not exist in Exact") if item is None
                                     else mapping.reason_message(why)))
        return item["ID"]
