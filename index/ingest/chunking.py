"""Sentence- and paragraph-aware chunking (French and English) that keeps exact character offsets."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from index.models import Chunk, Document
from index.sentences import split_paragraphs, split_sentences, trim_span

T = TypeVar("T")


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `size` characters at spaces."""
    pieces: list[tuple[int, int]] = []
    while end - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        if cut <= start:
            cut = start + size
        piece = trim_span(text, start, cut)
        if piece:
            pieces.append(piece)
        start = cut
    piece = trim_span(text, start, end)
    if piece:
        pieces.append(piece)
    return pieces


def _is_junk(text: str, span: tuple[int, int]) -> bool:
    """Base64, data URIs, hashes, minified code: long stretches with (almost) no spaces are not prose
    anyone asks about, and would only fill the index with noise."""
    start, end = span
    piece = text[start:end]
    if not any(ch.isalnum() for ch in piece):  # stray markup or punctuation
        return True
    if end - start < 40:
        return False
    return (piece.count(" ") + piece.count("\n")) * 40 < len(piece)  # under 1 space per 40 characters


def _pack(spans: Sequence[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into windows of at most `size` chars, overlapping by whole
    sentences totalling at most `overlap` chars."""
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= size:
            last += 1
        windows.append((spans[first][0], spans[last][1]))
        if last == len(spans) - 1:
            break
        following = last + 1
        # Step back over whole sentences while they fit in the overlap and the window still
        # reaches at least one new sentence.
        while (
            following - 1 > first
            and spans[last][1] - spans[following - 1][0] <= overlap
            and spans[last + 1][1] - spans[following - 1][0] <= size
        ):
            following -= 1
        first = following
    if len(windows) > 1 and windows[-1][1] - windows[-1][0] < size // 4:
        tail = windows.pop()
        windows[-1] = (windows[-1][0], tail[1])
    return windows


@dataclass(frozen=True)
class _Unit:
    """A paragraph that fits in a chunk (`whole`), or one window of a longer paragraph."""

    start: int
    end: int
    paragraph: int
    page: int | None
    whole: bool
    section: str = ""


def _gather(units: Sequence[_Unit], size: int) -> list[tuple[_Unit, _Unit]]:
    """Consecutive whole paragraphs of one page (and section) share a chunk while they fit in `size`; a short lead
    (a heading, a list item, a man page's option) may take what follows up to `size` * 5/4, even the
    first window of a long paragraph, rather than be a chunk of a few words."""
    groups: list[tuple[_Unit, _Unit]] = []
    i = 0
    while i < len(units):
        first = last = units[i]
        while last.whole and i + 1 < len(units):
            following = units[i + 1]
            span = following.end - first.start
            fits = following.whole and span <= size
            short_lead = last.end - first.start < size // 4 and span <= size * 5 // 4
            if (following.page, following.section) != (first.page, first.section) or not (fits or short_lead):
                break
            last = following
            i += 1
        groups.append((first, last))
        i += 1
    return groups


def _lookup(marks: Sequence[tuple[int, T]], none: T) -> Callable[[int], T]:
    """What the last of `marks` (sorted (start offset, value) pairs: pages, sections) at or before an
    offset says; `none` when there are no marks."""
    starts = [start for start, _ in marks]

    def at(offset: int) -> T:
        return marks[max(bisect_right(starts, offset) - 1, 0)][1] if starts else none

    return at


def chunk_document(document: Document, size: int, overlap: int) -> list[Chunk]:
    """Chunks of `document.text` that never cut a sentence unless it is longer than `size`, never cut
    a paragraph that fits in one, and gather short paragraphs rather than make a chunk of each."""
    text = document.text
    page_at = _lookup(document.pages, None)
    section_at = _lookup(document.sections, "")

    def where(offset: int) -> tuple[int | None, str]:
        return page_at(offset), section_at(offset)

    units: list[_Unit] = []
    for paragraph_number, (p_start, p_end) in enumerate(split_paragraphs(text), start=1):
        sentences: list[tuple[int, int]] = []
        for s_start, s_end in split_sentences(text, p_start, p_end):
            sentences.extend(piece for piece in _split_long(text, s_start, s_end, size) if not _is_junk(text, piece))
        if not sentences:
            continue
        whole = sentences[-1][1] - sentences[0][0] <= size and where(sentences[0][0]) == where(sentences[-1][1] - 1)
        windows = [(sentences[0][0], sentences[-1][1])] if whole else _pack(sentences, size, overlap)
        units.extend(
            _Unit(start, end, paragraph_number, page_at(start), whole, section_at(start)) for start, end in windows
        )
    return [
        Chunk(
            doc_id=document.doc_id,
            index=index,
            text=text[first.start : last.end],
            start=document.body_offset + first.start,
            end=document.body_offset + last.end,
            paragraph=first.paragraph,
            page=first.page,
            section=first.section,
        )
        for index, (first, last) in enumerate(_gather(units, size))
    ]
