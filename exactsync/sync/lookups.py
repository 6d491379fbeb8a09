"""What a push step may have created, looked up in Exact after an answer was lost.

Exact documents filters on key fields, not on text: bulk DocumentAttachments takes only Document
and ID, and "Filtering on these fields is not supported" 400s are known (Pi-Systems Bulk/Documents,
picqer#500, #532). So the lookups filter on the GUID they were posted with, read every page of
that record's invoices, documents or attachments with only the fields needed, and compare the
text here, exactly (Exact's own comparison ignores case and trailing spaces). No date narrows
them: a missed record would be posted twice, and a customer's invoices are a few pages at most.
"""

from __future__ import annotations

from exactsync.exact import odata

INVOICE_ENDPOINT = "salesinvoice/SalesInvoices"


def find_invoice(client, description: str, customer_id: str) -> str | None:
    return _find(client, INVOICE_ENDPOINT, {"$filter": f"OrderedBy eq {odata.guid(customer_id)}"},
                 "InvoiceID", "Description", description)


def find_link(client, invoice_id: str, documents: set[str]) -> str | None:
    """The document the invoice links, when it is one of `documents` (its work order's)."""
    linked = _find(client, INVOICE_ENDPOINT, {"$filter": f"InvoiceID eq {odata.guid(invoice_id)}"},
                   "Document", "InvoiceID", invoice_id)
    return linked if linked in documents else None


def find_document(client, subject: str, customer_id: str) -> str | None:
    return _find(client, "documents/Documents", {"$filter": f"Account eq {odata.guid(customer_id)}"},
                 "ID", "Subject", subject)


def find_attachment(client, document_id: str, file_name: str) -> str | None:
    return _find(client, "documents/DocumentAttachments", {"$filter": f"Document eq {odata.guid(document_id)}"},
                 "ID", "FileName", file_name)


def _find(client, path: str, query: dict, key: str, text_field: str, text: str) -> str | None:
    """The `key` of the first row whose `text_field` is exactly `text`; stops at the page that has it."""
    for page in client.pages(path, query | {"$select": f"{key},{text_field}"}):
        found = next((row[key] for row in page if row.get(text_field) == text), None)
        if found:
            return found
    return None
