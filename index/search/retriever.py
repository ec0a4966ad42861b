"""Hybrid retrieval: dense (Chroma) + lexical BM25 with fuzzy spelling expansion, fused and thresholded."""

from __future__ import annotations

import gc
import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from typing import NamedTuple

import numpy as np

from index.centring import Centring
from index.embedding import Embedder
from index.errors import IndexNotBuiltError, IndexOutdatedError
from index.language import detect_language
from index.models import DocumentInfo, Passage
from index.search import snapshots
from index.search.bridge import load_bridge
from index.search.chunk_table import ChunkTable
from index.search.lexical import LexicalIndex, WordEvidence
from index.search.relevance import (
    Naming,
    capitalised_words,
    documents_naming,
    missing_names,
    passage_focus,
    unknown_words,
    written_as_names,
)
from index.search.relevance import prepare as prepare_relevance
from index.store.manifest import CHUNKER_VERSION, Manifest, check_model
from index.store.protocol import StoredChunk, VectorStore
from index.text import with_title
from index.tuning import (
    FOCUS_CANDIDATES,
    INCREMENTAL_SHARE,
    NAME_RATIO,
    OVERLAP_MIN_CORES,
    OVERLAP_SEARCH_CHUNKS,
    RelevanceRule,
    RetrievalConfig,
)

log = logging.getLogger(__name__)


def passage_from(
    chunk: StoredChunk, document: DocumentInfo, score: float, dense: float, lexical: float, similarity: float = 0.0
) -> Passage:
    return Passage(
        chunk_id=chunk.chunk_id,
        doc_id=document.doc_id,
        title=document.title,
        date=document.date,
        url=document.url,
        path=document.path,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        paragraph=chunk.paragraph,
        page=chunk.page,
        score=score,
        dense=dense,
        lexical=lexical,
        similarity=similarity,
        section=chunk.section,
        author=document.author,
        lang=document.lang,
    )


@dataclass(frozen=True)
class Retrieval:
    """Retrieved passages, best first, with what answer extraction reuses."""

    passages: tuple[Passage, ...]
    expand: Callable[[str], Sequence[tuple[str, float]]]
    evidence: Callable[[str], WordEvidence]  # how much finding a query word says, and in which terms
    relevant: bool = True  # whether the best passage passes the relevance bar
    # The score the bar is compared with: the best name-grounded passage against its own document's
    # background (-inf when no passage may answer).
    decision: float = float("inf")


@dataclass(frozen=True)
class ProbeScores:
    """For calibration: a question's decision score as the index stands, and with one document left out (as
    if it had never been indexed) among passages in the question's language and in the other one, all before
    any derived bar."""

    language: str
    present: float
    absent_same_language: float
    absent_other_language: float


class _Decision(NamedTuple):
    """The decision's score (compared with the rule's floor), and the passages of documents that hold every
    name of the question, best first (None when it names nothing to look for)."""

    score: float
    grounded: Sequence[Passage] | None


