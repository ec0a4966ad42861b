"""Indexing throughput of each document format: files per second, and the share of the time spent
extracting text (the loaders) against chunking and embedding it, on the same real articles written as
each format by the library that writes it.

The articles are real text from ../shared/eval-external (read there, the files written only to a
temporary folder). Scans are pages of those articles drawn as images and read back by Tesseract.
Usage: python -m bench.formats [--docs 20] [--scans 3] [--model e5-small-q4] [--formats .html,.png]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import tempfile
import textwrap
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from index.embedding import load_embedder
from index.ingest.chunking import chunk_document
from index.ingest.loaders import parse_document
from index.ingest.ocr import Ocr
from index.text import with_title

EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-external"
Writer = Callable[[str, list[str]], bytes]


def _saved(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def as_docx(title: str, paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    return _saved(document)


def as_odt(title: str, paragraphs: list[str]) -> bytes:
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text=title))
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def as_pptx(title: str, paragraphs: list[str]) -> bytes:
    import pptx

    presentation = pptx.Presentation()
    for start in range(0, len(paragraphs), 2):
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = "\n".join(paragraphs[start : start + 2])
    return _saved(presentation)


def as_xlsx(title: str, paragraphs: list[str]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Paragraph", "Text"])
    for number, paragraph in enumerate(paragraphs, start=1):
        sheet.append([number, paragraph])
    return _saved(workbook)


def as_epub(title: str, paragraphs: list[str]) -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(title)
    book.set_title(title)
    chapters = []
    for number, start in enumerate(range(0, len(paragraphs), 4), start=1):
        chapter = epub.EpubHtml(title=f"Part {number}", file_name=f"c{number}.xhtml")
        body = "".join(f"<p>{p}</p>" for p in paragraphs[start : start + 4])
        chapter.content = f"<html><body><h1>Part {number}</h1>{body}</body></html>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = tuple(chapters)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = chapters
    buffer = io.BytesIO()
    epub.write_epub(buffer, book)
    return buffer.getvalue()


def as_eml(title: str, paragraphs: list[str]) -> bytes:
    message = EmailMessage()
    message["Subject"], message["From"] = title, "bench@example.org"
    message["Date"] = "Mon, 04 May 2026 09:12:00 +0000"
    message.set_content("\n\n".join(paragraphs[: len(paragraphs) // 2]))
    rest = as_docx(title, paragraphs[len(paragraphs) // 2 :])
    message.add_attachment(rest, maintype="application", subtype="octet-stream", filename="rest.docx")
    return message.as_bytes()


def as_rtf(title: str, paragraphs: list[str]) -> bytes:
    def escaped(text: str) -> str:
        out = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
        return "".join(ch if ord(ch) < 128 else f"\\u{ord(ch) - (65536 if ord(ch) >= 32768 else 0)}?" for ch in out)

    body = "".join(f"{{\\pard {escaped(p)}\\par}}\n" for p in paragraphs)
    return f"{{\\rtf1\\ansi\\deff0{{\\info{{\\title {escaped(title)}}}}}\n{body}}}".encode("ascii")


def as_html(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "<nav><a href='/'>Accueil</a> <a href='/sport'>Sport</a></nav>"
    page = f"<html><head><title>{title}</title></head><body>{nav}<article><h1>{title}</h1>{body}</article>"
    return (page + "<footer>©</footer></body></html>").encode()


def as_txt(title: str, paragraphs: list[str]) -> bytes:
    return (f"title: {title}\n\n" + "\n\n".join(paragraphs)).encode()


def as_scan(title: str, paragraphs: list[str]) -> bytes:
    """The article's first ~2,000 characters drawn on one A4 page at 300 dpi, as a PNG with no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 34)
    page = Image.new("L", (2480, 3508), 240)
    draw, y, used = ImageDraw.Draw(page), 150, 0
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, 90):
            if y > 3350:
                break
            draw.text((150, y), line, font=font, fill=20)
            y, used = y + 50, used + len(line)
        y += 30
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()


FORMATS: dict[str, Writer] = {
    ".txt": as_txt,
    ".html": as_html,
    ".docx": as_docx,
    ".odt": as_odt,
    ".rtf": as_rtf,
    ".pptx": as_pptx,
    ".xlsx": as_xlsx,
    ".epub": as_epub,
    ".eml": as_eml,
    ".png": as_scan,
}


def articles(count: int) -> list[tuple[str, list[str]]]:
    picked = []
    for path in sorted((EXTERNAL / "corpus").iterdir())[:count]:
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n\n")
        title = head.removeprefix("title:").strip() if head.startswith("title:") else path.stem
        picked.append((title, [p.strip() for p in body.split("\n\n") if p.strip()]))
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--scans", type=int, default=3)
    parser.add_argument("--model", default="e5-small-q4")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated suffixes")
    args = parser.parse_args()
    embedder = load_embedder(args.model)
    sources = articles(args.docs)
    kilobytes = sum(len(" ".join(p)) for _, p in sources) / 1e3
    print(f"{len(sources)} articles of eval-external, {kilobytes:.0f} kB of text; {args.model}; {dt.date.today()}")
    header = ("format", "files", "MB", "chunks", "extract s", "embed s", "files/s", "extract %")
    print("{:7} {:>5} {:>6} {:>6} {:>9} {:>8} {:>7} {:>9}".format(*header))
    with tempfile.TemporaryDirectory() as folder:
        ocr = Ocr(Path(folder) / "ocr-cache")
        for suffix in args.formats.split(","):
            write = FORMATS[suffix]
            picked = sources[: args.scans] if suffix == ".png" else sources
            files = [(f"doc-{i}{suffix}", write(title, paragraphs)) for i, (title, paragraphs) in enumerate(picked)]
            extract = embed = 0.0
            chunks = 0
            for name, data in files:
                started = time.perf_counter()
                document = parse_document(data, name, ocr=ocr)
                middle = time.perf_counter()
                pieces = chunk_document(document, 700, 150)
                embedder.embed([with_title(document.title, chunk.text) for chunk in pieces])
                extract += middle - started
                embed += time.perf_counter() - middle
                chunks += len(pieces)
            size = sum(len(data) for _, data in files) / 1e6
            total = extract + embed
            print(
                f"{suffix:7} {len(files):5d} {size:6.2f} {chunks:6d} {extract:9.2f} {embed:8.2f} "
                f"{len(files) / total:7.2f} {100 * extract / total:8.1f}%"
            )


if __name__ == "__main__":
    main()
