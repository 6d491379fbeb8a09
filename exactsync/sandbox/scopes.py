"""Exact's app scopes, as Exact states them: the endpoints each scope opens, and the two levels an
app can be given a scope at (exact-online-api.md §10-11).

Since about October 2024 an app may only call the endpoints of the scopes ticked for it in the App
Center, each ticked read-only or read/write (EP; INV 1756, 3060); any other call gets 403 "Forbidden -
Application Scope Violated" (picqer#453, #509, #659). The scope names are the "Scope" field of Exact's
REST reference pages (start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx), as copied into public
repositories: crm/Accounts "Crm accounts"; sync/Deleted "Organization administration" (EXDOC
.resources/Deleted.md); the families as EP groups them: Crm accounts (accounts, addresses, sync CRM),
Logistics items (items, item groups, sync items), Financial generalledgers (journals), Sales invoices,
Organization documents, Organization administration (divisions, sync/Deleted). current/Me and
hrm/Divisions are listed there with no scope ("-"). Only the endpoints the sandbox serves are listed.

This table is the sandbox's own on purpose: the client keeps its own in exactsync.exact.scopes, and a
test compares the two, so a wrong fact on one side shows up instead of being mirrored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from exactsync.i18n import msg

READ = "read"
READ_WRITE = "read/write"

ENDPOINTS: dict[str, tuple[str, ...]] = {
    "Organization administration": ("system/Divisions", "sync/Deleted"),
    "Crm accounts": ("crm/Accounts", "crm/Addresses", "sync/CRM/Accounts", "sync/CRM/Addresses"),
    "Logistics items": ("logistics/Items", "logistics/ItemGroups", "sync/Logistics/Items"),
    "Financial generalledgers": ("financial/Journals",),
    # sync/SalesInvoice/SalesInvoices with them as each family's sync endpoint goes with its scope in EP (sync CRM,
    # sync items); no page states it for this one.
    "Sales invoices": ("salesinvoice/SalesInvoices", "sync/SalesInvoice/SalesInvoices"),
    "Organization documents": ("documents/Documents", "documents/DocumentAttachments", "documents/DocumentTypes"),
}
_BY_PATH = {path.lower(): scope for scope, paths in ENDPOINTS.items() for path in paths}


def scope_of(path: str) -> str | None:
    """The scope a call on `path` (after the division; with or without key, navigation, `/$count` or
    query) needs; None for one that needs none."""
    entity = path.split("?", 1)[0].split("(", 1)[0].removesuffix("/$count").strip("/")
    return _BY_PATH.get(entity.lower())


def grants(names: Iterable[str], read_only: Iterable[str] = ()) -> dict[str, str]:
    """The app's scopes as scope -> level: those in `read_only` (a part of `names`) read-only, the others
    read/write."""
    granted = dict.fromkeys(names, READ_WRITE) | dict.fromkeys(read_only, READ)
    unknown = sorted(set(granted) - set(ENDPOINTS))
    if unknown:
        raise ValueError(msg("unknown scope {scope}; known: {scopes}", scope=repr(unknown[0]),
                             scopes=", ".join(ENDPOINTS)))
    return granted


def allows(granted: Mapping[str, str], scope: str, method: str) -> bool:
    """Whether an app with `granted` scopes may make a `method` call on an endpoint of `scope`: a
    read-only scope allows reads only."""
    level = granted.get(scope)
    return level == READ_WRITE or (level == READ and method == "GET")
