"""The work order PDF and the custom forms PDF (R11), in Dutch, for the customer's card in Exact.

The bytes depend only on the work order: the creation date is the work order's
own (archived, else completed, else created), so push sends the same file on
every attempt. DejaVu Sans is embedded, so accents and the euro sign render.
At the top is the company's letterhead: its name, and its address line when set.
A customer reads it: a line that adds nothing (no travel booked) is left out.
"""

from __future__ import annotations

import copy
import functools
import io
import unicodedata
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from exactsync.i18n import day, decimal
from exactsync.timeutil import for_people, parse
from exactsync.workorders.lifecycle import details

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # fpdf2's style -> file
KIND_LABELS = {"work": "Werktijd", "travel": "Reistijd"}
# In place of a character DejaVu Sans has no glyph for (and no look-alike either).
MISSING = "?"


def letterhead(config) -> str:
    """The company's name, and on a second line its address when the config has one."""
    return "\n".join(filter(None, (config.get("workorders", "company_name"),
                                   config.get("workorders", "company_address"))))


def workorder_pdf(db: sqlite_utils.Database, number: str, company: str) -> bytes:
    """The work order: customer, work address, planning, hours, materials, totals, completion.
    `company` is the letterhead (see `letterhead`)."""
    order = details(db, number)
    pdf = _document(order, company, f"Werkbon {order['number']}")
    _addresses(pdf, order)
    _fields(pdf, [
        ("Werkbonnummer", order["number"]),
        ("Klantreferentie", order["customer_reference"] or "-"),
        ("Omschrijving", order["description"]),
        ("Planning", _planning(order["planned"])),
        ("Gereed gemeld op", _local(order["completed_at"]) if order["completed_at"] else "nog niet gereed"),
    ])
    _heading(pdf, "Uren")
    _table(pdf, ("Medewerker", "Soort", "Tijd", "Uren"), (70, 40, 35, 35),
           [(employee, KIND_LABELS[kind], _clock(m), _hours(m)) for (employee, kind), m in _time_per(order).items()],
           empty="Geen uren geboekt.", numeric_from=2)
    totals = order["totals"]
    _fields(pdf, [(label, f"{_clock(minutes)} ({_hours(minutes)} uur)")
                  for label, minutes in (("Totaal werktijd", totals["work_minutes"]),
                                         ("Totaal reistijd", totals["travel_minutes"])) if minutes])
    _heading(pdf, "Materialen")
    _table(pdf, ("Artikel", "Omschrijving", "Aantal", "Eenheid"), (35, 95, 25, 25),
           [(m["item"], m["description"], decimal(Decimal(m["quantity"]), 4, "nl"), m["unit"])
            for m in order["materials"]],
           empty="Geen materialen geboekt.", numeric_from=2)
    return bytes(pdf.output())


def forms_pdf(db: sqlite_utils.Database, number: str, company: str) -> bytes:
    """Every custom form of the work order with its questions and answers, under the letterhead `company`."""
    order = details(db, number)
    pdf = _document(order, company, f"Formulieren bij werkbon {order['number']}")
    _addresses(pdf, order)
    _fields(pdf, [("Werkbonnummer", order["number"]), ("Omschrijving", order["description"])])
    if not order["forms"]:
        pdf.cell(text="Geen formulieren ingevuld.", new_x="LMARGIN", new_y="NEXT")
    for form in order["forms"]:
        _heading(pdf, form["name"])
        _table(pdf, ("Vraag", "Antwoord"), (80, 100), [(a["question"], a["answer"]) for a in form["answers"]],
               empty="Geen antwoorden.")
    return bytes(pdf.output())


