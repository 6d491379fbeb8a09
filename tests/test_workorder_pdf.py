"""The work order PDF and the custom forms PDF: the fields, Dutch accents and the euro sign, same bytes every time."""

import io
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from exactsync import config as config_mod
from exactsync.workorders import details, forms_pdf, pdf, workorder_pdf
from tests.helpers.cli_results import ok, refused
from tests.helpers.factories import add_customer, add_item

COMPANY = "Installatiebedrijf Müller B.V."


@pytest.fixture
def number(run, db, config_path):
    config_mod.update(config_mod.load(config_path), "workorders", "company_name", COMPANY)
    add_customer(db, "25", "Bakkerij Één & Zoën", street="Hoofdstraat 12", postcode="1234 AB", city="Utrecht")
    add_item(db, "M100", "Kraan ½\" messing")
    add_item(db, "K7", "Koppelstuk")
    address_id = ok(run("workaddress", "add", "25", "--street", "Coöperatieweg 3", "--postcode", "3511 AA",
                        "--city", "’s-Hertogenbosch", "--name", "Filiaal Café"))
    number = ok(run("workorder", "create", "--customer", "25", "--work-address", address_id,
                    "--description", "Lekkage verhelpen, € 12,50 korting afgesproken", "--reference", "PO-ë881"))
    ok(run("workorder", "plan", number, "--employee", "José Brûlée", "--date", "2026-12-01", "--time", "08:30"))
    ok(run("workorder", "book-time", number, "--employee", "José Brûlée", "--work", "90", "--travel", "15"))
    ok(run("workorder", "book-time", number, "--employee", "Piet", "--work", "45"))
    ok(run("workorder", "book-time", number, "--employee", "José Brûlée", "--work", "30"))
    ok(run("workorder", "add-material", number, "M100", "1.5"))
    ok(run("workorder", "add-material", number, "K7", "12", "--description", "Koppelstuk 15 mm"))
    ok(run("workorder", "form", number, "Veiligheidscontrole", "--answer", "Gas afgesloten?=Ja, gecontroleerd",
           "--answer", "Opmerking=Meerprijs € 5"))
    ok(run("workorder", "form", number, "Oplevering", "--answer", "Handtekening klant=Één Zoën"))
    ok(run("workorder", "complete", number))
    return number


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_workorder_pdf_has_every_field(db, number):
    text = text_of(workorder_pdf(db, number, COMPANY))
    completed = datetime.strptime(details(db, number)["completed_at"], "%Y-%m-%dT%H:%M:%SZ")
    for expected in (
        COMPANY, "Werkbon WO00001", "Bakkerij Één & Zoën (25)", "Hoofdstraat 12", "1234 AB Utrecht",
        "Filiaal Café", "Coöperatieweg 3", "3511 AA ’s-Hertogenbosch", "Klantreferentie", "PO-ë881",
        "Lekkage verhelpen, € 12,50 korting afgesproken", "José Brûlée, 01-12-2026 08:30",
        "M100", "Kraan ½\" messing", "1,5", "K7", "Koppelstuk 15 mm", "12",
        "Totaal werktijd", "2:45 (2,75 uur)", "Totaal reistijd", "0:15 (0,25 uur)", "Gereed gemeld op",
        completed.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y %H:%M"),
    ):
        assert expected in text, expected
    # Time per employee and kind: José's two work bookings are one line.
    assert "José Brûlée Werktijd 2:00 2,00" in text
    assert "José Brûlée Reistijd 0:15 0,25" in text
    assert "Piet Werktijd 0:45 0,75" in text


def test_forms_pdf_has_every_question_and_answer(db, number):
    text = text_of(forms_pdf(db, number, COMPANY))
    for expected in (COMPANY, "Formulieren bij werkbon WO00001", "Bakkerij Één & Zoën (25)", "Filiaal Café",
                     "Veiligheidscontrole", "Gas afgesloten?", "Ja, gecontroleerd", "Opmerking", "Meerprijs € 5",
                     "Oplevering", "Handtekening klant", "Één Zoën"):
        assert expected in text, expected


def test_same_bytes_every_time(db, number, run):
    ok(run("workorder", "archive", number))
    assert workorder_pdf(db, number, COMPANY) == workorder_pdf(db, number, COMPANY)
    assert forms_pdf(db, number, COMPANY) == forms_pdf(db, number, COMPANY)
    reader = PdfReader(io.BytesIO(workorder_pdf(db, number, COMPANY)))
    archived_at = db.execute("SELECT archived_at FROM work_orders").fetchone()[0]
    assert reader.metadata.creation_date.strftime("%Y-%m-%dT%H:%M:%SZ") == archived_at


def test_fonts_are_embedded(db, number):
    fonts = {str(font["/BaseFont"]) for page in PdfReader(io.BytesIO(workorder_pdf(db, number, COMPANY))).pages
             for font in page["/Resources"]["/Font"].values()}
    assert all("DejaVuSans" in name for name in fonts) and len(fonts) == 2


def test_pdf_command_writes_what_push_sends(run, db, number, tmp_path):
    ok(run("workorder", "pdf", number, "--out", str(tmp_path / "wo.pdf")))
    ok(run("workorder", "pdf", number, "--forms", "--out", str(tmp_path / "forms.pdf")))
    assert (tmp_path / "wo.pdf").read_bytes() == workorder_pdf(db, number, COMPANY)
    assert (tmp_path / "forms.pdf").read_bytes() == forms_pdf(db, number, COMPANY)


