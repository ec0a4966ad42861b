"""BM25 over an inverted index, with rapidfuzz expansion of query terms across spellings and languages."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from index.text import has_digit, terms

K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class LexicalHit:
    """A chunk's lexical score, and that score as a share of what a perfect match would get."""

    position: int
    score: float
    coverage: float


class LexicalIndex:
    """Inverted index over chunk texts; query cost follows the postings of the query's terms."""

    def __init__(
        self,
        texts: Iterable[str],
        fuzzy_cutoff: float = 80.0,
        bridge: Mapping[str, frozenset[str]] | None = None,
        bridge_weight: float = 0.5,
    ) -> None:
        self._bridge = bridge or {}
        self._bridge_weight = bridge_weight
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for position, text in enumerate(texts):
            counts = Counter(terms(text))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings[term].append((position, tf))
        self.size = len(lengths)
        self._lengths = np.asarray(lengths, dtype=np.float32)
        average = float(self._lengths.mean()) if self.size else 1.0
        self._norm = K1 * (1 - B + B * self._lengths / max(average, 1e-9))
        self._postings = {
            term: (np.fromiter((p for p, _ in rows), np.int64), np.fromiter((tf for _, tf in rows), np.float32))
            for term, rows in postings.items()
        }
        self._idf = {term: self._idf_for(len(rows)) for term, rows in postings.items()}
        self._fuzzy_cutoff = fuzzy_cutoff
        self._common_df = max(256, self.size // 50)
        # Spellings by first letter and length: a query term's near spellings are read from seven
        # buckets, not filtered out of the whole vocabulary (hundreds of thousands of terms at 100k chunks).
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for term in self._postings:
            if len(term) >= 3 and not has_digit(term):
                buckets[(term[0], len(term))].append(term)
        self._buckets = dict(buckets)
        self._scripts = {_script(term) for term in self._postings}
        self.expand = lru_cache(maxsize=50_000)(self._expand)

    def _idf_for(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def _expand(self, term: str) -> tuple[tuple[str, float], ...]:
        """The corpus terms a query term stands for, with weights: itself, and near spellings."""
        found: dict[str, float] = {}
        if term in self._postings:
            found[term] = 1.0
        if len(term) >= 3 and not has_digit(term):  # identifiers and numbers match exactly, never fuzzily
            for match, score, _ in process.extract(
                term, self._spellings_near(term), scorer=fuzz.ratio, score_cutoff=self._fuzzy_cutoff, limit=5
            ):
                found.setdefault(match, (score / 100.0) ** 2)
        for translation in self._bridge.get(term, ()):  # the word in the other language
            if translation in self._postings:
                found.setdefault(translation, self._bridge_weight)
        return tuple(found.items())

    def _spellings_near(self, term: str) -> list[str]:
        """Corpus terms that could be another spelling of `term`: same first letter, similar length."""
        near: list[str] = []
        for length in range(len(term) - 3, len(term) + 4):
            near.extend(self._buckets.get((term[0], length), ()))
        return near

    def knows(self, term: str, cutoff: float = 85.0) -> bool:
        """Whether the corpus has `term` or a close spelling of it (stricter than query expansion)."""
        if term in self._postings or len(term) < 3:
            return True
        if has_digit(term):  # identifiers and numbers: exactly or not at all
            return False
        return process.extractOne(term, self._spellings_near(term), scorer=fuzz.ratio, score_cutoff=cutoff) is not None

    def chunks_with(self, term: str, cutoff: float = 85.0) -> np.ndarray:
        """The positions of the chunks that hold `term` or a spelling `knows` would take for it."""
        found = [self._postings[term][0]] if term in self._postings else []
        if len(term) >= 3 and not has_digit(term):
            near = process.extract(term, self._spellings_near(term), scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
            found.extend(self._postings[match][0] for match, _, _ in near if match != term)
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def search(self, query: str, limit: int, candidates: Sequence[int] = ()) -> list[LexicalHit]:
        """The best chunks for `query`, best first.

        Terms found in few chunks are scored over their whole posting lists; terms found in many
        chunks (over `common_df`) only add to chunks already found (by rare terms or in
        `candidates`, e.g. the dense hits), so the cost does not grow with the corpus.
        """
        query_terms = list(dict.fromkeys(terms(query)))
        if not query_terms or not self.size:
            return []
        rare_positions: list[np.ndarray] = []
        rare_gains: list[np.ndarray] = []
        common: list[tuple[str, float]] = []
        best_possible = 0.0
        for term in query_terms:
            expansions = self.expand(term)
            if not expansions and _script(term) not in self._scripts:
                continue  # a word in a script the corpus never uses (Arabic next to English) says nothing of it
            # A term the corpus lacks still counts in the denominator, as a very rare term; its translations
            # add to what a chunk scores, never to what a perfect match would (they are clues, not the word).
            translations = self._bridge.get(term, frozenset())
            own = [(t, w) for t, w in expansions if t == term or t not in translations]
            best_possible += max((self._idf[t] * w for t, w in own), default=self._idf_for(0)) * (K1 + 1)
            for expansion, weight in expansions:
                positions, tf = self._postings[expansion]
                if len(positions) > self._common_df:
                    common.append((expansion, weight))
                    continue
                rare_positions.append(positions)
                rare_gains.append(self._gain(expansion, weight, positions, tf))
        pool = np.concatenate([*rare_positions, np.asarray(candidates, dtype=np.int64)])
        if pool.size == 0:
            return []
        chunks, inverse = np.unique(pool, return_inverse=True)
        rare_count = sum(len(p) for p in rare_positions)
        gains = np.concatenate(rare_gains) if rare_gains else np.zeros(0, dtype=np.float32)
        scores = np.bincount(inverse[:rare_count], weights=gains, minlength=len(chunks)).astype(np.float64)
        for expansion, weight in common:
            positions, tf = self._postings[expansion]
            at = np.minimum(np.searchsorted(positions, chunks), len(positions) - 1)
            present = positions[at] == chunks
            scores += np.where(present, self._gain(expansion, weight, chunks, tf[at]), 0.0)
        count = int(np.count_nonzero(scores))
        if count == 0:
            return []
        top = np.argpartition(-scores, min(limit, count) - 1)[: min(limit, count)]
        top = top[np.argsort(-scores[top])]
        return [
            LexicalHit(int(chunks[i]), float(scores[i]), float(scores[i]) / best_possible) for i in top if scores[i] > 0
        ]

    def _gain(self, term: str, weight: float, positions: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """BM25 contribution of `term` to the chunks at `positions`, which contain it `tf` times."""
        return weight * self._idf[term] * tf * (K1 + 1) / (tf + self._norm[positions])


def _script(term: str) -> str:
    """The writing system of a term's first letter ("LATIN", "ARABIC", "CYRILLIC", "DIGIT"…)."""
    return unicodedata.name(term[0], "?").split(" ")[0] if term else "?"
