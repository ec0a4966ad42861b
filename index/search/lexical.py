"""BM25 over an inverted index, with rapidfuzz expansion of query terms across spellings and languages."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from index.search.bridge import name_key
from index.search.postings import FlatPostings, Postings, Segment, merged, script
from index.text import STEMMED, content_words, has_digit, spellings, stemming_of, terms
from index.text import term as stem_of
from index.tuning import BM25_B as B
from index.tuning import BM25_K1 as K1
from index.tuning import (
    COGNATE_PREFIX,
    COGNATE_RATIO,
    COMPACT_SHARE,
    FUZZY_RATIO,
    NAME_EDITS,
    NAME_RATIO,
    SHORT_NAME_RATIOS,
)

T = TypeVar("T")


@dataclass(frozen=True)
class WordEvidence:
    """What finding a query word in a text says: its `weight` (the rarity of its terms in the corpus) and
    the index terms that stand for it, each with how fully (1 for its own terms and translations)."""

    weight: float
    shares: dict[str, float]


@dataclass(frozen=True)
class QueryTerms:
    """A query as the lexical index scores it: the chunks its rare terms are found in (in order) with their
    scores (the common terms' part included), its common terms (to add to chunks found otherwise), and what
    a chunk holding every word would score."""

    chunks: np.ndarray
    scores: np.ndarray
    common: list[tuple[str, float]]
    best_possible: float


@dataclass(frozen=True)
class LexicalHit:
    """A chunk's lexical score, and that score as a share of what a perfect match would get."""

    position: int
    score: float
    coverage: float


@dataclass(frozen=True)
class LexicalArrays:
    """A lexical index as plain data: its terms, their postings end to end (`offsets` into `positions` and
    `tf`), each chunk's length in terms and stemming rules."""

    terms: list[str]
    offsets: np.ndarray
    positions: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray
    rules: list[str]


class LexicalIndex:
    """Inverted index over chunk texts; query cost follows the postings of the query's terms.

    Each text is stemmed by the rules of its language (`languages`, one per text: its document's); a
    query word stands for its terms by the rules of each language the index holds. Without `languages`
    every text, and every query word, is stemmed by the French rules."""

    def __init__(
        self,
        texts: Iterable[str],
        fuzzy_cutoff: float = FUZZY_RATIO,
        bridge: Mapping[str, frozenset[str]] | None = None,
        bridge_weight: float = 0.5,
        languages: Iterable[str] | None = None,
    ) -> None:
        self._configure(fuzzy_cutoff, bridge, bridge_weight, stem_by_language=languages is not None)
        segment, lengths, rules = _count(texts, languages)
        self._finish(Postings([segment]), np.asarray(lengths, dtype=np.float32), rules)

    def with_changes(
        self, removed: Sequence[int] | np.ndarray, texts: Iterable[str], languages: Iterable[str] | None = None
    ) -> LexicalIndex:
        """This index without the chunks at positions `removed` and with `texts` added after the others (the
        kept chunks keep their order, numbered from 0): the index built from scratch over those chunks, at
        the cost of what changed (only the new texts are stemmed, no posting is copied: the loaded postings
        stay where they are, a kept copy's mapped from disk, and only where their chunks now stand moves)."""
        keep = np.ones(self.size, dtype=bool)
        keep[np.asarray(removed, dtype=np.int64)] = False
        renumber = np.cumsum(keep) - 1
        renumber[~keep] = -1
        kept = int(keep.sum())
        segments = []
        for segment in self._postings.segments:
            where = segment.positions()
            segments.append(segment.moved(np.where(where >= 0, renumber[np.maximum(where, 0)], -1).astype(np.int32)))
        new, lengths, rules = _count(texts, languages if self._stem_by_language else None)
        new = new.moved(kept + np.arange(new.count, dtype=np.int32))
        segments = [segments[0], merged(segments[1], new) if len(segments) > 1 else new]
        size = kept + new.count
        if segments[1].count + int((segments[0].positions() < 0).sum()) > COMPACT_SHARE * max(size, 1):
            postings = Postings(segments)  # much added or removed since the load: one segment again
            terms_, offsets, positions, tf = postings.flat()
            segments = [Segment(terms_, offsets, positions, tf, size)]
        changed = object.__new__(LexicalIndex)
        changed._configure(self._fuzzy_cutoff, self._bridge, self._bridge_weight, self._stem_by_language)
        kept_rules = [rule for rule, stays in zip(self._rules, keep.tolist(), strict=True) if stays]
        all_lengths = np.concatenate([self._lengths[keep], np.asarray(lengths, dtype=np.float32)])
        changed._finish(Postings(segments), all_lengths, kept_rules + rules)
        return changed

    def in_pieces(self) -> tuple[FlatPostings, np.ndarray, list[str]]:
        """`arrays`' postings as pieces made when asked for (a kept copy writes them a block at a time), the
        chunks' lengths and their stemming rules."""
        return self._postings.in_pieces(), self._lengths, self._rules

    def arrays(self) -> LexicalArrays:
        """What rebuilds this index without stemming a text again (`from_arrays`); the bridge is attached
        again, not kept."""
        terms_, offsets, positions, tf = self._postings.flat()
        return LexicalArrays(terms_, offsets, positions, tf, lengths=self._lengths, rules=list(self._rules))

    @classmethod
    def from_arrays(
        cls,
        arrays: LexicalArrays,
        fuzzy_cutoff: float = FUZZY_RATIO,
        bridge: Mapping[str, frozenset[str]] | None = None,
        bridge_weight: float = 0.5,
        stem_by_language: bool = True,
    ) -> LexicalIndex:
        """The index `arrays` were taken from, with `bridge` attached."""
        index = object.__new__(cls)
        index._configure(fuzzy_cutoff, bridge, bridge_weight, stem_by_language)
        size = len(arrays.lengths)
        segment = Segment(arrays.terms, arrays.offsets, arrays.positions, arrays.tf, size)
        index._finish(Postings([segment]), np.asarray(arrays.lengths, dtype=np.float32), list(arrays.rules))
        return index

    def _configure(
        self,
        fuzzy_cutoff: float,
        bridge: Mapping[str, frozenset[str]] | None,
        bridge_weight: float,
        stem_by_language: bool,
    ) -> None:
        """The settings that do not depend on the texts, however the index is built."""
        self._fuzzy_cutoff = fuzzy_cutoff
        self._bridge = bridge or {}
        self._bridge_weight = bridge_weight
        self._stem_by_language = stem_by_language
        # The bridge's terms are stemmed by their own language's rules when the texts are (load_bridge).
        self._bridge_languages = STEMMED if stem_by_language else ("fr",)

    def _finish(self, postings: Postings, lengths: np.ndarray, rules: list[str]) -> None:
        """Everything derived from the postings, the chunks' lengths and the stemming rules of each chunk."""
        self._postings = postings
        self._lengths = lengths
        self._rules = rules
        self._codes: np.ndarray | None = None
        self.size = len(lengths)
        used = set(rules)
        self._languages = tuple(language for language in STEMMED if language in used) or ("fr",)
        average = float(self._lengths.mean()) if self.size else 1.0
        self._norm = K1 * (1 - B + B * self._lengths / max(average, 1e-9))
        self._common_df = max(256, self.size // 50)
        self._scripts = postings.scripts
        # What was worked out per term and per query word, in plain dicts: a cache holding a bound method of
        # the index would make a reference cycle, which only the cycle collector frees (Retriever freezes it).
        self._idfs: dict[str, float] = {}
        self._expansions: dict[str, tuple[tuple[str, float], ...]] = {}
        self._evidences: dict[str, WordEvidence] = {}
        self._likenesses: dict[str, tuple[tuple[str, float], ...]] = {}

    def _idf(self, term: str) -> float:
        return _kept(self._idfs, term, self._idf_of, 200_000)

    def expand(self, word: str) -> tuple[tuple[str, float], ...]:
        """The corpus terms a folded query word stands for, with weights (`_expand`, kept per word)."""
        return _kept(self._expansions, word, self._expand, 50_000)

    def evidence(self, word: str) -> WordEvidence:
        """How much finding a folded query word says, and in which terms (`_evidence`, kept per word)."""
        return _kept(self._evidences, word, self._evidence, 50_000)

    def _idf_of(self, term: str) -> float:
        return self._idf_for(self._postings.df(term))

    def _idf_for(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def rarity(self, term: str) -> float:
        """How rare an index term is in the corpus (its BM25 idf); as rare as can be for one it lacks."""
        return self._idf(term)

    def _evidence(self, word: str) -> WordEvidence:
        """How much finding a folded query word says (the rarity of its own terms, else of its closest
        stand-in) and the terms that stand for it, with how fully: its own terms and its translations
        wholly, near spellings by their likeness."""
        expansions = self.expand(word)
        own = [term for term in self.terms_of(word) if term in self._postings]
        translations = self.translations(word)
        if own:
            weight = max(self.rarity(term) for term in own)
        elif expansions:
            closest = max(expansions, key=lambda pair: (pair[1], -self.rarity(pair[0])))
            weight = self.rarity(closest[0])
        else:
            weight = self.rarity("")
        shares = {term: 1.0 if term in own or term in translations else share for term, share in expansions}
        return WordEvidence(weight, shares)

    @property
    def vocabulary(self) -> int:
        """How many distinct terms the indexed texts hold."""
        return len(self._postings)

    def terms_of(self, word: str) -> tuple[str, ...]:
        """The index terms a folded query word stands for: its stem by each language's rules the index holds."""
        return spellings(word, self._languages)

    def translations(self, word: str, names_only: bool = False) -> frozenset[str]:
        """The index terms of a folded query word's translations (empty without the bridge); `names_only`:
        only the other language's forms of a name ("chypre" for "cyprus": bridge.name_key)."""
        found: frozenset[str] = frozenset()
        for key in spellings(word, self._bridge_languages):
            found |= self._bridge.get(name_key(key) if names_only else key, frozenset())
        return found

    def _expand(self, word: str) -> tuple[tuple[str, float], ...]:
        """The corpus terms a folded query word stands for, with weights: its own terms, near spellings of
        them, and its translations."""
        found: dict[str, float] = {}
        own = self.terms_of(word)
        for term in own:
            if term in self._postings:
                found[term] = 1.0
        for term in own:
            if len(term) >= 3 and not has_digit(term):  # identifiers and numbers match exactly, never fuzzily
                for match, score in self._alike(term, self._fuzzy_cutoff)[:5]:
                    found.setdefault(match, (score / 100.0) ** 2)
        for translation in self.translations(word):  # the word in the other language
            if translation in self._postings:
                found.setdefault(translation, self._bridge_weight)
        return tuple(found.items())

    def _spellings_near(self, term: str, cutoff: float = 0.0) -> list[str]:
        """Corpus terms that could be another spelling of `term`: same first letter, similar length, and letters
        enough in common to be `cutoff` alike."""
        return self._postings.near(term, cutoff)

    def _alike(self, term: str, cutoff: float) -> Sequence[tuple[str, float]]:
        """The corpus's spellings near `term` at least `cutoff` alike (rapidfuzz ratio), most alike first (ties in
        the order of `_spellings_near`, as rapidfuzz gives them). A question's name is looked for at three
        likenesses (query expansion, names, cognates): the spellings are compared with it once, at the lowest."""
        if cutoff < _LOWEST_LIKENESS:
            return self._compared(term, cutoff)
        alike = _kept(self._likenesses, term, self._likeness, LIKENESSES_KEPT)
        return [(match, score) for match, score in alike if score >= cutoff]

    def _likeness(self, term: str) -> tuple[tuple[str, float], ...]:
        return tuple(self._compared(term, _LOWEST_LIKENESS))

    def _compared(self, term: str, cutoff: float) -> list[tuple[str, float]]:
        near = self._spellings_near(term, cutoff)
        found = process.extract(term, near, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        return [(match, score) for match, score, _ in found]

    def knows(self, word: str, cutoff: float = NAME_RATIO) -> bool:
        """Whether the corpus has a folded word or a close spelling of it (stricter than query expansion)."""
        return any(len(term) < 3 for term in self.terms_of(word)) or self.chunks_with(word, cutoff).size > 0

    def chunks_with(self, word: str, cutoff: float | None = NAME_RATIO, translated: bool = False) -> np.ndarray:
        """The positions of the chunks that hold a folded word's terms or a close spelling of them (or, when
        `translated`, one of its translations). With no `cutoff`, how close depends on the shorter term's
        length (`name_cutoff`), and at most `NAME_EDITS` letters apart: one letter off is another word in a
        short one ("trim" is not "tri"), three in a long one ("transnistria" is not "transistor")."""
        found: list[np.ndarray] = []
        if translated:
            found.extend(self._postings[t][0] for t in self.translations(word) if t in self._postings)
        for term, languages in self._stemmed_in(word).items():
            if term in self._postings:
                found.append(self._in_texts_of(self._postings[term][0], languages))
            if len(term) >= 3 and not has_digit(term):  # identifiers and numbers: exactly or not at all
                found.extend(
                    self._postings[match][0]
                    for match, score in self._alike(term, NAME_RATIO if cutoff is None else cutoff)
                    if match != term
                    and (
                        cutoff is not None
                        or (
                            score >= name_cutoff(min(term, match, key=len))
                            and Levenshtein.distance(term, match, score_cutoff=NAME_EDITS) <= NAME_EDITS
                        )
                        or _transliterated(term, match)
                        or match == f"{term}s"  # an acronym's plural, which English stemming keeps ("CDPs")
                    )
                )
        return _union(found)

    def _stemmed_in(self, word: str) -> dict[str, set[str]]:
        """A folded word's terms (`terms_of`, in the same order), each with the languages whose rules stem it so."""
        found: dict[str, set[str]] = {}
        for language in self._languages:
            found.setdefault(stem_of(word, language), set()).add(language)
        return found

    def _in_texts_of(self, positions: np.ndarray, languages: set[str]) -> np.ndarray:
        """Those of chunk `positions` whose text is stemmed by the rules of one of `languages`: a French stem of
        an English name ("band", of "Banda") is no match in an English text, where it stems another word."""
        if not self._stem_by_language or len(languages) == len(self._languages):
            return positions
        rules = self._rule_codes()
        wanted = [STEMMED.index(language) for language in languages]
        return positions[np.isin(rules[positions], wanted)]

    def _rule_codes(self) -> np.ndarray:
        """Each chunk's stemming rules as its language's number in STEMMED (made once per index)."""
        if self._codes is None:
            numbers = {language: number for number, language in enumerate(STEMMED)}
            self._codes = np.fromiter((numbers.get(rule, -1) for rule in self._rules), np.int8, count=self.size)
        return self._codes

    def chunks_with_cognate(self, word: str) -> np.ndarray:
        """The positions of the chunks that hold a term the other language may write a folded name as: one
        that starts like it and is spelt much alike ("mogadiscio"/"mogadishu", "vesale"/"vesalius"), or its
        translation ("chypre"/"cyprus": index/search/place_names.py)."""
        found = [self._postings[t][0] for t in self.translations(word, names_only=True) if t in self._postings]
        for term in self.terms_of(word):
            if len(term) < COGNATE_PREFIX or has_digit(term):
                continue
            alike = self._alike(term, COGNATE_RATIO)
            found.extend(self._postings[match][0] for match, _ in alike if _cognate(term, match))
        return _union(found)

    def search(self, query: str, limit: int, candidates: Sequence[int] = ()) -> list[LexicalHit]:
        """The best chunks for `query`, best first.

        Terms found in few chunks are scored over their whole posting lists; terms found in many
        chunks (over `common_df`) only add to chunks already found (by rare terms or in
        `candidates`, e.g. the dense hits), so the cost does not grow with the corpus.
        """
        return self.best(self.terms(query), limit, candidates)

    def terms(self, query: str) -> QueryTerms:
        """What `search` makes of `query` before it knows the `candidates`: the retriever does it while the
        vector store looks for the dense hits (on another core: the store's search lets go of the GIL)."""
        query_words = list(dict.fromkeys(content_words(query)))
        rare_positions: list[np.ndarray] = []
        rare_tf: list[np.ndarray] = []
        rare_factors: list[float] = []  # each rare term's weight times its rarity
        common: list[tuple[str, float]] = []
        best_possible = 0.0
        for word in query_words if self.size else ():
            expansions = self.expand(word)
            if not expansions and script(word) not in self._scripts:
                continue  # a word in a script the corpus never uses (Arabic next to English) says nothing of it
            # A word the corpus lacks still counts in the denominator, as a very rare term; its translations
            # add to what a chunk scores, never to what a perfect match would (they are clues, not the word).
            translations, terms_of_word = self.translations(word), self.terms_of(word)
            own = [(t, w) for t, w in expansions if t in terms_of_word or t not in translations]
            best_possible += max((self._idf(t) * w for t, w in own), default=self._idf_for(0)) * (K1 + 1)
            for expansion, weight in expansions:
                positions, tf = self._postings[expansion]
                if len(positions) > self._common_df:
                    common.append((expansion, weight))
                    continue
                rare_positions.append(positions)
                rare_tf.append(tf)
                rare_factors.append(weight * self._idf(expansion))
        pool = np.concatenate(rare_positions) if rare_positions else np.zeros(0, dtype=np.int64)
        chunks, inverse = _distinct(pool)
        gains = np.zeros(0, dtype=np.float32)
        if rare_tf:  # every rare term's BM25 part in one pass, not a few array steps per term
            tf = np.concatenate(rare_tf)
            factors = np.repeat(np.asarray(rare_factors, dtype=tf.dtype), [len(p) for p in rare_positions])
            gains = self._gain(factors, pool, tf)
        scores = np.bincount(inverse, weights=gains, minlength=len(chunks)).astype(np.float64)
        return QueryTerms(chunks, self._with_common(common, chunks, scores), common, best_possible)

    def best(self, terms: QueryTerms, limit: int, candidates: Sequence[int] = ()) -> list[LexicalHit]:
        """The best chunks for a query's `terms` (made by this index's `terms`), with the `candidates` scored
        too (by the common terms: a chunk no rare term is found in has nothing else), best first."""
        if not terms.best_possible:
            return []
        chunks, scores = terms.chunks, terms.scores
        wanted = np.unique(np.asarray(candidates, dtype=np.int64))
        at = np.searchsorted(chunks, wanted)  # a search in the chunks found, not a set operation over them
        found = at < len(chunks)
        found[found] = chunks[at[found]] == wanted[found]
        extra, at = wanted[~found], at[~found]
        if extra.size:  # in their place among the others: ties fall as if all had been scored together
            extra_scores = self._with_common(terms.common, extra, np.zeros(len(extra), dtype=np.float64))
            chunks, scores = np.insert(chunks, at, extra), np.insert(scores, at, extra_scores)
        count = int(np.count_nonzero(scores))
        if count == 0:
            return []
        top = np.argpartition(-scores, min(limit, count) - 1)[: min(limit, count)]
        top = top[np.argsort(-scores[top])]
        return [
            LexicalHit(int(chunks[i]), float(scores[i]), float(scores[i]) / terms.best_possible)
            for i in top
            if scores[i] > 0
        ]

    def _with_common(self, common: list[tuple[str, float]], chunks: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """`scores` of `chunks` (in order) with each common term's part added where a chunk holds it."""
        for expansion, weight in common:
            positions, tf = self._postings[expansion]
            at = np.minimum(np.searchsorted(positions, chunks), len(positions) - 1)
            present = positions[at] == chunks
            scores += np.where(present, self._gain(weight * self._idf(expansion), chunks, tf[at]), 0.0)
        return scores

    def _gain(self, factor: float | np.ndarray, positions: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """BM25 contribution to the chunks at `positions` of a term they contain `tf` times, `factor` being the
        term's weight times its rarity (one for all, or one a chunk)."""
        return factor * tf * (K1 + 1) / (tf + self._norm[positions])


def _count(texts: Iterable[str], languages: Iterable[str] | None) -> tuple[Segment, list[int], list[str]]:
    """Each text's terms by its language's stemming rules (French without `languages`), the texts numbered
    from 0: the postings (rows, term frequencies) as a segment, lengths in terms, and the rules used for
    each text. The postings are gathered in flat arrays and sorted by term once, not as a Python row per
    (term, text): a tenth of the memory while a large index is built."""
    ids: dict[str, int] = {}
    term_ids, positions, frequencies = array("q"), array("q"), array("f")
    lengths: list[int] = []
    rules_used: list[str] = []
    for offset, (text, language) in enumerate(zip(texts, languages or repeat("fr"))):
        rules = stemming_of(language)
        rules_used.append(rules)
        counts = Counter(terms(text, rules))
        lengths.append(sum(counts.values()))
        for term, tf in counts.items():
            term_ids.append(ids.setdefault(term, len(ids)))
            positions.append(offset)
            frequencies.append(tf)
    by_term = np.asarray(term_ids, dtype=np.int64)
    order = np.argsort(by_term, kind="stable")  # within a term, positions stay in text order
    sorted_positions = np.asarray(positions, dtype=np.int32)[order]  # a chunk's number: 4 bytes a posting
    sorted_tf = np.asarray(frequencies, dtype=np.float32)[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(by_term, minlength=len(ids)))]).astype(np.int64)
    return Segment(list(ids), bounds, sorted_positions, sorted_tf, len(lengths)), lengths, rules_used


# The least likeness any lookup asks of a near spelling (the cognates'; query expansion asks FUZZY_RATIO, names
# NAME_RATIO or more): one comparison at this line serves them all.
_LOWEST_LIKENESS = min(COGNATE_RATIO, FUZZY_RATIO, NAME_RATIO)
# How many terms' near spellings are kept: ~24 of them a term on the dev questions, ~1.6 kB; 10,000 terms ~16 MB.
LIKENESSES_KEPT = 10_000


def _kept(memo: dict[str, T], key: str, work_out: Callable[[str], T], limit: int) -> T:
    """`work_out(key)`, kept in `memo`, which starts afresh once it holds `limit` keys."""
    found = memo.get(key)
    if found is None:
        if len(memo) >= limit:
            memo.clear()
        found = memo[key] = work_out(key)
    return found


def _distinct(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(pool, return_inverse=True)`: the distinct chunk positions in order, and where each of `pool`'s
    stands among them. `pool` is postings one after the other, each in order: a stable sort (timsort) takes
    those runs as they are, ~2.5x sooner than the quicksort of np.unique (a million chunks: ~100k postings a
    question)."""
    order = np.argsort(pool, kind="stable")
    ordered = pool[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _union(postings: list[np.ndarray]) -> np.ndarray:
    """The chunk positions of several terms' postings, each once, in order."""
    if len(postings) == 1:
        return postings[0]  # one term's postings: in chunk order, each chunk once
    return np.unique(np.concatenate(postings)) if postings else np.zeros(0, dtype=np.int64)


def name_cutoff(term: str) -> float:
    """How alike (rapidfuzz ratio) another term must be to count as a spelling of name `term`: exactly for
    up to 4 letters, one letter off from 8 on (transliterations are folded by `skeleton` already)."""
    return next((ratio for longest, ratio in SHORT_NAME_RATIOS if len(term) <= longest), NAME_RATIO)


def _cognate(a: str, b: str) -> bool:
    """Whether two terms start with the same letters, at least `COGNATE_PREFIX` and two thirds of the shorter,
    and either end within two letters of each other in length or share two thirds of the longer too: the
    other language's ending ("mogadis" of "mogadiscio"/"mogadishu", "appalach" of "appalaches"/"appalachian"),
    not another word that starts alike ("trans" of "transnistria"/"transliteration" or "transit")."""
    shared = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    shorter, longer = sorted((len(a), len(b)))
    return shared >= max(COGNATE_PREFIX, 2 * shorter / 3) and (longer - shorter <= 2 or shared >= 2 * longer / 3)


def _transliterated(a: str, b: str) -> bool:
    """Whether two terms differ only by an "e" after an "i" ("kiv"/"kiev": Kyiv and Kiev), as
    transliterations of one name do."""
    return a.replace("ie", "i") == b.replace("ie", "i")
