"""Loaders: metadata from each format, and bad files reported and skipped without losing the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.answer.answerer import build
from index.errors import LoaderError
from index.ingest.loaders import load_corpus, parse_document
from index.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.fakes import HashingEmbedder, minimal_pdf


def test_seed_file_date_line_is_metadata_not_text() -> None:
    result = load_corpus(SEED_CORPUS, 10**7)
    [doc] = result.documents
    assert doc.date == "2023-06"
    assert doc.title == "Belarus nuclear deployment"
    assert doc.text.startswith("Le président biélorusse")
    raw = (SEED_CORPUS / doc.doc_id).read_text(encoding="utf-8")
    assert raw[doc.body_offset :] == doc.text


def test_text_header_lines(corpus: Path) -> None:
    (corpus / "note.txt").write_text("title: Weekly note\ndate: 2024-02-01\nurl: https://example.org/n\n\nBody here.\n")
    [doc] = load_corpus(corpus, 10**7).documents
    assert (doc.title, doc.date, doc.url) == ("Weekly note", "2024-02-01", "https://example.org/n")
    assert doc.text.strip() == "Body here."


def test_markdown_front_matter_and_heading(corpus: Path) -> None:
    (corpus / "a.md").write_text(
        "---\ntitle: Front title\ndate: 2023-07-01\nurl: https://x.test/a\nlang: fr\n---\n# Heading\n\nTexte.\n"
    )
    (corpus / "b.md").write_text("# Heading title\n\nSome text.\n")
    docs = {d.doc_id: d for d in load_corpus(corpus, 10**7).documents}
    assert docs["a.md"].title == "Front title"
    assert docs["a.md"].lang == "fr"
    assert docs["a.md"].url == "https://x.test/a"
    assert "Front title" not in docs["a.md"].text
    assert docs["b.md"].title == "Heading title"


def test_html_main_text_and_metadata(corpus: Path) -> None:
    (corpus / "page.html").write_text(
        """<html lang="en"><head><title>Page title</title>
        <link rel="canonical" href="https://news.test/story">
        <meta property="article:published_time" content="2023-06-09T10:00:00Z"></head>
        <body><nav>Home | About</nav><script>var x = 1;</script>
        <article><h1>Big story</h1><p>First paragraph &amp; more.</p><p>Second paragraph.</p></article>
        <footer>Copyright</footer></body></html>"""
    )
    [doc] = load_corpus(corpus, 10**7).documents
    assert doc.title == "Page title"
    assert doc.url == "https://news.test/story"
    assert doc.date == "2023-06-09"
    assert "First paragraph & more." in doc.text
    assert "Second paragraph." in doc.text
    assert "var x" not in doc.text and "Home | About" not in doc.text and "Copyright" not in doc.text


def test_pdf_keeps_page_numbers(corpus: Path) -> None:
    (corpus / "report.pdf").write_bytes(minimal_pdf(["Page one text.", "Page two says hello."]))
    [doc] = load_corpus(corpus, 10**7).documents
    assert "Page one text." in doc.text and "Page two says hello." in doc.text
    assert [page for _, page in doc.pages] == [1, 2]
    second_start = doc.pages[1][0]
    assert doc.text[second_start:].startswith("Page two")


def test_bad_files_are_reported_and_the_rest_loaded(corpus: Path) -> None:
    (corpus / "good.txt").write_text("A good document. It has text.")
    (corpus / "empty.txt").write_text("")
    (corpus / "blank.md").write_text("   \n\n ")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (corpus / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (corpus / "big.txt").write_text("x" * 2000)
    (corpus / "scan.pdf").write_bytes(minimal_pdf([""]))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "data.bin").write_bytes(b"\x89\x01\r\n")
    (corpus / ".hidden.txt").write_text("ignored entirely")
    result = load_corpus(corpus, max_bytes=1000)
    assert [d.doc_id for d in result.documents] == ["good.txt"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert set(reasons) == {
        "empty.txt",
        "blank.md",
        "binary.txt",
        "latin1.txt",
        "big.txt",
        "scan.pdf",
        "broken.pdf",
        "image.png",
        "data.bin",
    }
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "too large" in reasons["big.txt"]
    assert "no text layer" in reasons["scan.pdf"]
    assert "PDF" in reasons["broken.pdf"]
    assert "OCR" in reasons["image.png"]
    assert "unsupported" in reasons["data.bin"]


def test_a_pdf_that_inflates_to_too_much_text_is_skipped_with_its_figures(settings: Settings, corpus: Path) -> None:
    """A small PDF whose compressed stream holds megabytes of text would take hours to embed."""
    line = "The quick brown fox jumps over the lazy dog again and again."
    bomb = minimal_pdf([line], repeat=2_000)  # ~1 kB on disk, 0.12 MB of text: a ratio of 90 to 1
    assert len(bomb) < 2_000
    with pytest.raises(LoaderError, match=r"too much content: 0\.18\d MB from a 0\.00\d+ MB file \(limit 0\.04 MB\)"):
        parse_document(bomb, "bomb.pdf", max_chars=40_000)  # refused before extracting its text
    with pytest.raises(LoaderError, match=r"too much text: 0\.12 MB from a 0\.00\d+ MB file \(limit 0\.1 MB\)"):
        parse_document(bomb, "bomb.pdf", max_chars=100_000)
    assert len(parse_document(bomb, "bomb.pdf", max_chars=150_000).text) == 120_000  # within the limit: read

    (corpus / "bomb.pdf").write_bytes(bomb)
    (corpus / "long.txt").write_text("word " * 24_000, encoding="utf-8")
    (corpus / "note.txt").write_text("The alpha reactor was inspected in March.", encoding="utf-8")
    limited = Settings(_env_file=None, corpus_dir=corpus, index_dir=settings.index_dir, max_text_mb=0.1)  # type: ignore[call-arg]
    report = build(limited, embedder=HashingEmbedder()).indexer().run(corpus)
    reasons = {s.path: s.reason for s in report.skipped}
    assert report.added == ("note.txt",) and set(reasons) == {"bomb.pdf", "long.txt"}
    assert reasons["long.txt"].startswith("too much text: 0.12 MB from a 0.12 MB file")
