"""The entities the sandbox serves: endpoint path, field types, key, paging.

One declarative entry per endpoint; the server's behaviour is written once
against these. Field types drive `$filter` typing, `$select` checks and the
wire format (`/Date(ms)/`, Int64 as strings).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 60
SYNC_PAGE_SIZE = 1000


def fields(spec: str) -> dict[str, str]:
    return dict(part.split(":") for part in spec.split())


ACCOUNT = fields(
    "ID:guid Code:str Name:str SearchCode:str AddressLine1:str AddressLine2:str AddressLine3:str "
    "Postcode:str City:str Country:str Email:str Phone:str VATNumber:str Status:str Blocked:bool "
    "IsSales:bool IsSupplier:bool IsPurchase:bool StartDate:date EndDate:date Type:str "
    "Created:date Modified:date Division:int")
ADDRESS = fields(
    "ID:guid Account:guid AccountName:str Type:int Main:bool AddressLine1:str AddressLine2:str "
    "AddressLine3:str Postcode:str City:str Country:str Warehouse:guid Created:date Modified:date Division:int")
ITEM = fields(
    "ID:guid Code:str Description:str ExtraDescription:str ItemGroup:guid ItemGroupCode:str "
    "ItemGroupDescription:str IsSalesItem:bool IsPurchaseItem:bool IsStockItem:bool StartDate:date "
    "EndDate:date Unit:str UnitDescription:str StandardSalesPrice:decimal CostPriceStandard:decimal "
    "SalesVatCode:str Created:date Modified:date Division:int")
ITEM_GROUP = fields("ID:guid Code:str Description:str IsDefault:bool Created:date Modified:date Division:int")
JOURNAL = fields("ID:guid Code:str Description:str Type:int Division:int")
DIVISION = fields(
    "Code:int Description:str Hid:int64 Current:bool Status:int BlockingStatus:int "
    "DivisionMoveDate:date Country:str Currency:str Customer:guid Created:date Modified:date")
HRM_DIVISION = fields("Code:int Description:str HID:int64 Main:bool Customer:guid")
ME = fields(
    "CurrentDivision:int UserID:guid UserName:str FullName:str Email:str LanguageCode:str "
    "Legislation:int64 AccountingDivision:int DivisionCustomer:guid ServerTime:str ServerUtcOffset:int")
INVOICE = fields(
    "InvoiceID:guid Journal:str OrderedBy:guid OrderedByName:str InvoiceTo:guid DeliverTo:guid Type:int "
    "Status:int InvoiceNumber:int InvoiceDate:date OrderDate:date DueDate:date OrderNumber:int YourRef:str "
    "Description:str Remarks:str Currency:str AmountDC:decimal AmountFC:decimal VATAmountFC:decimal "
    "Document:guid Created:date Modified:date Division:int SalesInvoiceLines:lines")
INVOICE_LINE = fields(
    "ID:guid InvoiceID:guid LineNumber:int Item:guid ItemCode:str Description:str Quantity:decimal "
    "UnitPrice:decimal NetPrice:decimal AmountFC:decimal AmountDC:decimal Notes:str VATCode:str "
    "GLAccount:guid Division:int")
# Fields as picqer's DocumentType.php copies them from Exact's reference page (exact-online-api.md section 10).
DOCUMENT_TYPE = fields(
    "ID:int Description:str TypeCategory:int DocumentIsCreatable:bool DocumentIsUpdatable:bool "
    "DocumentIsDeletable:bool DocumentIsViewable:bool Created:date Modified:date")
DOCUMENT = fields(
    "ID:guid Account:guid Subject:str Type:int TypeDescription:str Body:str DocumentDate:date "
    "FinancialTransactionEntryID:guid Created:date Modified:date Division:int")
ATTACHMENT = fields("ID:guid Document:guid FileName:str FileSize:decimal Attachment:bytes Url:str Division:int")
DELETED = fields("ID:guid EntityKey:guid EntityType:int DeletedDate:date DeletedBy:guid Division:int Timestamp:int64")

SYNCED = {"Timestamp": "int64"}

# Filtering documents on Subject or attachments on FileName is not documented; bulk DocumentAttachments
# takes Document and ID only (Pi-Systems src/Entity/Bulk/Documents), and Exact refuses other fields with
# "Filtering on these fields is not supported: ..." (picqer#500, #532). The sandbox holds clients to that.
NOT_FILTERED_TEXT = ("Subject", "FileName")

ACCOUNT_MANDATORY = ("Accountant, AccountManager, Code, Created, ID, Modified, Name, Parent, "
                     "Reseller, SearchCode, Status, VATNumber")


@dataclass(frozen=True)
class Entity:
    path: str                       # e.g. "crm/Accounts"
    table: str                      # the Administration table it reads
    wire_type: str                  # __metadata.type
    schema: dict[str, str]
    key: str = "ID"
    sync: bool = False              # Timestamp paging, `Timestamp gt NL` only, $select required
    mandatory_filter: str = ""      # fields named in the 400 when $filter is missing
    methods: tuple[str, ...] = ("GET",)
    division_scoped: bool = True
    # text fields a $filter may not name: 400 "Filtering on these fields is not supported"
    unfilterable: tuple[str, ...] = ()


ENTITIES = [
    Entity("current/Me", "me", "Exact.Web.Api.System.Me", ME, key="UserID", division_scoped=False),
    Entity("system/Divisions", "divisions", "Exact.Web.Api.Models.System.Division", DIVISION, key="Code"),
    Entity("hrm/Divisions", "divisions", "Exact.Web.Api.Models.HRM.Division", HRM_DIVISION, key="Code"),
    Entity("financial/Journals", "journals", "Exact.Web.Api.Models.Journal", JOURNAL),
    Entity("logistics/ItemGroups", "item_groups", "Exact.Web.Api.Models.ItemGroup", ITEM_GROUP),
    Entity("crm/Accounts", "accounts", "Exact.Web.Api.Models.Account", ACCOUNT, mandatory_filter=ACCOUNT_MANDATORY),
    Entity("crm/Addresses", "addresses", "Exact.Web.Api.Models.Address", ADDRESS,
           mandatory_filter="Account, ID, Type"),
    Entity("logistics/Items", "items", "Exact.Web.Api.Models.Item", ITEM,
           mandatory_filter="Code, Created, ID, ItemGroup, Modified"),
    Entity("sync/CRM/Accounts", "accounts", "Exact.Web.Api.Models.Sync.CRM.Account", ACCOUNT | SYNCED,
           key="Timestamp", sync=True),
    Entity("sync/CRM/Addresses", "addresses", "Exact.Web.Api.Models.Sync.CRM.Address", ADDRESS | SYNCED,
           key="Timestamp", sync=True),
    Entity("sync/Logistics/Items", "items", "Exact.Web.Api.Models.Sync.Logistics.Item",
           {k: v for k, v in ITEM.items() if k != "StandardSalesPrice"} | SYNCED, key="Timestamp", sync=True),
    Entity("sync/Deleted", "deleted", "Exact.Web.Api.Models.Sync.Deleted", DELETED, key="Timestamp", sync=True),
    # Sales invoices have a sync endpoint (EP: Exact's endpoint table); a draft shows up there when posted
    # and again whenever it changes, e.g. when the office processes it (Status 50, InvoiceNumber set).
    Entity("sync/SalesInvoice/SalesInvoices", "invoices", "Exact.Web.Api.Models.Sync.SalesInvoice.SalesInvoice",
           {k: v for k, v in INVOICE.items() if v != "lines"} | SYNCED, key="Timestamp", sync=True),
    Entity("salesinvoice/SalesInvoices", "invoices", "Exact.Web.Api.Models.SalesInvoice", INVOICE,
           key="InvoiceID", methods=("GET", "POST", "PUT")),
    Entity("documents/DocumentTypes", "document_types", "Exact.Web.Api.Models.DocumentType", DOCUMENT_TYPE),
    Entity("documents/Documents", "documents", "Exact.Web.Api.Models.Document", DOCUMENT,
           methods=("GET", "POST", "PUT", "DELETE"), unfilterable=NOT_FILTERED_TEXT),
    Entity("documents/DocumentAttachments", "attachments", "Exact.Web.Api.Models.DocumentAttachment", ATTACHMENT,
           methods=("GET", "POST", "DELETE"), unfilterable=NOT_FILTERED_TEXT),
]
BY_PATH = {e.path.lower(): e for e in ENTITIES}

# sync/Deleted EntityType per table (Exact's enumeration: EX-DEMO DeletedEntityType.cs; EXDOC Deleted.md:
# 4 attachments, 6 documents, 13 sales invoices)
DELETED_TYPE = {"accounts": 2, "addresses": 3, "attachments": 4, "documents": 6, "items": 9, "invoices": 13}