class _Snapshot:
    """The manifest and the in-memory lexical side for one index generation."""

    def __init__(
        self,
        manifest: Manifest,
        chunks: ChunkTable,
        bridge_weight: float = 0.0,
        stem_by_language: bool = True,
        lexical: LexicalIndex | None = None,
    ) -> None:
        self.manifest = manifest
        self.stem_by_language = stem_by_language
        self.chunks = chunks
        # Each chunk position's document as a number into `doc_ids`: which documents hold a name is read off
        # arrays, not strings.
        self.doc_ids = chunks.doc_ids
        self.doc_numbers = chunks.doc_numbers
        # How the stored vectors were centred by language; a question is centred the same way.
        self.centring = Centring.from_json(manifest.centring)
        # Per question language: how similar unrelated questions are, on average, to each language's documents.
        by_language: dict[tuple[str, str], list[float]] = {}
        for info in manifest.docs.values():
            for question_language, background in info.backgrounds.items():
                by_language.setdefault((question_language, info.lang), []).append(background)
        self.language_backgrounds = {key: sum(values) / len(values) for key, values in by_language.items()}
        doc_of = [chunks.doc_id(position) for position in range(len(chunks))] if lexical is None else []
        self.lexical = lexical or LexicalIndex(
            (with_title(manifest.docs[doc_id].title, chunks.text(i)) for i, doc_id in enumerate(doc_of)),
            bridge=_bridge(bridge_weight, stem_by_language),
            bridge_weight=bridge_weight,
            languages=(manifest.docs[doc_id].lang for doc_id in doc_of) if stem_by_language else None,
        )
        self.loaded_at = time.monotonic()

    def updated(self, manifest: Manifest, store: VectorStore) -> _Snapshot | None:
        """The snapshot of `manifest`, a later generation of the same index, made from this one: the chunks of
        documents that did not change are kept, only those of new or changed documents are read from `store`
        and stemmed. None when `manifest` is another index (model, chunking, centring) or most of it changed."""
        before = self.manifest
        if (before.model, before.chunker_version, before.centring) != (
            manifest.model,
            manifest.chunker_version,
            manifest.centring,
        ):
            return None
        changed = [
            doc_id
            for doc_id, info in manifest.docs.items()
            if _lexical_part(before.docs.get(doc_id)) != _lexical_part(info)
        ]
        changed_chunks = sum(manifest.docs[doc_id].chunks for doc_id in changed)
        if changed_chunks > INCREMENTAL_SHARE * max(1, len(self.chunks)):
            return None
        stale = set(changed)
        doc_stays = np.fromiter(
            (doc_id in manifest.docs and doc_id not in stale for doc_id in self.doc_ids), bool, count=len(self.doc_ids)
        )
        stays = doc_stays[self.doc_numbers] if len(self.doc_numbers) else np.zeros(0, bool)
        added = [chunk for chunk in store.chunks_of(changed) if chunk.belongs_to(manifest.docs)]
        lexical = self.lexical.with_changes(
            np.flatnonzero(~stays),
            (with_title(manifest.docs[c.doc_id].title, c.text) for c in added),
            (manifest.docs[c.doc_id].lang for c in added) if self.stem_by_language else None,
        )
        chunks = self.chunks.changed(stays, added)
        return _Snapshot(manifest, chunks, stem_by_language=self.stem_by_language, lexical=lexical)


class Overlap(Enum):
    """What runs on another thread while the lexical index scores a question's terms."""

    NOTHING = "nothing"
    SEARCH = "search"  # the vector store's search, once the question is encoded
    ENCODING_AND_SEARCH = "encoding and search"


