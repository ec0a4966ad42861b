"""Office files, e-books, e-mail, RTF and scans: read by the libraries made for them, indexed, and answered
with a citation a reader can find (paragraph, slide, sheet and rows, chapter, attachment, page)."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from index.answer.answerer import QuestionAnswerer
from index.errors import LoaderError
from index.ingest.indexer import Indexer
from index.ingest.loaders import parse_document
from index.ingest.ocr import Ocr
from index.models import Answer
from index.search.retriever import Retriever
from index.store.memory import MemoryStore
from tests import format_files
from tests.fakes import HashingEmbedder

# CI installs Tesseract (.ci/run sets CORPUSBOT_REQUIRE_OCR): there the OCR tests must run, not skip.
_tesseract_installed = pytest.mark.skipif(
    shutil.which("tesseract") is None and not os.environ.get("CORPUSBOT_REQUIRE_OCR"),
    reason="Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng)",
)


def needs_tesseract(test: Callable[..., None]) -> Callable[..., None]:
    """An OCR test: it runs the Tesseract program (a separate process, seconds a page), so not in test-fast."""
    return pytest.mark.subprocess(_tesseract_installed(test))  # type: ignore[no-any-return]


def index_folder(corpus: Path, ocr: Ocr | None = None) -> tuple[QuestionAnswerer, object]:
    embedder, store = HashingEmbedder(), MemoryStore()
    # No language centring: the hashing fake has no language direction to take out (tests/test_centring.py)
    report = Indexer(embedder, store, 700, 150, 10**8, ocr=ocr, centre_languages=False).run(corpus)
    return QuestionAnswerer(Retriever(embedder, store)), report


def cited(answer: Answer) -> tuple[str, str, str]:
    assert answer.answered, f"refused: {answer.question}"
    first = answer.citations[0]
    return first.doc_id, first.location, answer.text


def test_each_format_keeps_its_metadata() -> None:
    docx = parse_document(format_files.docx_report(), "club-report.docx")
    assert docx.title == "Harbour Rowing Club annual report"
    assert (docx.author, docx.date) == ("Fiona Gallagher", "2026-02-10")
    assert "Saint Brendan | 1998" in docx.text  # a table row, in document order
    epub = parse_document(format_files.epub_lighthouse(), "skerry.epub")
    assert (epub.title, epub.author) == ("The Keepers of Skerry", "Morag Sinclair")
    assert (epub.date, epub.lang) == ("2026-01-15", "en")
    mail = parse_document(format_files.eml_with_attachments(), "mail.eml")
    assert (mail.title, mail.author, mail.date) == ("Survey team: deployment schedule", "Nadia Perrin", "2026-05-04")
    odt = parse_document((format_files.FORMATS / "conseil-ecole.odt").read_bytes(), "conseil.odt")
    assert (odt.title, odt.author) == ("Compte rendu du conseil d'école", "Claire Dumoulin")
    rtf = parse_document((format_files.FORMATS / "keepers-logbook.rtf").read_bytes(), "logbook.rtf")
    assert rtf.title == "Keeper's logbook, winter 1893" and "colza oil" in rtf.text
    assert "\\par" not in rtf.text and "{" not in rtf.text


def test_every_format_is_answered_with_a_position_a_reader_can_find(corpus: Path) -> None:
    format_files.write_all(corpus)
    answerer, report = index_folder(corpus)
    assert report.documents == 7 and not [s for s in report.skipped if "›" not in s.path]  # type: ignore[attr-defined]
    doc, position, text = cited(answerer.ask("When did the new boathouse on Quay Road open?"))
    assert doc in {"club-report.docx", "survey-schedule.eml"} and "12 May 2025" in text
    assert cited(answerer.ask("How much will the médiathèque renovation cost?"))[:2][1].startswith("slide 3")
    doc, position, text = cited(answerer.ask("How many daily passengers at Marsh End Hospital station?"))
    assert doc == "tram-stations.xlsx" and position.startswith("sheet Stations, rows 2–6") and "12400" in text
    doc, position, _ = cited(answerer.ask("How much do the tunnels under the old market cost?"))
    assert doc == "tram-stations.xlsx" and position.startswith("sheet Costs")
    doc, position, text = cited(answerer.ask("Who rowed out to the schooner Margaret Rose?"))
    assert doc in {"keepers-of-skerry.epub", "keepers-logbook.rtf"} and "Angus Mowat" in text
    if doc.endswith(".epub"):
        assert position.startswith("ch. 2 “The winter of 1893”")
    doc, position, text = cited(answerer.ask("When does the survey team deploy to the Saltings marsh?"))
    assert doc == "survey-schedule.eml" and "18 May 2026" in text
    doc, position, _ = cited(answerer.ask("What surplus did the treasurer Liam Byrne report?"))
    assert doc in {"club-report.docx", "survey-schedule.eml"}
    if doc.endswith(".eml"):
        assert position.startswith("attachment club-report.docx")
    doc, _, text = cited(answerer.ask("Quand aura lieu la kermesse de fin d'année ?"))
    assert doc == "conseil-ecole.odt" and "27 juin 2026" in text
    doc, _, text = cited(answerer.ask("How many gallons of colza oil did the lamp burn?"))
    assert doc == "keepers-logbook.rtf" and "212 gallons" in text


def test_a_docx_citation_names_the_paragraphs_it_quotes() -> None:
    from index.ingest.chunking import chunk_document

    document = parse_document(format_files.docx_report(), "club-report.docx")
    [chunk] = chunk_document(document, 700, 150)
    boathouse = document.text.index("The new boathouse")
    assert document.text[:boathouse].count("\n\n") + 1 == 4  # the fourth non-empty paragraph of the file
    assert chunk.paragraph == 1 and document.text.count("\n\n") + 1 == 6


def test_an_unreadable_attachment_is_reported_and_the_mail_kept(corpus: Path) -> None:
    (corpus / "survey-schedule.eml").write_bytes(format_files.eml_with_attachments())
    _, report = index_folder(corpus)
    assert report.documents == 1  # type: ignore[attr-defined]
    [skipped] = report.skipped  # type: ignore[attr-defined]
    assert skipped.path == "survey-schedule.eml › maps.zip" and "unsupported" in skipped.reason


def test_a_pdf_attached_to_a_mail_is_read_and_cited_by_its_page() -> None:
    from email import message_from_bytes, policy

    from tests.test_loaders import minimal_pdf

    message = message_from_bytes(format_files.eml_with_attachments(), policy=policy.default)
    pdf = minimal_pdf(["Cover page.", "The survey boat is the Kittiwake, moored at the east basin."])
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="boat.pdf")  # type: ignore[attr-defined]
    mail = parse_document(message.as_bytes(), "mail.eml")
    assert "Kittiwake" in mail.text and [name for name, _ in mail.skipped_parts] == ["maps.zip"]
    start = mail.text.index("The survey boat")
    label = [name for offset, name in mail.sections if offset <= start][-1]
    assert label == "attachment boat.pdf, p. 2"


def test_broken_files_are_skipped_with_reasons_and_never_stop_the_others(corpus: Path) -> None:
    format_files.write_all(corpus)
    good = format_files.docx_report()
    (corpus / "truncated.docx").write_bytes(good[: len(good) // 2])
    (corpus / "not-a-deck.pptx").write_bytes(b"this is plain text named .pptx")
    (corpus / "garbled.xlsx").write_bytes(format_files.xlsx_stations()[:300])
    (corpus / "broken.epub").write_bytes(b"PK\x03\x04 not really a zip")
    (corpus / "fake.rtf").write_bytes(b"not rtf at all")
    (corpus / "empty.odt").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    _, report = index_folder(corpus)
    reasons = {s.path: s.reason for s in report.skipped}  # type: ignore[attr-defined]
    assert report.documents == 7  # type: ignore[attr-defined]
    assert "Word" in reasons["truncated.docx"] and "PowerPoint" in reasons["not-a-deck.pptx"]
    assert "Excel" in reasons["garbled.xlsx"] and "EPUB" in reasons["broken.epub"]
    assert "RTF" in reasons["fake.rtf"] and "OpenDocument" in reasons["empty.odt"]


def test_without_tesseract_a_scan_is_skipped_saying_how_to_enable_ocr(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    shutil.copy(format_files.FORMATS / "scan-en.png", corpus / "notice.png")
    shutil.copy(format_files.FORMATS / "scanned-notices.pdf", corpus / "notices.pdf")
    (corpus / "note.txt").write_text("A note that is read without OCR.")
    _, report = index_folder(corpus, Ocr(tmp_path / "cache"))
    reasons = {s.path: s.reason for s in report.skipped}  # type: ignore[attr-defined]
    assert report.documents == 1  # type: ignore[attr-defined]
    for name in ("notice.png", "notices.pdf"):
        assert "Tesseract" in reasons[name] and "apt-get install tesseract-ocr" in reasons[name]


@needs_tesseract
def test_scanned_pages_in_french_and_english_are_answered_and_read_once(corpus: Path, tmp_path: Path) -> None:
    shutil.copy(format_files.FORMATS / "scan-en.png", corpus / "harbour-notice.png")
    shutil.copy(format_files.FORMATS / "scanned-notices.pdf", corpus / "notices.pdf")
    shutil.copy(format_files.FORMATS / "scan-fr.png", corpus / "avis-piscine.png")
    pages: list[tuple[str, int, int]] = []
    ocr = Ocr(tmp_path / "ocr-cache", on_page=lambda doc, page, total: pages.append((doc, page, total)))
    answerer, report = index_folder(corpus, ocr)
    assert report.documents == 3 and not report.skipped  # type: ignore[attr-defined]
    assert sorted(pages) == [
        ("avis-piscine.png", 1, 1),
        ("harbour-notice.png", 1, 1),
        ("notices.pdf", 1, 2),
        ("notices.pdf", 2, 2),
    ]
    doc, position, text = cited(answerer.ask("Quand la piscine municipale fermera-t-elle ?"))
    assert doc in {"avis-piscine.png", "notices.pdf"} and "24 juillet 2026" in text
    if doc == "notices.pdf":
        assert position.startswith("p. 2")
    doc, _, text = cited(answerer.ask("Who is the harbour master?"))
    assert doc in {"harbour-notice.png", "notices.pdf"} and "Ewan Baird" in text
    pages.clear()
    answerer, _ = index_folder(corpus, ocr)  # a new index of the same files: nothing is read again
    assert pages == []
    assert cited(answerer.ask("Who is the harbour master?"))[2].count("Ewan Baird") >= 1


@needs_tesseract
def test_a_pdf_with_some_scanned_pages_reads_only_those_by_ocr(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    from tests.test_loaders import minimal_pdf

    writer = PdfWriter()
    text_page = minimal_pdf(["A page with a real text layer about the tide tables."])
    for source in (text_page, (format_files.FORMATS / "scanned-notices.pdf").read_bytes()):
        for page in PdfReader(io.BytesIO(source)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    pages: list[int] = []
    ocr = Ocr(tmp_path / "cache", on_page=lambda doc, page, total: pages.append(page))
    document = parse_document(buffer.getvalue(), "mixed.pdf", ocr=ocr)
    assert [number for _, number in document.pages] == [1, 2, 3] and len(pages) == 2
    assert "tide tables" in document.text and "Ewan Baird" in document.text and "Saint-Aubin" in document.text


@needs_tesseract
def test_an_image_that_is_not_one_is_reported() -> None:
    with pytest.raises(LoaderError, match="unreadable image"):
        parse_document(b"\x89PNG\r\n\x1a\nnot really", "broken.png", ocr=Ocr())