@functools.cache
def _fpdf():
    """fpdf2, imported on the first PDF: loading it was half the start-up time of every
    command, cron's pull included. Returns (page class, table heading style)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class Page(FPDF):
        footer_text = ""

        def normalize_text(self, text: str) -> str:
            # Every text fpdf2 renders or measures passes here: what the font cannot show is
            # replaced, so fpdf2 has no missing glyphs to warn about on stderr.
            return super().normalize_text(printable(text, self.current_font.cmap))

        def cell(self, w=None, h=None, text="", *args, **kwargs):
            # A cell is one line (multi_cell breaks lines): a line break in its text is a space.
            return super().cell(w, h, text.replace("\n", " "), *args, **kwargs)

        def output(self, *args, **kwargs):
            # Each font gets its program now that the glyphs it uses are known (see _for_one_document).
            for font in self.fonts.values():
                if font.ttfont is None:
                    font.ttfont = font_program(font.ttffile, frozenset(
                        code for glyph, _ in font.subset.items() if glyph for code in glyph.unicode))
            return super().output(*args, **kwargs)

        def footer(self):
            self.set_y(-15)
            self.set_font(FONT, size=8)
            self.cell(0, 10, f"{self.footer_text} - pagina {self.page_no()}/{{nb}}", align="C")

    return Page, FontFace(family=FONT, emphasis="BOLD", fill_color=(230, 230, 230))


def printable(text: str, glyphs) -> str:
    """`text` with only characters in `glyphs` (code points) and line breaks: tabs become spaces,
    other control and invisible format characters go, a character without a glyph becomes its
    compatibility form when the font has that (𝐀 -> A, ﬁ -> fi), else MISSING."""
    return "".join(_shown_as(char, glyphs) for char in text)


def _shown_as(char: str, glyphs) -> str:
    if char == "\n" or ord(char) in glyphs:
        return char
    if char == "\t":
        return " "
    if unicodedata.category(char) in ("Cc", "Cf"):
        return ""
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char and all(ord(c) in glyphs for c in compatible):
        return compatible
    return MISSING


def _document(order: dict, company: str, title: str) -> FPDF:
    page, _ = _fpdf()
    pdf = page(format="A4")
    pdf.footer_text = title
    pdf.set_creation_date(_created(order))
    pdf.set_title(title)
    name, _, address = company.partition("\n")
    pdf.set_author(name)
    pdf.set_creator("exactsync")
    _add_fonts(pdf)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    if name:
        pdf.set_font(FONT, "B", 16)
        pdf.cell(0, 9, name, new_x="LMARGIN", new_y="NEXT")
    if address:
        pdf.set_font(FONT, size=10)
        pdf.cell(0, 6, address, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, size=10)
    return pdf


@functools.cache
def _parsed_fonts() -> dict:
    """DejaVu Sans and its bold as fpdf2 parses them (its font key -> font), once per process: parsing
    a TTF was half the CPU of every PDF, twice per work order."""
    page, _ = _fpdf()
    parser = page()
    for style, file in FONT_FILES.items():
        parser.add_font(FONT, style, FONT_DIR / file)
    return dict(parser.fonts)


def _add_fonts(document: FPDF) -> None:
    document.fonts.update({key: _for_one_document(font) for key, font in _parsed_fonts().items()})


def _for_one_document(parsed):
    """A parsed font for one document: its metrics and character map shared with every other document,
    its own what a document changes: the glyphs it uses, and the font program, which fpdf2 cuts down to
    those glyphs when it writes the file (given by Page.output, once the glyphs are known)."""
    from fpdf.fonts import SubsetMap

    font = copy.copy(parsed)
    font.ttfont = None  # Page.output gives it one
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


# Tables fpdf2 leaves out of every embedded font (its output drops them when it subsets).
UNEMBEDDED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT", "EBLC",
                     "EBSC", "SVG ", "CPAL", "COLR")
# What a Dutch or Belgian work order writes: Latin with its accents, punctuation, currency and a few symbols.
# A document using only these gets a font program of about 900 glyphs to cut down instead of 6,000.
NOTDEF = 0  # fpdf2 keeps code 0 for the .notdef glyph, which every program has
COMMON_TEXT = (range(0x20, 0x250), range(0x2000, 0x2070), range(0x20A0, 0x20C0), range(0x2100, 0x2150))


def font_program(path: Path, used: frozenset[int]):
    """A font program for fpdf2 to cut down for one document that uses the code points `used`."""
    from fontTools.ttLib import TTFont

    common, covered, everything = _font_programs(path)
    fits = used - {NOTDEF} <= covered
    return TTFont(io.BytesIO(common if fits else everything), recalcTimestamp=False, lazy=True)


@functools.cache
def _font_programs(path: Path) -> tuple[bytes, frozenset[int], bytes]:
    """Once per process: the font program cut down to COMMON_TEXT, the code points it covers, and the
    whole program; both without the tables fpdf2 does not embed, and with the glyph names fpdf2 asks for."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    whole = TTFont(path, recalcTimestamp=False)
    for tag in UNEMBEDDED_TABLES:
        if tag in whole:
            del whole[tag]
    everything = _saved(whole)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True, name_IDs=["*"],
                             name_languages=["*"], hinting=True, legacy_kern=True, drop_tables=[])
    options.layout_features = ["*"]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[code for block in COMMON_TEXT for code in block])
    common = TTFont(io.BytesIO(everything), recalcTimestamp=False)
    cutter.subset(common)
    return _saved(common), frozenset(common.getBestCmap()), everything


def _saved(program) -> bytes:
    out = io.BytesIO()
    program.save(out)
    return out.getvalue()


def _created(order: dict) -> datetime:
    at = order["archived_at"] or order["completed_at"] or order["created_at"]
    return parse(at)


def _addresses(pdf: FPDF, order: dict) -> None:
    """Customer and work address side by side."""
    customer = order["customer"]
    blocks = [
        ("Klant", [f"{customer['name']} ({customer['code']})", *customer["address"]]),
        ("Werkadres", order["work_address"]["lines"] or ["-"]),
    ]
    top = pdf.get_y()
    bottom = top
    for column, (label, lines) in enumerate(blocks):
        pdf.set_xy(pdf.l_margin + column * 95, top)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(90, 6, label, new_x="LEFT", new_y="NEXT")
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(90, 5, "\n".join(lines), new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 4)


def _fields(pdf: FPDF, fields: list[tuple[str, str]]) -> None:
    for label, value in fields:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(45, 6, label)
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)


def _table(pdf: FPDF, headings: tuple[str, ...], widths: tuple[int, ...], rows: list[tuple[str, ...]], *,
           empty: str, numeric_from: int | None = None) -> None:
    if not rows:
        pdf.cell(0, 6, empty, new_x="LMARGIN", new_y="NEXT")
        return
    aligns = tuple("RIGHT" if numeric_from is not None and i >= numeric_from else "LEFT" for i in range(len(widths)))
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=aligns,
                   headings_style=_fpdf()[1], line_height=6) as table:
        for row in (headings, *rows):
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.ln(2)


def _time_per(order: dict) -> dict[tuple[str, str], int]:
    """Minutes per employee and kind, in the order they were first booked."""
    totals: dict[tuple[str, str], int] = {}
    for booking in order["hours"]:
        key = (booking["employee"], booking["kind"])
        totals[key] = totals.get(key, 0) + booking["minutes"]
    return totals


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".replace(".", ",")


def _planning(planned: dict | None) -> str:
    if not planned:
        return "niet gepland"
    when = " ".join(filter(None, (day(planned["date"], "nl"), planned["time"])))
    return f"{planned['employee']}, {when}"


def _local(iso_utc: str) -> str:
    """A stored UTC time in the office's time zone: the machine may run on UTC."""
    return for_people(iso_utc, "%d-%m-%Y %H:%M")
