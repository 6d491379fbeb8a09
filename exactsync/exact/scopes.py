"""The scopes of an Exact app: which one each endpoint exactsync calls needs.

An app may only call the endpoints of the scopes ticked for it in the App Center; any
other call gets 403 "Forbidden - Application Scope Violated" (picqer#453, #509, #659).
The names are the "Scope" field of Exact's REST reference pages
(start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx), as copied into public
repositories: crm/Accounts "Crm accounts"; sync/Deleted "Organization administration"
(EXDOC .resources/Deleted.md); the other rows from the same field of each endpoint's page.
current/Me and hrm/Divisions are listed there with no scope ("-").

The App Center offers each scope read-only or read/write ("manage") (EP; INV 1756, 3060): exactsync
writes only sales invoices and documents, so those need manage and the others read.
"""

from __future__ import annotations

from exactsync.i18n import Msg, msg

SCOPES: dict[str, tuple[str, ...]] = {
    "Organization administration": ("system/Divisions", "sync/Deleted"),
    "Crm accounts": ("crm/Accounts", "crm/Addresses", "sync/CRM/Accounts", "sync/CRM/Addresses"),
    "Logistics items": ("logistics/Items", "logistics/ItemGroups", "sync/Logistics/Items"),
    "Financial generalledgers": ("financial/Journals",),
    # sync/SalesInvoice/SalesInvoices with them as each family's sync endpoint goes with its scope in EP (sync CRM,
    # sync items); no page states it for this one.
    "Sales invoices": ("salesinvoice/SalesInvoices", "sync/SalesInvoice/SalesInvoices"),
    "Organization documents": ("documents/Documents", "documents/DocumentAttachments", "documents/DocumentTypes"),
}
_BY_PATH = {path.lower(): scope for scope, paths in SCOPES.items() for path in paths}
# The scopes exactsync writes through (push's invoices and documents); it only reads through the others.
WRITTEN = frozenset({"Sales invoices", "Organization documents"})


def scope_of(path: str) -> str | None:
    """The scope endpoint `path` needs (None: none, or not one exactsync calls). `path` is the part
    after the division, with or without a key, navigation, `/$count` or query."""
    entity = path.split("?", 1)[0].split("(", 1)[0].removesuffix("/$count").strip("/")
    return _BY_PATH.get(entity.lower())


def tick_action(scope: str) -> Msg:
    """What the admin does about a missing scope ("": one exactsync has no name for)."""
    if not scope:
        return msg("tick the scope of that endpoint for this app in Exact's App Center, then run exactsync connect")
    if scope in WRITTEN:
        return msg("tick \"{scope}\" as manage (read/write) for this app in Exact's App Center, then run "
                   "exactsync connect", scope=scope)
    return msg("tick \"{scope}\" as read-only (or manage) for this app in Exact's App Center, then run "
               "exactsync connect", scope=scope)

