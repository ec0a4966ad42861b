"""Sentence and paragraph spans of French and English text, with exact character offsets (ingest and answers)."""

from __future__ import annotations

import re

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
        span = trim_span(text, cursor, boundary)
        if span:
            spans.append(span)
        cursor = boundary
    return spans


def paragraph_breaks(text: str) -> int:
    """How many paragraph breaks `text` holds (a chunk of paragraphs 3 to 5 holds two)."""
    return len(_PARAGRAPH_BREAK.findall(text))


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the blank-line separated paragraphs of `text`."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        span = trim_span(text, cursor, match.start())
        if span:
            spans.append(span)
        cursor = match.end()
    span = trim_span(text, cursor, len(text))
    if span:
        spans.append(span)
    return spans


def trim_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
