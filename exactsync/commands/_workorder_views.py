"""How `workorder list` and `workorder show` print work orders, and where each stands in Exact."""

from __future__ import annotations

from exactsync import i18n
from exactsync.commands import _output
from exactsync.i18n import N_, Msg, _, msg, nmsg
from exactsync.workorders.lookup import KIND_LABELS, STATUS_LABELS

# The push steps and their states as `workorder show` prints them (the outbox keeps the English key).
STEP_LABELS = {"invoice": N_("invoice"), "document": N_("document"), "document:forms": N_("document:forms"),
               "attachment:workorder": N_("attachment:workorder"), "attachment:forms": N_("attachment:forms")}
STATE_LABELS = {"pending": N_("pending"), "in_flight": N_("in_flight"), "done": N_("done"), "failed": N_("failed")}



def label(labels: dict[str, str], key: str) -> str:
    """A stored English key in the reader's language; a key without a label as it is."""
    return _(labels[key]) if key in labels else key


def standing(order: dict) -> Msg:
    """Where a sent work order stands in Exact: its draft (OrderNumber) open, processed as an invoice, or
    deleted by the office; the draft's number is unknown for one sent before push stored it."""
    draft = msg("draft {order_number}", order_number=order["exact_order_number"]) \
        if order["exact_order_number"] is not None else msg("draft")
    if order["exact_invoice_number"] is not None:
        return msg("invoice {invoice_number} ({draft}), processed on {date}",
                   invoice_number=order["exact_invoice_number"], draft=draft,
                   date=_output.local_time(order["exact_processed_at"]))
    if order["exact_deleted_at"]:
        return msg("{draft} deleted in Exact on {date}", draft=draft,
                   date=_output.local_time(order["exact_deleted_at"]))
    return msg("{draft}, open in Exact", draft=draft)


def list_table(rows: list[dict]):
    return _output.table(
        [_("number"), _("status"), _("customer"), _("description"), _("planned"), _("completed"), _("archived"),
         _("in Exact")],
        ([r["number"], label(STATUS_LABELS, r["status"]), f"{r['customer_code']} {r['customer_name']}",
          r["description"],
          _planned(r["planned_employee"], r["planned_date"], r["planned_time"]),
          _output.local_time(r["completed_at"]) if r["completed_at"] else "",
          _output.local_time(r["archived_at"]) if r["archived_at"] else "",
          standing(r).render() if r["exact_invoice_id"] or r["exact_deleted_at"] else ""] for r in rows),
        caption=nmsg("{count} work order", "{count} work orders", len(rows)).render(),
    )


def show_tables(order: dict, row: dict) -> list:
    """`workorder show`: the work order's fields (`order` as lifecycle.details gives it; `row` is
    its row in the store, with the exact_ columns), hours, materials, forms and push steps."""
    planned = order["planned"] or {}
    fields = [
        [_("status"), label(STATUS_LABELS, order["status"])],
        [_("customer"), f"{order['customer']['code']} {order['customer']['name']}"],
        [_("work address"), ", ".join(order["work_address"]["lines"])],
        [_("description"), order["description"]],
        [_("customer reference"), order["customer_reference"]],
        [_("planned"), _planned(planned.get("employee"), planned.get("date"), planned.get("time"))],
        [_("completed"), _output.local_time(order["completed_at"]) if order["completed_at"] else ""],
        [_("archived"), _output.local_time(order["archived_at"]) if order["archived_at"] else ""],
        [_("in Exact"), standing(row).render() if row["exact_invoice_id"] or row["exact_deleted_at"] else ""],
        [_("Exact invoice"), order["exact_invoice_id"] or ""],
    ]
    totals = order["totals"]
    tables = [
        _output.table(["", ""], fields, title=msg("work order {number}", number=order["number"]).render()),
        _output.table([_("id"), _("employee"), _("kind"), _("minutes")],
                      ([str(h["id"]), h["employee"], label(KIND_LABELS, h["kind"]), str(h["minutes"])]
                       for h in order["hours"]),
                      title=_("hours"), caption=msg("work {work} min, travel {travel} min", work=totals["work_minutes"],
                                                    travel=totals["travel_minutes"]).render()),
        _output.table([_("id"), _("item"), _("description"), _("quantity")],
                      ([str(m["id"]), m["item"], m["description"], i18n.quantity(m["quantity"])]
                       for m in order["materials"]),
                      title=_("materials")),
    ]
    tables += [_output.table([_("question"), _("answer")], ([a["question"], a["answer"]] for a in form["answers"]),
                             title=msg("form {name}", name=form["name"]).render()) for form in order["forms"]]
    if order["push"]:
        tables.append(_output.table([_("step"), _("state"), _("Exact id"), _("attempts"), _("last error")],
                                    ([label(STEP_LABELS, p["step"]), label(STATE_LABELS, p["state"]),
                                      p["exact_id"] or "", str(p["attempts"]), p["last_error"]]
                                     for p in order["push"]), title=_("push to Exact")))
    return tables


def _planned(employee: str | None, on: str | None, at: str | None) -> str:
    """Who and when a work order is planned, the date as the reader writes it."""
    return " ".join(filter(None, (employee, i18n.day(on) if on else "", at)))
