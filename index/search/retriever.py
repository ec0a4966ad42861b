"""Hybrid retrieval: dense (Chroma) + lexical BM25 with fuzzy spelling expansion, fused and thresholded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from index.embedding import Embedder
from index.errors import IndexNotBuiltError, IndexOutdatedError
from index.models import DocumentInfo, Passage
from index.search.lexical import LexicalIndex
from index.search.relevance import RelevanceRule, missing_names
from index.search.relevance import prepare as prepare_relevance
from index.store.manifest import CHUNKER_VERSION, Manifest, check_model
from index.store.protocol import StoredChunk, VectorStore
from index.text import with_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievalConfig:
    """How dense and lexical evidence are weighed, and when a passage counts as relevant.

    Dense similarities are put on the index's own scale first: standard deviations above how similar
    everyday unrelated questions are to the corpus's chunks (measured at index time, kept in the
    manifest), so the weights below hold for any model and any corpus."""

    candidates: int = 50
    lexical_weight: float = 4.0
    relevance: RelevanceRule = field(default_factory=RelevanceRule)
    refresh_seconds: float = 30.0


def passage_from(chunk: StoredChunk, document: DocumentInfo, score: float, dense: float, lexical: float) -> Passage:
    meta: dict[str, Any] = chunk.metadata
    page = meta.get("page")
    return Passage(
        chunk_id=chunk.chunk_id,
        doc_id=document.doc_id,
        title=document.title,
        date=document.date,
        url=document.url,
        path=document.path,
        text=chunk.text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        paragraph=int(meta.get("paragraph", 0)),
        page=int(page) if page is not None else None,
        score=score,
        dense=dense,
        lexical=lexical,
    )


@dataclass(frozen=True)
class Retrieval:
    """Retrieved passages, best first, with what answer extraction reuses."""

    passages: tuple[Passage, ...]
    expand: Callable[[str], Sequence[tuple[str, float]]]
    relevant: bool = True  # whether the best passage passes the relevance bar


class _Snapshot:
    """The manifest and the in-memory lexical side for one index generation."""

    def __init__(self, manifest: Manifest, chunks: list[StoredChunk]) -> None:
        self.manifest = manifest
        self.chunks = chunks
        self.positions = {chunk.chunk_id: i for i, chunk in enumerate(chunks)}
        self.lexical = LexicalIndex(
            with_title(manifest.docs[str(chunk.metadata["doc_id"])].title, chunk.text) for chunk in chunks
        )
        self.loaded_at = time.monotonic()


class Retriever:
    """Finds the passages that answer a question; collaborators are passed in."""

    def __init__(self, embedder: Embedder, store: VectorStore, config: RetrievalConfig | None = None) -> None:
        self._embedder = embedder
        self._store = store
        self.config = config or RetrievalConfig()
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def store_description(self) -> str:
        return self._store.description

    @property
    def manifest(self) -> Manifest:
        return self._current().manifest

    def _load(self) -> _Snapshot:
        manifest = self._store.read_manifest()
        if manifest is None or not manifest.docs:
            raise IndexNotBuiltError()
        check_model(manifest, self._embedder)
        if manifest.chunker_version != CHUNKER_VERSION:
            raise IndexOutdatedError()
        # Only chunks of a document version the manifest holds: an orphan (an unfinished re-index, a chunk
        # whose document was renamed) is never answered from and never stops the index from loading.
        chunks = [chunk for chunk in self._store.iter_chunks() if _belongs(chunk, manifest)]
        log.info("loaded index generation %s: %d chunks", manifest.generation, len(chunks))
        prepare_relevance()
        return _Snapshot(manifest, chunks)

    def _current(self) -> _Snapshot:
        """The loaded snapshot, reloaded when another process has committed a newer generation."""
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None:
                self._snapshot = snapshot = self._load()
            elif time.monotonic() - snapshot.loaded_at > self.config.refresh_seconds:
                latest = self._store.read_manifest()
                if latest is not None and latest.generation != snapshot.manifest.generation:
                    self._snapshot = snapshot = self._load()
                else:
                    snapshot.loaded_at = time.monotonic()
            return snapshot

    def reload(self) -> None:
        """Load the store's current generation; questions keep the previous one until it is ready."""
        snapshot = self._load()
        with self._lock:
            self._snapshot = snapshot

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
        snapshot = self._current()
        manifest = snapshot.manifest
        query = self._embedder.embed_query(question)
        # Not capped at the snapshot size: orphans of an unfinished re-index may take some of the places.
        dense_hits = self._store.query(query, self.config.candidates)
        # Chunks not in the snapshot (an unfinished re-index, or one newer than our manifest) are skipped.
        dense = {
            chunk_id: (similarity - manifest.similarity_mean) / manifest.similarity_std
            for chunk_id, similarity in dense_hits
            if chunk_id in snapshot.positions
        }
        floor = min(dense.values(), default=0.0)
        lexical = {
            snapshot.chunks[hit.position].chunk_id: hit.coverage
            for hit in snapshot.lexical.search(
                question, self.config.candidates, [snapshot.positions[chunk_id] for chunk_id in dense]
            )
        }
        scored: list[Passage] = []
        for chunk_id in dense.keys() | lexical.keys():
            dense_score = dense.get(chunk_id, floor)
            lexical_score = lexical.get(chunk_id, 0.0)
            score = dense_score + self.config.lexical_weight * lexical_score
            chunk = snapshot.chunks[snapshot.positions[chunk_id]]
            document = manifest.docs[str(chunk.metadata["doc_id"])]
            passage = passage_from(chunk, document, score, dense_score, lexical_score)
            scored.append(replace(passage, score=score + boost(passage)) if boost else passage)
        scored.sort(key=lambda p: p.score, reverse=True)
        relevant = bool(scored) and self._relevant(question, scored[: self.config.candidates], snapshot)
        if threshold and not relevant:
            scored = []
        return Retrieval(tuple(scored[:limit]), snapshot.lexical.expand, relevant)

    def _relevant(self, question: str, ranked: Sequence[Passage], snapshot: _Snapshot) -> bool:
        """Relevant unless the question names something the corpus never mentions, or no passage
        matches the question clearly better than everyday unrelated questions match its document."""
        if missing_names(question, snapshot.lexical):
            return False
        return max(_against_own_document(p, snapshot.manifest) for p in ranked) >= self.config.relevance.min_fused


def _belongs(chunk: StoredChunk, manifest: Manifest) -> bool:
    info = manifest.docs.get(str(chunk.metadata.get("doc_id")))
    return info is not None and info.version == chunk.metadata.get("version")


def _against_own_document(passage: Passage, manifest: Manifest) -> float:
    """`passage.score` with its dense part counted from its own document's background rather than
    the corpus-wide one (the same when the manifest predates per-document backgrounds)."""
    background = manifest.docs[passage.doc_id].background
    if background is None:
        return passage.score
    similarity = passage.dense * manifest.similarity_std + manifest.similarity_mean
    return passage.score - passage.dense + (similarity - background) / manifest.similarity_std
