"""BM25 over an inverted index, with rapidfuzz expansion of query terms across spellings and languages."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from index.text import terms

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

    def __init__(self, texts: Iterable[str], fuzzy_cutoff: float = 80.0) -> None:
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
        buckets: dict[str, list[str]] = defaultdict(list)
        for term in self._postings:
            if len(term) >= 3 and not term.isdigit():
                buckets[term[0]].append(term)
        self._buckets = dict(buckets)
        self.expand = lru_cache(maxsize=50_000)(self._expand)

    def _idf_for(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def _expand(self, term: str) -> tuple[tuple[str, float], ...]:
        """The corpus terms a query term stands for, with weights: itself, and near spellings."""
        found: dict[str, float] = {}
        if term in self._postings:
            found[term] = 1.0
        if len(term) >= 3 and not term.isdigit():
            candidates = [t for t in self._buckets.get(term[0], ()) if abs(len(t) - len(term)) <= 3]
            for match, score, _ in process.extract(
                term, candidates, scorer=fuzz.ratio, score_cutoff=self._fuzzy_cutoff, limit=5
            ):
                found.setdefault(match, (score / 100.0) ** 2)
        return tuple(found.items())

    def search(self, query: str, limit: int) -> list[LexicalHit]:
        query_terms = list(dict.fromkeys(terms(query)))
        if not query_terms or not self.size:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        best_possible = 0.0
        for term in query_terms:
            expansions = self.expand(term)
            # A term the corpus lacks still counts in the denominator, as a very rare term.
            best_possible += max((self._idf[t] * w for t, w in expansions), default=self._idf_for(0)) * (K1 + 1)
            for expansion, weight in expansions:
                positions, tf = self._postings[expansion]
                gain = weight * self._idf[expansion] * tf * (K1 + 1) / (tf + self._norm[positions])
                np.add.at(scores, positions, gain)
        count = int(np.count_nonzero(scores))
        if count == 0:
            return []
        top = np.argpartition(-scores, min(limit, count) - 1)[: min(limit, count)]
        top = top[np.argsort(-scores[top])]
        return [LexicalHit(int(p), float(scores[p]), float(scores[p]) / best_possible) for p in top if scores[p] > 0]
