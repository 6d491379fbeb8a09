"""PDF benchmark (issue 21.6): CPU per work order for both PDFs (the werkbon and the forms), with the
fonts parsed for every PDF as before, and parsed once per run with a font program cut to the text a
Dutch work order uses, as now. Both in this process, alternating, so that a busy machine weighs on
both alike. The work order is fixed (two time lines, two materials, a form: the push bench's kind).

    python -m bench.pdf_bench [--orders 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from exactsync.workorders import pdf

WORK_ORDER = {
    "number": "WO00001", "status": "archived", "description": "Onderhoud cv-ketel", "customer_reference": "PO-1",
    "customer": {"code": "25", "name": "Bakkerij Jansen & Zn.", "exact_id": None,
                 "address": ["Kerkstraat 1", "3511 AA Utrecht"]},
    "work_address": {"id": 1, "lines": ["Coöperatieweg 3", "3511 AA ’s-Hertogenbosch"]},
    "planned": {"employee": "Jan", "date": "2026-12-01", "time": "08:30"},
    "hours": [{"id": 1, "employee": "Jan", "kind": "work", "minutes": 90, "booked_at": "2026-12-01T08:00:00Z"},
              {"id": 2, "employee": "Jan", "kind": "travel", "minutes": 15, "booked_at": "2026-12-01T08:00:00Z"}],
    "totals": {"work_minutes": 90, "travel_minutes": 15},
    "materials": [{"id": 1, "item": "ART-00001", "description": "Kraan ½\" messing", "quantity": "1.5"},
                  {"id": 2, "item": "ART-00002", "description": "Koppelstuk € 5", "quantity": "2"}],
    "forms": [{"id": 1, "name": "Veiligheid", "filled_at": "2026-12-01T09:00:00Z",
               "answers": [{"question": "Gas afgesloten?", "answer": "Ja"}]}],
    "created_at": "2026-12-01T08:00:00Z", "completed_at": "2026-12-01T09:00:00Z",
    "archived_at": "2026-12-01T10:00:00Z",
}


def parse_for_every_pdf(document) -> None:
    """The way before: fpdf2 parses both TTF files again for each PDF."""
    for style, file in pdf.FONT_FILES.items():
        document.add_font(pdf.FONT, style, pdf.FONT_DIR / file)


def cpu_per_work_order(orders: int) -> float:
    started = time.process_time()
    for _ in range(orders):
        pdf.workorder_pdf(None, "WO00001", "Installatiebedrijf Test")
        pdf.forms_pdf(None, "WO00001", "Installatiebedrijf Test")
    return (time.process_time() - started) / orders


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pdf.details = lambda db, number: WORK_ORDER
    once_per_run = pdf._add_fonts
    cpu_per_work_order(1)  # imports, and the fonts of this run
    before, after = [], []
    for _ in range(args.rounds):
        pdf._add_fonts = parse_for_every_pdf
        before.append(cpu_per_work_order(args.orders))
        pdf._add_fonts = once_per_run
        after.append(cpu_per_work_order(args.orders))
    old, new = statistics.median(before), statistics.median(after)
    print(f"pdf benchmark: CPU per work order, both PDFs, median of {args.rounds} rounds of {args.orders}")
    print(f"fonts parsed for every PDF (before)  {old * 1000:6.1f} ms")
    print(f"fonts parsed once per run (now)      {new * 1000:6.1f} ms = {new / old:.2f}x")


if __name__ == "__main__":
    main()
