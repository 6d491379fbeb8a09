"""Rows to Exact's wire format: JSON entities with `__metadata`, and the Atom
feed a client gets when it forgets `Accept: application/json`."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from exactsync.sandbox.odata import wire_value
from exactsync.sandbox.schema import INVOICE_LINE, Entity

LINE_TYPE = "Exact.Web.Api.Models.SalesInvoiceLine"


def literal(kind: str, value) -> str:
    """A key as it appears in a URL: guid'…', 123L, 'text', 42."""
    if kind == "guid":
        return f"guid'{value}'"
    if kind == "int64":
        return f"{value}L"
    if kind == "str":
        return "'" + str(value).replace("'", "''") + "'"
    return str(value)


def entity_uri(entity: Entity, row: dict, base_url: str, division: int) -> str:
    prefix = f"{base_url}/api/v1/" + ("" if not entity.division_scoped else f"{division}/")
    return f"{prefix}{entity.path}({literal(entity.schema[entity.key], row[entity.key])})"


def entity(entity: Entity, row: dict, select, expand: set[str], base_url: str, division: int) -> dict:
    uri = entity_uri(entity, row, base_url, division)
    out = {"__metadata": {"uri": uri, "type": entity.wire_type}}
    for name in select or entity.schema:
        kind = entity.schema[name]
        if kind == "lines":
            out[name] = ({"results": [line(entity, item, base_url, division) for item in row.get(name, [])]}
                         if name in expand else {"__deferred": {"uri": f"{uri}/{name}"}})
        else:
            out[name] = wire_value(kind, row.get(name))
    return out


def line(invoice_entity: Entity, row: dict, base_url: str, division: int) -> dict:
    service = invoice_entity.path.split("/")[0]
    uri = f"{base_url}/api/v1/{division}/{service}/SalesInvoiceLines(guid'{row['ID']}')"
    out = {"__metadata": {"uri": uri, "type": LINE_TYPE}}
    out.update({name: wire_value(kind, row.get(name)) for name, kind in INVOICE_LINE.items()})
    return out


def atom(payload: dict, base_url: str) -> str:
    """A minimal Atom feed or entry: enough for a client that forgot the Accept header to notice."""
    data = payload["d"]
    head = ('<?xml version="1.0" encoding="utf-8"?>'
            '{open} xml:base={base} xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
            'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">')
    if "results" in data:
        parts = [head.format(open="<feed", base=quoteattr(base_url + "/api/v1/"))]
        parts += [_entry(row) for row in data["results"]]
        if "__next" in data:
            parts.append(f'<link rel="next" href={quoteattr(data["__next"])} />')
        parts.append("</feed>")
        return "".join(parts)
    return head.format(open="<entry", base=quoteattr(base_url + "/api/v1/")) + _entry(data, wrap=False) + "</entry>"


def _entry(row: dict, wrap: bool = True) -> str:
    properties = []
    for name, value in row.items():
        if name == "__metadata" or isinstance(value, dict):
            continue
        if value is None:
            properties.append(f'<d:{name} m:null="true" />')
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            properties.append(f"<d:{name}>{escape(text)}</d:{name}>")
    body = (f"<id>{escape(row['__metadata']['uri'])}</id>"
            f'<category term={quoteattr(row["__metadata"]["type"])} '
            'scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" />'
            f'<content type="application/xml"><m:properties>{"".join(properties)}</m:properties></content>')
    return f"<entry>{body}</entry>" if wrap else body


def atom_error(message: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
            f'<code></code><message xml:lang="">{escape(message)}</message></error>')
