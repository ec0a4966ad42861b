"""Sentence-aware chunking (French and English) that keeps exact character offsets."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from index.models import Chunk, Document
from index.sentences import split_paragraphs, split_sentences, trim_span


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
