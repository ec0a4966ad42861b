"""A document's text built from parts (paragraphs, slides, rows, chapters), remembering where each part came from."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from index.models import Document

_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_FILENAME_DATE = re.compile(rf"\A({_DATE})[-_ ]+")


class TextBuilder:
    """Parts joined by blank lines (one paragraph each, as the chunker reads them), with the section and
    page each part starts, so a citation says "slide 3" or "sheet Budget, rows 2–14"."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._sections: list[tuple[int, str]] = []
        self._pages: list[tuple[int, int]] = []

    def add(self, text: str, section: str = "", page: int | None = None) -> None:
        text = text.strip()
        if not text:
            return
        offset = self._length + 2 if self._parts else 0
        if not self._sections or self._sections[-1][1] != section:
            self._sections.append((offset, section))
        if page is not None and (not self._pages or self._pages[-1][1] != page):
            self._pages.append((offset, page))
        self._parts.append(text)
        self._length = offset + len(text)

    def add_document(self, document: Document, label: str) -> None:
        """Another document's text as a part of this one (an e-mail's attachment), its pages and sections
        told under `label` ("attachment report.pdf, p. 2")."""
        marks: list[tuple[int, str]] = [(start, f"p. {page}") for start, page in document.pages]
        marks += [(start, name) for start, name in document.sections if name]
        marks.sort()
        cuts = [0, *(start for start, _ in marks if start > 0), len(document.text)]
        names = {start: name for start, name in marks}
        for begin, end in itertools.pairwise(cuts):
            inner = names.get(begin, "")
            self.add(document.text[begin:end], f"{label}, {inner}" if inner else label)

    @property
    def text(self) -> str:
        return "\n\n".join(self._parts)

    @property
    def sections(self) -> tuple[tuple[int, str], ...]:
        return tuple(self._sections) if any(name for _, name in self._sections) else ()

    @property
    def pages(self) -> tuple[tuple[int, int], ...]:
        return tuple(self._pages)

    def document(self, doc_id: str, meta: dict[str, str]) -> Document:
        return make_document(doc_id, self.text, 0, meta, pages=self.pages, sections=self.sections)


def title_from_filename(doc_id: str) -> tuple[str, str]:
    """'2023-06-belarus-nuclear-deployment.txt' -> ('Belarus nuclear deployment', '2023-06')."""
    stem = Path(doc_id).stem
    date = ""
    match = _FILENAME_DATE.match(stem)
    if match:
        date, stem = match.group(1), stem[match.end() :]
    words = re.sub(r"[-_]+", " ", stem).strip()
    return (words[:1].upper() + words[1:]) if words else Path(doc_id).name, date


def make_document(
    doc_id: str,
    body: str,
    body_offset: int,
    meta: dict[str, str],
    pages: tuple[tuple[int, int], ...] = (),
    sections: tuple[tuple[int, str], ...] = (),
) -> Document:
    """A `Document`, its title and date taken from the file name where the file itself has none."""
    fallback_title, fallback_date = title_from_filename(doc_id)
    return Document(
        doc_id=doc_id,
        path=doc_id,
        title=" ".join((meta.get("title") or "").split()) or fallback_title,
        text=body,
        date=(meta.get("date") or "")[:10] or fallback_date,
        url=meta.get("url") or meta.get("source") or "",
        lang=meta.get("lang", ""),
        body_offset=body_offset,
        pages=pages,
        sections=sections,
        author=" ".join((meta.get("author") or "").split()),
    )