def test_an_empty_work_order_and_a_long_one(run, db, number):
    empty = ok(run("workorder", "create", "--customer", "25", "--description", "Nog niets gedaan"))
    text = text_of(workorder_pdf(db, empty, ""))
    for expected in ("Geen uren geboekt.", "Geen materialen geboekt.", "niet gepland", "nog niet gereed",
                     "Klantreferentie -"):
        assert expected in text, expected
    assert "Geen formulieren ingevuld." in text_of(forms_pdf(db, empty, ""))
    for i in range(60):
        ok(run("workorder", "add-material", empty, "K7", str(i + 1)))
    reader = PdfReader(io.BytesIO(workorder_pdf(db, empty, "")))
    assert len(reader.pages) >= 2
    assert "pagina 2/" in reader.pages[1].extract_text()


def test_pdf_command_refuses_a_path_it_cannot_write(run, number, tmp_path):
    out = tmp_path / "no such folder" / "wo.pdf"
    refused(run("workorder", "pdf", number, "--out", str(out)),
            f"cannot write {out}: No such file or directory; choose another --out")


UNKNOWN_TO_THE_FONT = "漢🦄"  # no glyph in DejaVu Sans, and no look-alike either
LOOK_ALIKES = {"𝐀": "A", "㎏": "kg", "ｋ": "k"}  # no glyph, but their compatibility forms have one


@pytest.mark.slow
def test_text_the_font_cannot_show_keeps_stderr_clean_and_still_makes_the_pdf(run, db, number, config_path,
                                                                             tmp_path):
    from fontTools.ttLib import TTFont

    fonts = [TTFont(pdf.FONT_DIR / name).getBestCmap() for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]
    assert not any(ord(c) in font for font in fonts for c in UNKNOWN_TO_THE_FONT + "".join(LOOK_ALIKES) + "\x1b\x00")
    odd = f"{UNKNOWN_TO_THE_FONT} {''.join(LOOK_ALIKES)} \x1b[31mrood\x00\ttab"
    # A config refuses a NUL character outright; the other odd characters it keeps.
    config_mod.update(config_mod.load(config_path), "workorders", "company_name", f"Bedrijf {odd}".replace("\x00", ""))
    ok(run("workaddress", "add", "25", "--street", f"Straat {odd}", "--city", "Delft"))
    ok(run("workorder", "add-material", number, "K7", "1", "--description", f"Materiaal {odd}"))
    ok(run("workorder", "form", number, f"Formulier\n{odd}", "--answer", f"Vraag {odd}=Antwoord\n{odd}"))
    for kind in ((), ("--forms",)):
        out = tmp_path / f"wo{''.join(kind)}.pdf"
        result = subprocess.run([sys.executable, "-m", "exactsync", "--config", str(config_path), "workorder", "pdf",
                                 number, *kind, "--out", str(out)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert result.stderr == f"wrote {out} ({out.stat().st_size:,} bytes)\n"
        text = text_of(out.read_bytes())
        assert "Bedrijf ?? AkgK [31mrood tab".replace("K", "k") in text, text
        assert "\x1b" not in text and "\x00" not in text


def test_printable_keeps_line_breaks_and_what_the_font_has():
    glyphs = {ord(c) for c in "ab\u00e9?kgA "}
    assert pdf.printable("a\nb\té\x07\u200d㎏𝐀漢", glyphs) == "a\nb é" + "kgA?"


def test_the_letterhead_has_the_address_line_and_each_material_its_unit(db, run, config_path, number):
    config_mod.update(config_mod.load(config_path), "workorders", "company_address", "Kerkstraat 1, 3511 AA Utrecht")
    out = config_path.parent / "werkbon.pdf"
    ok(run("workorder", "pdf", number, "--out", str(out)))
    lines = text_of(out.read_bytes()).splitlines()
    assert lines[:3] == [COMPANY, "Kerkstraat 1, 3511 AA Utrecht", f"Werkbon {number}"]
    assert "M100 Kraan ½\" messing 1,5 pc" in lines and "K7 Koppelstuk 15 mm 12 pc" in lines
    assert not any(line.startswith("Materiaalregels") for line in lines)


def test_travel_time_shows_only_when_booked(db, run):
    add_customer(db, "26", "Slagerij")
    number = ok(run("workorder", "create", "--customer", "26", "--description", "Afvoer"))
    ok(run("workorder", "book-time", number, "--employee", "Piet", "--work", "60"))
    text = text_of(workorder_pdf(db, number, ""))
    assert "Totaal werktijd 1:00 (1,00 uur)" in text and "reistijd" not in text.lower()


# --- the fonts once per run (issue 21.6) ---------------------------------------------------------------------

def test_the_fonts_are_parsed_once_for_every_pdf_of_a_run(run, db, number, monkeypatch):
    from fpdf.fonts import TTFFont

    parsed = []
    parse = TTFFont.__init__
    monkeypatch.setattr(TTFFont, "__init__", lambda font, *args, **kw: parsed.append(1) or parse(font, *args, **kw))
    pdf._parsed_fonts.cache_clear()
    second = ok(run("workorder", "create", "--customer", "25", "--description", "Tweede"))
    first_bytes = [workorder_pdf(db, number, COMPANY), forms_pdf(db, number, COMPANY)]

    for _ in range(3):
        workorder_pdf(db, second, COMPANY), forms_pdf(db, number, COMPANY)

    assert len(parsed) == 2  # the regular and the bold, once
    assert [workorder_pdf(db, number, COMPANY), forms_pdf(db, number, COMPANY)] == first_bytes


def test_text_beyond_latin_gets_the_whole_font(run, db, number):
    ok(run("workorder", "add-material", number, "K7", "1", "--description", "Ωmega клапан Ağır"))
    assert "Ωmega клапан Ağır" in text_of(workorder_pdf(db, number, COMPANY))
    assert pdf.font_program(pdf.FONT_DIR / "DejaVuSans.ttf", frozenset(map(ord, "Ωж"))).getBestCmap().keys() >= {
        ord("Ω"), ord("ж")}