class Retriever:
    """Finds the passages that answer a question; collaborators are passed in."""

    def __init__(
        self,
        embedder: Embedder,
        store: VectorStore,
        config: RetrievalConfig | None = None,
        overlap: Overlap | None = None,
    ) -> None:
        """`overlap`: what runs beside the scoring of the question's terms (None: by the cores and the index's size)."""
        self._embedder = embedder
        self._store = store
        self.config = config or RetrievalConfig()
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        # As many as the questions answered at once (threads start when needed): with two, 20 users asking at
        # once at a million chunks waited for each other's vector searches (reply p50 1.15 -> 1.47 s).
        self._dense_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="dense-search")
        self._overlap = overlap
        if overlap is None and usable_cores() >= OVERLAP_MIN_CORES:
            self._overlap = Overlap.ENCODING_AND_SEARCH
        self._expecting_until = 0.0  # until then, every question looks for a newer generation

    @property
    def store_description(self) -> str:
        return self._store.description

    @property
    def store(self) -> VectorStore:
        return self._store

    @property
    def manifest(self) -> Manifest:
        return self._current().manifest

    def described(self) -> Manifest:
        """The manifest of the generation that answers: the loaded one, else the store's, checked as loading
        would check it but without reading a chunk (what `corpusbot stats` shows, at any index size)."""
        with self._lock:
            if self._snapshot is not None:
                return self._snapshot.manifest
        return self._checked_manifest()

    def _checked_manifest(self) -> Manifest:
        """The store's manifest, when this retriever can answer from it (built, same model, current chunking)."""
        manifest = self._store.read_manifest()
        if manifest is None or not manifest.docs:
            raise IndexNotBuiltError()
        check_model(manifest, self._embedder)
        if manifest.chunker_version != CHUNKER_VERSION:
            raise IndexOutdatedError()
        return manifest

    def _load(self, previous: _Snapshot | None = None) -> _Snapshot:
        """The store's current generation, made from `previous` (an earlier generation) when it can be."""
        # The store's first touch of a collection loads its vector index into memory (5 s at a million chunks):
        # the count that does it runs on another core while the manifest is read and a kept copy mapped here.
        counted = self._dense_pool.submit(self._store.count) if previous is None and self._store.durable else None
        manifest = self._checked_manifest()
        if previous is not None:
            started = time.perf_counter()
            snapshot = previous.updated(manifest, self._store)
            if snapshot is not None:
                if self._store.durable:  # the next process starts from this generation without the store
                    key = self._snapshot_key(manifest)
                    snapshots.save_later(key, snapshot.chunks, snapshot.lexical, snapshots.SETTLE_SECONDS)
                log.info(
                    "loaded index generation %s from %s: %d chunks (%.2f s)",
                    manifest.generation,
                    previous.manifest.generation,
                    len(snapshot.chunks),
                    time.perf_counter() - started,
                )
                return snapshot
        prepare_relevance(self.config.relevance)
        kept = self._kept(manifest, counted)
        if kept is not None:
            return kept
        # Only chunks of a document version the manifest holds: an orphan (an unfinished re-index, a chunk
        # whose document was renamed) is never answered from and never stops the index from loading.
        chunks = ChunkTable.from_chunks(c for c in self._store.iter_chunks() if c.belongs_to(manifest.docs))
        log.info("loaded index generation %s: %d chunks", manifest.generation, len(chunks))
        snapshot = _Snapshot(manifest, chunks, self.config.bridge_weight, self.config.stem_by_language)
        if self._store.durable:  # kept for the next process, written while this one answers
            snapshots.save_later(self._snapshot_key(manifest), chunks, snapshot.lexical)
        return snapshot

    def _snapshot_key(self, manifest: Manifest) -> str:
        return snapshots.snapshot_key(self._store.description, manifest, self.config.stem_by_language)

    def _kept(self, manifest: Manifest, counted: Future[int] | None = None) -> _Snapshot | None:
        """The generation of `manifest` as a process kept it on disk after loading it (index/search/snapshots.py),
        when the store still holds as many chunks (an orphan left by an unfinished re-index: read the store).
        `counted`: the store's count, asked for already."""
        if not self._store.durable:
            return None
        started = time.perf_counter()
        counted = counted or self._dense_pool.submit(self._store.count)  # meanwhile, the copy is mapped here
        kept = snapshots.load(self._snapshot_key(manifest))
        if kept is None:
            return None
        chunks, arrays = kept
        lexical = LexicalIndex.from_arrays(
            arrays,
            bridge=_bridge(self.config.bridge_weight, self.config.stem_by_language),
            bridge_weight=self.config.bridge_weight,
            stem_by_language=self.config.stem_by_language,
        )
        snapshot = _Snapshot(manifest, chunks, self.config.bridge_weight, self.config.stem_by_language, lexical)
        if counted.result() != sum(info.chunks for info in manifest.docs.values()):
            return None
        log.info(
            "loaded index generation %s: %d chunks, kept from an earlier load (%.2f s)",
            manifest.generation,
            len(chunks),
            time.perf_counter() - started,
        )
        return snapshot

    def _current(self) -> _Snapshot:
        """The loaded snapshot, reloaded when another process has committed a newer generation."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None:
                self._snapshot = snapshot = _frozen(self._load())
            elif (now := time.monotonic()) - snapshot.loaded_at > self.config.refresh_seconds or (
                now < self._expecting_until
            ):
                latest = self._store.read_manifest()
                if latest is not None and latest.generation != snapshot.manifest.generation:
                    self._snapshot = snapshot = _frozen(self._load(snapshot))
                    self._expecting_until = 0.0
                else:
                    snapshot.loaded_at = time.monotonic()
            return snapshot

    def expect_new_generation(self) -> None:
        """Another process is indexing a change this one saw (bots sharing a Chroma server): look for its
        generation at every question for the next refresh interval, not once per interval."""
        with self._lock:
            self._expecting_until = time.monotonic() + self.config.refresh_seconds

    def reload(self) -> None:
        """Load the store's current generation; questions keep the previous one until it is ready."""
        with self._lock:
            previous = self._snapshot
        snapshot = _frozen(self._load(previous))
        with self._lock:
            self._snapshot = snapshot

    def adopt(self, manifest: Manifest) -> None:
        """Answer with `manifest` from now on when it describes the loaded generation (a bar derived for
        it), without loading the chunks again."""
        with self._lock:
            if self._snapshot is not None and self._snapshot.manifest.generation == manifest.generation:
                self._snapshot.manifest = manifest

    def chunk_table(self) -> ChunkTable:
        """The chunks of the loaded generation (texts read when asked for)."""
        return self._current().chunks

    def clear(self) -> None:
        """Forget the loaded generation: the next question loads the index afresh."""
        with self._lock:
            self._snapshot = None

    def search(self, question: str, limit: int, threshold: bool = True) -> list[Passage]:
        """The best passages for `question`, best first; empty when nothing is relevant enough."""
        return list(self.retrieve(question, limit, threshold).passages)

    def retrieve(
        self, question: str, limit: int, threshold: bool = True, boost: Callable[[Passage], float] | None = None
    ) -> Retrieval:
        """Like `search`, also returning the fuzzy term expansion for answer extraction. `boost` adds to a
        passage's score before ranking and the relevance check (a conversation's passages, for a follow-up)."""
        snapshot, language, scored = self._ranked(question, boost)
        decision, grounded = self._decision(question, scored[: self.config.candidates], snapshot, language)
        relevant = bool(scored) and decision >= self.config.relevance.floor(snapshot.manifest.centred)
        if threshold and not relevant:
            scored = []
        elif threshold and grounded is not None:  # the answer comes from a passage about what the question names
            scored = list(grounded)
        return Retrieval(tuple(scored[:limit]), snapshot.lexical.expand, snapshot.lexical.evidence, relevant, decision)

    def probe(self, question: str, own_doc: str) -> ProbeScores:
        """For calibration: how `question` scores with and without `own_doc`'s passages, by their language."""
        snapshot, language, scored = self._ranked(question)
        ranked = scored[: self.config.candidates]
        others = [p for p in ranked if p.doc_id != own_doc]
        same = [p for p in others if snapshot.manifest.docs[p.doc_id].lang == language]
        other = [p for p in others if snapshot.manifest.docs[p.doc_id].lang != language]
        return ProbeScores(
            language,
            self._decision(question, ranked, snapshot, language, derived=False).score,
            self._decision(question, same, snapshot, language, derived=False).score,
            self._decision(question, other, snapshot, language, derived=False).score,
        )

    def _ranked(
        self, question: str, boost: Callable[[Passage], float] | None = None
    ) -> tuple[_Snapshot, str, list[Passage]]:
        """The loaded generation, the question's language and the best `config.candidates` passages (every
        candidate with a `boost`, which may lift any of them), best first."""
        snapshot = self._current()
        manifest = snapshot.manifest
        language = detect_language(question)
        overlap = self._overlap
        if overlap is None:
            overlap = Overlap.SEARCH if len(snapshot.chunks) >= OVERLAP_SEARCH_CHUNKS else Overlap.NOTHING
        if overlap is Overlap.ENCODING_AND_SEARCH:
            # The question's encoding and the vector store's search run on another core while the lexical index
            # scores the question's terms (both let go of the GIL; at a million chunks the search is ~0.1 s).
            dense_search = self._dense_pool.submit(self._dense_hits, question, language, snapshot.centring)
            terms = snapshot.lexical.terms(question)
            dense_hits = dense_search.result()
        elif overlap is Overlap.SEARCH:
            # The engine takes both cores: the question is encoded first, then searched for beside the terms.
            query = self._query_vector(question, language, snapshot.centring)
            vector_search = self._dense_pool.submit(self._search, query)
            terms = snapshot.lexical.terms(question)
            dense_hits = vector_search.result()
        else:  # a search too short to hide anything behind (OVERLAP_SEARCH_CHUNKS): all in this thread
            terms = snapshot.lexical.terms(question)
            dense_hits = self._dense_hits(question, language, snapshot.centring)
        # Chunks not in the snapshot (an unfinished re-index, or one newer than our manifest) are skipped.
        positions: dict[str, int] = {}  # where each candidate stands in the snapshot
        for chunk_id, _ in dense_hits:
            if (position := snapshot.chunks.position(chunk_id)) is not None:
                positions[chunk_id] = position
        raw = {chunk_id: similarity for chunk_id, similarity in dense_hits if chunk_id in positions}
        baseline = self._baseline(snapshot, language)
        dense = {
            chunk_id: (similarity - baseline(snapshot.chunks.doc_id(positions[chunk_id]))) / manifest.similarity_std
            for chunk_id, similarity in raw.items()
        }
        floor = min(dense.values(), default=0.0)
        raw_floor = min(raw.values(), default=0.0)
        lexical: dict[str, float] = {}
        for hit in snapshot.lexical.best(terms, self.config.candidates, [positions[c] for c in dense]):
            chunk_id = snapshot.chunks.chunk_id(hit.position)
            lexical[chunk_id] = hit.coverage
            positions[chunk_id] = hit.position
        weight = self.config.lexical_weight
        found = [
            (dense.get(chunk_id, floor) + weight * lexical.get(chunk_id, 0.0), chunk_id)
            for chunk_id in dense.keys() | lexical.keys()
        ]
        if boost is None:  # only the candidates read further become passages (their texts decoded): ~0.5 ms
            found.sort(key=lambda pair: pair[0], reverse=True)
            del found[self.config.candidates :]
        scored: list[Passage] = []
        for score, chunk_id in found:
            dense_score = dense.get(chunk_id, floor)
            lexical_score = lexical.get(chunk_id, 0.0)
            chunk = snapshot.chunks[positions[chunk_id]]
            document = manifest.docs[chunk.doc_id]
            similarity = raw.get(chunk_id, raw_floor)
            passage = passage_from(chunk, document, score, dense_score, lexical_score, similarity)
            scored.append(replace(passage, score=score + boost(passage)) if boost else passage)
        scored.sort(key=lambda p: p.score, reverse=True)
        return snapshot, language, scored

    def _dense_hits(self, question: str, language: str, centring: Centring | None) -> list[tuple[str, float]]:
        """The chunks nearest to the question's vector (centred like the index's), with their similarity."""
        return self._search(self._query_vector(question, language, centring))

    def _search(self, query: np.ndarray) -> list[tuple[str, float]]:
        """The chunks nearest to a question's vector, with their similarity."""
        # Not capped at the snapshot size: orphans of an unfinished re-index may take some of the places.
        return self._store.query(query, self.config.candidates)

    def _query_vector(self, question: str, language: str, centring: Centring | None) -> np.ndarray:
        """The question's vector, centred like the index's."""
        query = self._embedder.embed_query(question)
        return query if centring is None else centring.question_vector(query, language)

    def _baseline(self, snapshot: _Snapshot, language: str) -> Callable[[str], float]:
        """The similarity a dense hit of each document is counted from, for a question in `language`."""
        manifest = snapshot.manifest
        mean, shift = manifest.similarity_mean, self.config.language_shift
        if not language or not shift:
            return lambda doc_id: mean
        levels = snapshot.language_backgrounds
        return lambda doc_id: mean + shift * (levels.get((language, manifest.docs[doc_id].lang), mean) - mean)

    def _decision(
        self, question: str, ranked: Sequence[Passage], snapshot: _Snapshot, language: str, derived: bool = True
    ) -> _Decision:
        """How much better than everyday unrelated questions match its document the best passage matches
        the question, among the passages of documents that hold every name of the question (-inf when
        none may answer: the question names something the corpus, or each candidate's document, lacks);
        with those passages, best first (None when the question names nothing to look for).
        A passage counts less by what the index's derived bar for passages in its language (the question's,
        or the other one) adds to the rule's floor and by how little of the question its best sentence holds,
        more when it holds every rare name of the question (`derived`, all three), so that one comparison with
        the floor decides."""
        rule = self.config.relevance
        manifest = snapshot.manifest
        grounded: list[Passage] | None = None
        names: list[str] = []
        if rule.grounded_names:
            names, everyday = capitalised_words(question, rule.anchor_zipf_max)
            translatable = everyday if rule.common_anchors else ()
            cutoff = None if rule.strict_short_names else NAME_RATIO
            documents = (snapshot.lexical, snapshot.doc_numbers, snapshot.doc_ids)
            naming = documents_naming(names, *documents, translatable, cutoff) or Naming(set(), frozenset())
            across = naming
            across_languages = any(manifest.docs[p.doc_id].lang != language for p in ranked)
            if rule.cognate_names and names and language and across_languages:
                across = documents_naming(names, *documents, translatable, cutoff, cognates=True) or naming

            def found(passage: Passage) -> Naming:  # across languages, a name may stand in the other's form
                return naming if manifest.docs[passage.doc_id].lang == language else across

            if names or translatable:
                ranked = grounded = [p for p in ranked if p.doc_id in found(p).documents]
            # The passages that hold every rare name of the question together (for the bonus, which the calibration
            # probes do not get: nothing to read for them); whether each writes them as names is read only for
            # those the decision reaches (`_best_first`).
            may_name = {
                p.chunk_id
                for p in ranked
                if derived and rule.named_passage_bonus and snapshot.chunks.position(p.chunk_id) in found(p).chunks
            }
        elif missing_names(question, snapshot.lexical):
            return _Decision(float("-inf"), [])
        else:
            may_name = set()
        floor = rule.floor(manifest.centred)
        calibrated = derived and rule.calibrated
        same_extra = max(0.0, manifest.same_language_bar - floor) if calibrated else 0.0
        other_extra = (
            bar_across_languages(manifest, rule, language) - floor if calibrated and rule.other_language_bar else 0.0
        )
        own_extra = max(0.0, manifest.same_bar(language) - floor) if calibrated and rule.bar_by_language else same_extra

        # A question that names nothing rare has no name to ground its answer in: passages in its language face
        # a higher bar (those in the other language face the higher bar across languages already).
        unnamed = rule.unnamed_margin if derived and not names else 0.0
        unnamed_across = 0.0 if rule.unnamed_same_language_only else unnamed

        def extra(passage: Passage) -> float:
            if not language:  # a question too short to tell its language: the lower bar
                return min(same_extra, other_extra) + unnamed_across
            if manifest.docs[passage.doc_id].lang == language:
                return own_extra + unnamed
            return other_extra + unnamed_across

        own = [_against_own_document(p, manifest, language, rule.language_weight) - extra(p) for p in ranked]
        focused = derived and rule.unfocused_penalty
        scores, named = _best_first(
            own,
            ranked,
            rule.named_passage_bonus,
            may_name,
            lambda passage: not rule.named_in_capitals or written_as_names(names, passage.text),
            FOCUS_CANDIDATES + 1 if focused else 1,
        )
        if not scores:
            return _Decision(float("-inf"), grounded)
        unknown = (
            rule.unknown_word_penalty
            if derived
            and rule.unknown_word_penalty
            and _holds_much_of(manifest, language, rule)
            and unknown_words(question, snapshot.lexical)
            else 0.0
        )
        if not focused:
            return _Decision(scores[0][0] - unknown, grounded)
        return _Decision(_focused(question, scores, snapshot.lexical, rule, named) - unknown, grounded)


