"""Sentence-aware chunking (French and English) that keeps exact character offsets."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from index.models import Chunk, Document

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# End punctuation, closing quotes/brackets, whitespace: a candidate sentence end.
_SENTENCE_END = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]?[\"'»”’)\]])*(?=\s)")
# A caption such as "(Photo: Reuters)" glued to the next sentence without punctuation.
_CAPTION_END = re.compile(r"\([^()\n]{0,60}:[^()\n]{0,60}\)(?=\s)")
_LINE_END = re.compile(r"\n")
_ABBREVIATIONS = frozenset(
    """
    m mm mme mlle mr mrs ms dr st ste prof gen gén col lt sgt jr sr vs no nos p pp fig cf art av bd
    ca approx env dept min max vol ed éd jan feb fév mar apr avr aug sept oct nov dec déc e.g i.e
    u.s u.k a.m p.m
    """.split()
)
_OPENERS = "«\"“‘'([¿¡-–—•*#"


def _starts_sentence(text: str, pos: int) -> bool:
    """Is the first non-space character at or after `pos` a plausible sentence start?"""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    while pos < len(text) and text[pos] in _OPENERS:
        pos += 1
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return pos < len(text) and (text[pos].isupper() or text[pos].isdigit())


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the period at `dot` part of an abbreviation or an initial ('M. Barry', 'J. Smith')?"""
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    if not word:
        return False
    if len(word) == 1 and text[start].isupper():
        return True
    return word in _ABBREVIATIONS


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """Offsets (exclusive) where sentences end inside text[start:end]."""
    ends: set[int] = set()
    for match in _SENTENCE_END.finditer(text, start, end):
        marks = match.group()
        if marks.startswith(".") and not marks.startswith("..") and _is_abbreviation(text, match.start()):
            continue
        if _starts_sentence(text, match.end()):
            ends.add(match.end())
    for match in _CAPTION_END.finditer(text, start, end):
        if _starts_sentence(text, match.end()):
            ends.add(match.end())
    for match in _LINE_END.finditer(text, start, end):
        line_start = text.rfind("\n", start, match.start()) + 1
        line = text[max(line_start, start) : match.start()].rstrip()
        if line and (len(line) < 80 or line[-1] in '.!?…:»"”'):
            ends.add(match.start())
    ends.add(end)
    return sorted(ends)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in text[start:end], whitespace trimmed."""
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for boundary in _sentence_ends(text, start, stop):
        span = _trim(text, cursor, boundary)
        if span:
            spans.append(span)
        cursor = boundary
    return spans


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the blank-line separated paragraphs of `text`."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        span = _trim(text, cursor, match.start())
        if span:
            spans.append(span)
        cursor = match.end()
    span = _trim(text, cursor, len(text))
    if span:
        spans.append(span)
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `size` characters at spaces."""
    pieces: list[tuple[int, int]] = []
    while end - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        if cut <= start:
            cut = start + size
        piece = _trim(text, start, cut)
        if piece:
            pieces.append(piece)
        start = cut
    piece = _trim(text, start, end)
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


def chunk_document(document: Document, size: int, overlap: int) -> list[Chunk]:
    """Chunks of `document.text` that never cut a sentence unless it is longer than `size`."""
    text = document.text
    page_starts = [start for start, _ in document.pages]
    chunks: list[Chunk] = []
    for paragraph_number, (p_start, p_end) in enumerate(split_paragraphs(text), start=1):
        sentences: list[tuple[int, int]] = []
        for s_start, s_end in split_sentences(text, p_start, p_end):
            sentences.extend(piece for piece in _split_long(text, s_start, s_end, size) if not _is_junk(text, piece))
        for start, end in _pack(sentences, size, overlap):
            page = None
            if page_starts:
                page = document.pages[max(bisect_right(page_starts, start) - 1, 0)][1]
            chunks.append(
                Chunk(
                    doc_id=document.doc_id,
                    index=len(chunks),
                    text=text[start:end],
                    start=document.body_offset + start,
                    end=document.body_offset + end,
                    paragraph=paragraph_number,
                    page=page,
                )
            )
    return chunks
