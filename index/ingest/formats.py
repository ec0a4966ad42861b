"""Office files, e-books and RTF (.docx, .odt, .pptx, .xlsx, .epub, .rtf) read with the libraries made for them."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from index.errors import LoaderError
from index.ingest.assembly import TextBuilder
from index.models import Document

# Rows of a spreadsheet are cited in blocks of about this many characters ("sheet Budget, rows 2–9").
_ROW_BLOCK_CHARS = 500


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value or "")[:10]


def _core_meta(properties: Any) -> dict[str, str]:
    """Title, author and date of an OOXML file (python-docx, python-pptx and openpyxl share these names)."""
    return {
        "title": getattr(properties, "title", "") or "",
        "author": getattr(properties, "author", "") or getattr(properties, "creator", "") or "",
        "date": _iso(getattr(properties, "created", None) or getattr(properties, "modified", None)),
    }


def _opening(data: bytes, what: str) -> io.BytesIO:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoaderError(f"unreadable {what} (not a zip container)")
    return io.BytesIO(data)


def load_docx(data: bytes, doc_id: str) -> Document:
    """Word: paragraphs and table rows in document order; a citation gives the paragraph."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(_opening(data, "Word file"))
        builder = TextBuilder()
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                builder.add(block.text)
            elif isinstance(block, Table):
                builder.add("\n".join(_row_text(cell.text for cell in row.cells) for row in block.rows))
        meta = _core_meta(document.core_properties)
    except LoaderError:
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors... on a damaged file
        raise LoaderError(f"unreadable Word file ({type(exc).__name__}: {exc})") from exc
    return builder.document(doc_id, meta)


def _row_text(cells: Iterable[str]) -> str:
    seen: list[str] = []
    for cell in cells:
        text = " ".join(cell.split())
        if text and (not seen or seen[-1] != text):  # merged cells repeat their text
            seen.append(text)
    return " | ".join(seen)


def load_pptx(data: bytes, doc_id: str) -> Document:
    """PowerPoint: each slide's text (titles, boxes, tables, speaker notes); a citation gives the slide."""
    import pptx

    try:
        presentation = pptx.Presentation(_opening(data, "PowerPoint file"))
        builder = TextBuilder()
        for number, slide in enumerate(presentation.slides, start=1):
            label = f"slide {number}"
            for shape in _shapes(slide.shapes):
                if getattr(shape, "has_text_frame", False):
                    builder.add(shape.text_frame.text, label)
                if getattr(shape, "has_table", False):
                    rows = shape.table.rows
                    builder.add("\n".join(_row_text(cell.text for cell in row.cells) for row in rows), label)
            if slide.has_notes_slide:
                builder.add(slide.notes_slide.notes_text_frame.text, label)
        meta = _core_meta(presentation.core_properties)
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(f"unreadable PowerPoint file ({type(exc).__name__}: {exc})") from exc
    return builder.document(doc_id, meta)