def _best_first(
    scores: Sequence[float],
    passages: Sequence[Passage],
    bonus: float,
    may_name: Collection[str],
    names_them: Callable[[Passage], bool],
    count: int,
) -> tuple[list[tuple[float, Passage]], set[str]]:
    """The first `count` of `passages` by their `scores` (ties in their order), each with its score, where a passage
    of `may_name` (chunk ids) scores `bonus` more if `names_them`; and the chunk ids of those that took it. Whether
    a passage names them (a read of its text) is asked only of one that would reach the first `count` with it."""
    waiting = [
        (-(score + bonus if passage.chunk_id in may_name else score), number)
        for number, (score, passage) in enumerate(zip(scores, passages))
    ]
    heapq.heapify(waiting)
    best: list[tuple[float, Passage]] = []
    named: set[str] = set()
    asked: set[int] = set()
    while waiting and len(best) < count:
        negative, number = heapq.heappop(waiting)
        passage = passages[number]
        if passage.chunk_id in may_name and number not in asked:
            asked.add(number)
            if not names_them(passage):  # back in its place without the bonus
                heapq.heappush(waiting, (-scores[number], number))
                continue
            named.add(passage.chunk_id)
        best.append((-negative, passage))
    return best, named


def _frozen(snapshot: _Snapshot) -> _Snapshot:
    """`snapshot`, once every object the process holds is moved out of the cycle collector's reach
    (`gc.freeze`): its full collections went over the loaded index's objects, 37 ms at 13k chunks and 255 ms at
    100k, inside whichever question came then. Objects frozen are still freed when nothing refers to them; a
    generation replaced is (no reference cycle holds one: tested)."""
    gc.freeze()
    return snapshot


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def bar_across_languages(manifest: Manifest, rule: RelevanceRule, language: str = "") -> float:
    """The bar a passage in the other language than the question's (`language`) faces: the one the index
    derived for questions in that language where it could (a mixed corpus, with the rule's `bar_by_language`),
    else the one it derived for both, else (an index in one language, nothing to derive it from)
    `rule.underived_other_share` of the way from the floor to the same-language bar."""
    floor = rule.floor(manifest.centred)
    derived = manifest.other_language_bars.get(language, 0.0) if rule.bar_by_language else 0.0
    if derived or manifest.other_language_bar:
        return max(floor, derived or manifest.other_language_bar)
    return floor + rule.underived_other_share * max(0.0, manifest.same_language_bar - floor)


