"""Real Office, e-book and e-mail files written by the libraries that make them (python-docx, python-pptx,
openpyxl, EbookLib, the standard email package), for the loader and indexing tests."""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

FORMATS = Path(__file__).resolve().parent / "data" / "formats"  # made by devtools/make_format_fixtures.py


def _saved(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def docx_report() -> bytes:
    """An English club report: a heading, paragraphs, a table; the boathouse date is paragraph 4."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Harbour Rowing Club annual report"
    document.core_properties.author = "Fiona Gallagher"
    document.core_properties.created = dt.datetime(2026, 2, 10)
    document.add_heading("Harbour Rowing Club annual report 2025", level=1)
    document.add_paragraph("The club had 214 members at the end of the year, twenty more than in 2024.")
    document.add_paragraph("")
    document.add_paragraph("Our junior crews won four medals at the regional regatta in Dunmore.")
    document.add_paragraph("The new boathouse on Quay Road opened on 12 May 2025, after fourteen months of work.")
    table = document.add_table(rows=3, cols=2)
    for row, (boat, year) in zip(table.rows, [("Boat", "Built"), ("Saint Brendan", "1998"), ("Morning Star", "2019")]):
        row.cells[0].text, row.cells[1].text = boat, year
    document.add_paragraph("The treasurer, Liam Byrne, reported a surplus of 8,400 euros.")
    return _saved(document)


def pptx_briefing() -> bytes:
    """A French council briefing of four slides; the library budget is on slide 3, a note on slide 4."""
    import pptx
    from pptx.util import Inches

    presentation = pptx.Presentation()
    presentation.core_properties.title = "Budget municipal 2026"
    presentation.core_properties.author = "Service des finances"
    slides = [
        ("Budget municipal 2026", "Présentation au conseil municipal du 20 janvier 2026"),
        ("Recettes", "Les impôts locaux rapportent 14,2 millions d'euros.\nLes dotations de l'État : 6,1 millions."),
        ("Investissements", "La rénovation de la médiathèque coûtera 1,8 million d'euros.\nTravaux de mars à octobre."),
        ("Calendrier", "Vote du budget le 3 février."),
    ]
    for number, (title, body) in enumerate(slides, start=1):
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if number == 4:
            box = slide.shapes.add_textbox(Inches(1), Inches(6), Inches(6), Inches(1))
            box.text_frame.text = "Le maire, Bernard Lacoste, présentera le budget."
            slide.notes_slide.notes_text_frame.text = "Rappeler que la médiathèque restera ouverte pendant les travaux."
    return _saved(presentation)


def xlsx_stations() -> bytes:
    """A workbook of two sheets: a title row then a header row and station rows; a second sheet of costs."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.properties.title = "Riverside tram stations"
    workbook.properties.creator = "Transport office"
    sheet = workbook.active
    sheet.title = "Stations"
    sheet.append(["Riverside tram line: stations"])
    sheet.append(["Station", "Opening", "Daily passengers", "Underground"])
    for row in [
        ("Central Station", 2029, 21500, "no"),
        ("Old Market", 2029, 9800, "yes"),
        ("Marsh End Hospital", 2029, 12400, "no"),
        ("Saltings", 2030, 4100, "no"),
    ]:
        sheet.append(list(row))
    costs = workbook.create_sheet("Costs")
    costs.append(["Item", "Million pounds"])
    costs.append(["Tunnels under the old market", 118.5])
    costs.append(["Trams (22 vehicles)", 96])
    return _saved(workbook)


def epub_lighthouse() -> bytes:
    """A three-chapter e-book; the rescue is told in chapter 2."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("skerry-2026")
    book.set_title("The Keepers of Skerry")
    book.set_language("en")
    book.add_author("Morag Sinclair")
    book.add_metadata("DC", "date", "2026-01-15")
    chapters = [
        ("The reef", "<p>The northern reef sank more than forty ships before the light was lit in 1871.</p>"),
        (
            "The winter of 1893",
            "<p>The gale blew for eleven days.</p><p>On 3 February 1893 the keeper Angus Mowat rowed out"
            " to the schooner Margaret Rose and brought nine sailors back alive.</p>",
        ),
        ("Automation", "<p>The last keepers left the island in 1988, when the light was automated.</p>"),
    ]
    items = []
    for number, (title, body) in enumerate(chapters, start=1):
        chapter = epub.EpubHtml(title=title, file_name=f"chapter-{number}.xhtml", lang="en")
        chapter.content = f"<html><body><h1>{title}</h1>{body}</body></html>"
        book.add_item(chapter)
        items.append(chapter)
    book.toc = tuple(epub.Link(item.file_name, item.title, f"ch{n}") for n, item in enumerate(items, start=1))
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    buffer = io.BytesIO()
    epub.write_epub(buffer, book)
    return buffer.getvalue()


def eml_with_attachments() -> bytes:
    """A mail with a plain-text body, the Word report attached, and a zip that cannot be read."""
    message = EmailMessage()
    message["Subject"] = "Survey team: deployment schedule"
    message["From"] = "Nadia Perrin <nadia.perrin@example.org>"
    message["To"] = "team@example.org"
    message["Date"] = format_datetime(dt.datetime(2026, 5, 4, 9, 12, tzinfo=dt.UTC))
    message.set_content(
        "Hello all,\n\nThe survey team deploys to the Saltings marsh on 18 May 2026 and stays for three weeks."
        "\n\nThe boat leaves from the east basin at 7 a.m.\n\nNadia\n"
    )
    message.add_attachment(
        docx_report(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="club-report.docx",
    )
    message.add_attachment(b"PK\x05\x06" + b"\x00" * 18, maintype="application", subtype="zip", filename="maps.zip")
    return message.as_bytes()


def write_all(folder: Path) -> None:
    """Every kind of file above, plus the committed LibreOffice and scanned ones, into `folder`."""
    (folder / "club-report.docx").write_bytes(docx_report())
    (folder / "budget-2026.pptx").write_bytes(pptx_briefing())
    (folder / "tram-stations.xlsx").write_bytes(xlsx_stations())
    (folder / "keepers-of-skerry.epub").write_bytes(epub_lighthouse())
    (folder / "survey-schedule.eml").write_bytes(eml_with_attachments())
    for name in ("conseil-ecole.odt", "keepers-logbook.rtf"):
        (folder / name).write_bytes((FORMATS / name).read_bytes())