def _shapes(shapes: Any) -> Iterable[Any]:
    """Shapes in reading order (top to bottom, left to right), groups opened."""
    for shape in sorted(shapes, key=lambda s: ((s.top or 0) // 100_000, s.left or 0)):
        if shape.shape_type == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and not (value.hour or value.minute or value.second):
        return value.date().isoformat()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def load_xlsx(data: bytes, doc_id: str) -> Document:
    """Excel: each row as "column: value" pairs under the sheet's header row; a citation gives the sheet and
    the rows."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(_opening(data, "Excel file"), read_only=True, data_only=True)
        builder = TextBuilder()
        for sheet in workbook.worksheets:
            _add_sheet(builder, sheet.title, sheet.iter_rows(values_only=True))
        meta = _core_meta(workbook.properties)
        workbook.close()
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(f"unreadable Excel file ({type(exc).__name__}: {exc})") from exc
    return builder.document(doc_id, meta)


def _add_sheet(builder: TextBuilder, name: str, rows: Iterable[tuple[object, ...]]) -> None:
    header: list[str] = []
    block: list[str] = []
    first = last = 0

    def flush() -> None:
        if block:
            where = f"row {first}" if first == last else f"rows {first}–{last}"
            builder.add("\n".join(block), f"sheet {name}, {where}")
            block.clear()

    for number, row in enumerate(rows, start=1):
        cells = [_cell(value) for value in row]
        if not any(cells):
            continue
        if not header and sum(1 for c in cells if c) >= 2 and all(not c or not _is_number(c) for c in cells):
            flush()
            header = cells
            first = last = number
            block.append(" | ".join(c for c in cells if c))
            continue
        pairs = [f"{header[i]}: {c}" if i < len(header) and header[i] else c for i, c in enumerate(cells) if c]
        line = "; ".join(pairs)
        if block and sum(map(len, block)) + len(line) > _ROW_BLOCK_CHARS:
            flush()
        if not block:
            first = number
        block.append(line)
        last = number
    flush()


def _is_number(text: str) -> bool:
    return re.fullmatch(r"[-+]?[\d\s.,]+%?", text) is not None


def load_odt(data: bytes, doc_id: str) -> Document:
    """OpenDocument text: headings and paragraphs in order (tables cell by cell); a citation gives the paragraph."""
    from odf import dc, teletype
    from odf import text as odf_text
    from odf.opendocument import load

    try:
        document = load(_opening(data, "OpenDocument file"))
        builder = TextBuilder()
        wanted = {(odf_text.TEXTNS, "p"), (odf_text.TEXTNS, "h")}

        def walk(node: Any) -> None:
            for child in node.childNodes:
                if getattr(child, "qname", None) in wanted:
                    builder.add(teletype.extractText(child))
                elif getattr(child, "childNodes", None):
                    walk(child)

        walk(document.text)

        def first(kind: Callable[[], Any]) -> str:
            found = document.meta.getElementsByType(kind)
            return teletype.extractText(found[0]) if found else ""

        from odf import meta as odf_meta

        meta = {
            "title": first(dc.Title),
            "author": first(dc.Creator) or first(odf_meta.InitialCreator),
            "date": first(odf_meta.CreationDate) or first(dc.Date),
        }
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(f"unreadable OpenDocument file ({type(exc).__name__}: {exc})") from exc
    return builder.document(doc_id, meta)


def load_epub(data: bytes, doc_id: str, html_blocks: Callable[[bytes], tuple[str, list[str]]]) -> Document:
    """EPUB: the chapters in reading order; a citation gives the chapter. `html_blocks` turns a chapter's
    XHTML into (heading, paragraphs)."""
    import warnings

    from ebooklib import ITEM_DOCUMENT, epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = epub.read_epub(_opening(data, "EPUB file"), options={"ignore_ncx": True})
        titles = {_href(link.href): link.title for link in _toc_links(book.toc)}
        builder = TextBuilder()
        number = 0
        for idref, _linear in book.spine:
            item = book.get_item_with_id(idref)
            if item is None or item.get_type() != ITEM_DOCUMENT:
                continue
            heading, paragraphs = html_blocks(item.get_content())
            if not paragraphs:
                continue
            number += 1
            name = titles.get(_href(item.get_name())) or heading
            label = f"ch. {number}" + (f" “{name[:60]}”" if name else "")
            for paragraph in paragraphs:
                builder.add(paragraph, label)

        def first(field: str) -> str:
            values = book.get_metadata("DC", field)
            return str(values[0][0]) if values else ""

        meta = {"title": first("title"), "author": first("creator"), "date": first("date"), "lang": first("language")}
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(f"unreadable EPUB file ({type(exc).__name__}: {exc})") from exc
    return builder.document(doc_id, meta)


def _href(name: str) -> str:
    return name.split("#", 1)[0].rsplit("/", 1)[-1]


def _toc_links(toc: Any) -> Iterable[Any]:
    for entry in toc:
        if isinstance(entry, tuple | list):
            section, children = entry
            if getattr(section, "href", None):
                yield section
            yield from _toc_links(children)
        elif getattr(entry, "href", None):
            yield entry


_RTF_INFO = re.compile(r"\{\\(title|author)\s+((?:[^{}\\]|\\[^a-z])*)\}", re.IGNORECASE)
_RTF_CREATED = re.compile(r"\\creatim\\yr(\d{4})\\mo(\d{1,2})\\dy(\d{1,2})")


def load_rtf(data: bytes, doc_id: str) -> Document:
    """RTF: its text (striprtf), one paragraph per \\par; title, author and creation date from its \\info."""
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")
    if not raw.lstrip().startswith("{\\rtf"):
        raise LoaderError("unreadable RTF file (no {\\rtf header)")
    try:
        text = rtf_to_text(raw, errors="ignore")
    except Exception as exc:
        raise LoaderError(f"unreadable RTF file ({type(exc).__name__}: {exc})") from exc
    builder = TextBuilder()
    for line in text.splitlines():
        builder.add(line)
    meta = {key.lower(): rtf_to_text("{\\rtf1 " + value + "}").strip() for key, value in _RTF_INFO.findall(raw)}
    created = _RTF_CREATED.search(raw)
    if created:
        year, month, day = created.groups()
        meta["date"] = f"{year}-{int(month):02d}-{int(day):02d}"
    return builder.document(doc_id, meta)