def _focused(
    question: str,
    scores: Sequence[tuple[float, Passage]],
    lexical: LexicalIndex,
    rule: RelevanceRule,
    named: Collection[str] = (),
) -> float:
    """The best of `scores` (passages with their decision scores, best first) once each counts less by how
    far its best sentence falls short of holding `rule.focus_line` of the question (relevance.passage_focus).
    Only the first FOCUS_CANDIDATES are read; a later one counts as holding nothing of the question. The
    passages of `named` (chunk ids) keep the bonus their score holds only where focused (with the rule's
    `named_bonus_needs_focus`): a name alone in a passage that scatters the rest of the question is no answer."""
    best = float("-inf")
    for number, (score, passage) in enumerate(scores):
        if score <= best:
            break
        withheld = rule.named_passage_bonus if rule.named_bonus_needs_focus and passage.chunk_id in named else 0.0
        if number == FOCUS_CANDIDATES:
            return max(best, score - rule.unfocused_penalty * rule.focus_line - withheld)
        shortfall = max(0.0, rule.focus_line - passage_focus(question, passage, lexical))
        best = max(best, score - rule.unfocused_penalty * shortfall - (withheld if shortfall else 0.0))
    return best


def _holds_much_of(manifest: Manifest, language: str, rule: RelevanceRule) -> bool:
    """Whether the index holds enough text in `language` for a word of a question in it to be missing there
    only when what the question asks about is (RelevanceRule.unknown_word_penalty)."""
    return bool(language) and manifest.chunks_by_language[language] >= rule.unknown_word_min_chunks


def _bridge(bridge_weight: float, stem_by_language: bool) -> dict[str, frozenset[str]] | None:
    """The English-French dictionary bridge, when query words are to stand for their translations."""
    return load_bridge(by_language=stem_by_language) if bridge_weight else None


def _lexical_part(info: DocumentInfo | None) -> tuple[str, str, str] | None:
    """What the lexical side reads of a document besides its chunks: its version, title and language."""
    return None if info is None else (info.version, info.title, info.lang)


def _against_own_document(passage: Passage, manifest: Manifest, language: str = "", weight: float = 1.0) -> float:
    """`passage.score` with its dense part counted from its own document's background rather than the
    ranking's baseline: both languages' average, moved `weight` of the way to that of questions in
    `language` (the same when the manifest predates per-document backgrounds)."""
    info = manifest.docs[passage.doc_id]
    background = info.background
    if background is None:
        return passage.score
    if language in info.backgrounds:
        background += weight * (info.backgrounds[language] - background)
    return passage.score - passage.dense + (passage.similarity - background) / manifest.similarity_std
