"""The lexical index's postings: term by term, which chunks hold a term and how often, updated in place."""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.text import has_digit


class Segment:
    """The postings of one set of chunks over its rows: term i's rows and term frequencies lie between
    `offsets[i]` and `offsets[i + 1]` of the flat `rows` and `tf` (rows in order), and `position` says where
    each row stands in the index (-1: removed; None while rows and positions are one). A kept copy maps the
    flat arrays from disk; a live update only moves rows (`moved`), it copies no posting."""

    def __init__(
        self,
        terms: list[str],
        offsets: np.ndarray,
        rows: np.ndarray,
        tf: np.ndarray,
        count: int,
        position: np.ndarray | None = None,
        number: dict[str, int] | None = None,
        buckets: dict[tuple[str, int], list[str]] | None = None,
        scripts: frozenset[str] | None = None,
        letters: dict[tuple[str, int], np.ndarray] | None = None,
    ) -> None:
        self.terms = terms
        self.count = count  # rows
        self.offsets, self.rows, self.tf = offsets, rows, tf
        self.position = position
        self.number = number if number is not None else {term: i for i, term in enumerate(terms)}
        # Terms by first letter and length: a query term's near spellings are read from seven buckets,
        # not filtered out of the whole vocabulary (hundreds of thousands of terms at 100k chunks).
        self.buckets = buckets if buckets is not None else _buckets(terms)
        # Each bucket's terms' letters (`letter_marks`), made when a query first reads the bucket.
        self.letters = letters if letters is not None else {}
        # The writing systems of its terms (those of terms removed since stay until the index is loaded anew).
        self.scripts = scripts if scripts is not None else frozenset(script(term) for term in terms)
        sizes = np.diff(offsets)
        if position is None:
            self.alive = sizes
        else:  # each term's postings still in the index, in one pass over the flat rows
            still = position[rows] >= 0
            starts = np.minimum(offsets[:-1], max(len(still) - 1, 0))
            counted = np.add.reduceat(still, starts, dtype=np.int64) if len(still) else np.zeros(len(terms), np.int64)
            self.alive = np.where(sizes > 0, counted, 0)
        # Terms whose every chunk went since the load (none in a segment as built).
        gone = np.flatnonzero((self.alive == 0) & (sizes > 0)) if position is not None else ()
        self.gone = frozenset(terms[i] for i in gone)

    def df(self, term: str) -> int:
        """In how many chunks of the index the term stands, through this segment."""
        i = self.number.get(term)
        return 0 if i is None else int(self.alive[i])

    def run(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Term i's rows and term frequencies, as stored."""
        return self.rows[self.offsets[i] : self.offsets[i + 1]], self.tf[self.offsets[i] : self.offsets[i + 1]]

    def get(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's postings as index positions (in order) and term frequencies; None when none is left
        (`Postings` keeps the answers of the terms asked for lately)."""
        i = self.number.get(term)
        if i is None or not self.alive[i]:
            return None
        rows, tf = self.run(i)
        if self.position is None:
            return rows, tf
        where = self.position[rows]
        kept = where >= 0
        return where[kept], tf[kept]

    def moved(self, position: np.ndarray) -> Segment:
        """The same postings with rows standing at `position` (-1: removed)."""
        return Segment(
            self.terms,
            self.offsets,
            self.rows,
            self.tf,
            self.count,
            position,
            self.number,
            self.buckets,
            self.scripts,
            self.letters,
        )

    def positions(self) -> np.ndarray:
        """Where each row stands (-1: removed)."""
        return np.arange(self.count, dtype=np.int32) if self.position is None else self.position

    def near(self, first: str, lengths: range, alike: str = "", cutoff: float = 0.0) -> list[str]:
        """Terms still in the index that start with `first` and have one of `lengths`; with `alike`, only those
        whose letters leave room for `cutoff` likeness to it (rapidfuzz ratio: `letter_marks`, `least_shared`), in
        order."""
        found: list[str] = []
        marks, spare = letter_marks(alike) if alike else (0, 0)
        for length in lengths:
            bucket = self.buckets.get((first, length))
            if not bucket:
                continue
            if not alike:
                found.extend(bucket)
                continue
            letters = self.letters.get((first, length))
            if letters is None:
                letters = self.letters[(first, length)] = bucket_marks(bucket, length)
            shared = np.bitwise_count(letters & np.uint64(marks))
            kept = np.flatnonzero(shared >= least_shared(len(alike), length, cutoff) - spare)
            found.extend([bucket[i] for i in kept.tolist()])
        return [term for term in found if term not in self.gone] if self.gone else found

    def alive_terms(self) -> Iterator[str]:
        return (term for term, count in zip(self.terms, self.alive.tolist(), strict=True) if count)


def segment_of(
    postings: dict[str, tuple[np.ndarray, np.ndarray]], count: int, position: np.ndarray | None = None
) -> Segment:
    """A segment of `count` rows from each term's (rows, term frequencies)."""
    terms = list(postings)
    sizes = np.fromiter((len(postings[t][0]) for t in terms), np.int64, count=len(terms))
    offsets = np.zeros(len(terms) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    rows = np.concatenate([postings[t][0] for t in terms] or [np.zeros(0, np.int32)]).astype(np.int32)
    tf = np.concatenate([postings[t][1] for t in terms] or [np.zeros(0, np.float32)])
    return Segment(terms, offsets, rows, tf, count, position)


def merged(first: Segment, then: Segment) -> Segment:
    """One segment holding `first`'s rows and then `then`'s (both small: what live updates added)."""
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for segment, shift in ((first, 0), (then, first.count)):
        for i, term in enumerate(segment.terms):
            rows, tf = segment.run(i)
            rows = rows + shift
            if term in postings:
                rows, tf = np.concatenate([postings[term][0], rows]), np.concatenate([postings[term][1], tf])
            postings[term] = (rows, tf)
    return segment_of(postings, first.count + then.count, np.concatenate([first.positions(), then.positions()]))


class Postings:
    """Every segment's postings as one index: a term's chunk positions (in order) and term frequencies, and in
    how many chunks it stands. The first segment is the loaded one; a second holds what live updates added."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self._get = lru_cache(maxsize=4096)(self._joined)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.df(term) > 0

    def __len__(self) -> int:
        """How many terms the index still holds."""
        if len(self.segments) == 1:
            return int(np.count_nonzero(self.segments[0].alive))
        return len(set().union(*(segment.alive_terms() for segment in self.segments)))

    def __getitem__(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        found = self._get(term)
        if found is None:
            raise KeyError(term)
        return found

    def _joined(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        parts = [found for segment in self.segments if (found := segment.get(term)) is not None]
        if len(parts) <= 1:
            return parts[0] if parts else None
        return np.concatenate([p for p, _ in parts]), np.concatenate([t for _, t in parts])

    def df(self, term: str) -> int:
        return sum(segment.df(term) for segment in self.segments)

    @property
    def scripts(self) -> frozenset[str]:
        return frozenset().union(*(segment.scripts for segment in self.segments))

    def near(self, term: str, cutoff: float = 0.0) -> list[str]:
        """Terms that could be another spelling of `term`: same first letter, length within three, and (with a
        `cutoff`) letters enough in common to be that alike (rapidfuzz ratio)."""
        lengths = range(len(term) - 3, len(term) + 4)
        alike = term if cutoff > 0 else ""
        if len(self.segments) == 1:
            return self.segments[0].near(term[0], lengths, alike, cutoff)
        return list(
            dict.fromkeys(t for segment in self.segments for t in segment.near(term[0], lengths, alike, cutoff))
        )

    def flat(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """All postings in index positions as one set of flat arrays (terms, offsets, positions, tf), terms no
        chunk holds any more left out; the loaded segment's arrays themselves when nothing moved."""
        base = self.segments[0]
        if len(self.segments) == 1 and base.position is None:
            return base.terms, base.offsets, base.rows, base.tf
        flat = self.in_pieces()
        return flat.terms, flat.offsets, np.concatenate(list(flat.positions())), np.concatenate(list(flat.tf()))

    def in_pieces(self) -> FlatPostings:
        """`flat`'s arrays, the two long ones as pieces made when asked for (what a kept copy writes, a block
        of the loaded postings at a time, never all of them at once in memory)."""
        base = self.segments[0]
        added: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for segment in self.segments[1:]:
            for term in segment.alive_terms():
                found = segment.get(term)
                assert found is not None
                added[term] = found
        counts = base.alive.copy()
        runs: list[tuple[int, int] | str] = []  # postings of the loaded segment (from, to), or an added term's
        done = 0
        for i, term in sorted((base.number[term], term) for term in added if term in base.number):
            runs += [(done, int(base.offsets[i + 1])), term]
            counts[i] += len(added[term][0])
            done = int(base.offsets[i + 1])
        runs.append((done, int(base.offsets[-1])))
        new_terms = [term for term in added if term not in base.number]
        runs += new_terms
        counts = np.concatenate([counts, np.asarray([len(added[t][0]) for t in new_terms], np.int64)])
        present = counts > 0
        offsets = np.zeros(int(present.sum()) + 1, np.int64)
        np.cumsum(counts[present], out=offsets[1:])
        terms = [term for term, there in zip([*base.terms, *new_terms], present.tolist(), strict=True) if there]

        def pieces(tf: bool) -> Iterator[np.ndarray]:
            for run in runs:
                if isinstance(run, str):
                    yield added[run][1 if tf else 0]
                    continue
                for start in range(run[0], run[1], BLOCK):
                    rows = base.rows[start : min(start + BLOCK, run[1])]
                    where = rows if base.position is None else base.position[rows]
                    kept = where >= 0
                    yield base.tf[start : start + len(rows)][kept] if tf else where[kept].astype(np.int32)

        return FlatPostings(terms, offsets, lambda: pieces(False), lambda: pieces(True))


BLOCK = 4_000_000  # postings mapped at a time when they are written out


@dataclass(frozen=True)
class FlatPostings:
    """The postings as one flat set: terms, offsets, and the positions and term frequencies as pieces."""

    terms: list[str]
    offsets: np.ndarray
    positions: Callable[[], Iterator[np.ndarray]]
    tf: Callable[[], Iterator[np.ndarray]]


def script(term: str) -> str:
    """The writing system of a term's first letter ("LATIN", "ARABIC", "CYRILLIC", "DIGIT"…)."""
    return unicodedata.name(term[0], "?").split(" ")[0] if term else "?"


# How alike two spellings are (rapidfuzz ratio, Indel): 200 x their longest common subsequence / their lengths
# summed. The subsequence holds no more of a letter than both spellings do, so the letters they share bound it:
# counted up to two of each letter by two bits of a 64-bit mark (letter_marks), and what a term holds beyond
# that (a third "e", a digit, an accent) counted as shared whatever the other holds. A corpus term whose bound
# falls short of a cutoff cannot reach it: rapidfuzz need not compare it (the ~2,000-6,000 terms of a bucket at
# 100k chunks, ~96 % of them ruled out so).
_LETTER_BITS = np.array([1 << (2 * n) for n in range(26)], dtype=np.uint64)
_TWICE_BITS = _LETTER_BITS << np.uint64(1)


def letter_marks(term: str) -> tuple[int, int]:
    """`term`'s letters a-z as a mark (bit 2n: the n-th letter at least once, bit 2n + 1: twice or more), and
    how many of its characters the mark leaves out (other characters, and letters past their second)."""
    marks = spare = 0
    for ch in term:
        n = ord(ch) - 97
        if not 0 <= n < 26:
            spare += 1
        elif not marks >> (2 * n) & 1:
            marks |= 1 << (2 * n)
        elif not marks >> (2 * n + 1) & 1:
            marks |= 1 << (2 * n + 1)
        else:
            spare += 1
    return marks, spare


def bucket_marks(terms: list[str], length: int) -> np.ndarray:
    """`letter_marks` of terms of one `length` (their letters' bits only), in one pass of arrays."""
    codes = np.array(terms, dtype=f"<U{length}").view(np.uint32).reshape(len(terms), length).astype(np.int64) - 97
    counts = np.zeros((len(terms), 26), dtype=np.int64)
    for column in codes.T:
        letter = np.flatnonzero((column >= 0) & (column < 26))
        counts[letter, column[letter]] += 1
    return ((counts >= 1) * _LETTER_BITS).sum(axis=1, dtype=np.uint64) | ((counts >= 2) * _TWICE_BITS).sum(
        axis=1, dtype=np.uint64
    )


def least_shared(length: int, other: int, cutoff: float) -> int:
    """The fewest characters two spellings of these lengths must have in common to be `cutoff` alike (rapidfuzz
    ratio), rounded down a hair so that a pair exactly at the cutoff is never ruled out."""
    return math.ceil(cutoff * (length + other) / 200 - 1e-6)


def _buckets(terms: Iterable[str]) -> dict[tuple[str, int], list[str]]:
    buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
    for term in terms:
        if len(term) >= 3 and not has_digit(term):
            buckets[(term[0], len(term))].append(term)
    return dict(buckets)
