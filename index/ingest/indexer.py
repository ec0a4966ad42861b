"""Build and update the index incrementally: embed only what changed, commit by manifest, then clean up."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path

import numpy as np

from index.centring import Centring
from index.embedding import Embedder
from index.errors import LoaderError
from index.ingest.background import (
    REFERENCE_LANGUAGES,
    document_backgrounds,
    reference_vectors,
    similarity_background,
)
from index.ingest.centring import measure
from index.ingest.chunking import chunk_document
from index.ingest.file_hashes import FileHashes
from index.ingest.loaders import iter_corpus_files, parse_document, read_file
from index.ingest.ocr import Ocr
from index.language import LANGUAGES, detect_language
from index.models import Chunk, Document, DocumentInfo, IndexReport, SkippedFile
from index.store.manifest import CHUNKER_VERSION, Manifest, check_model
from index.store.protocol import VectorStore, chunk_id, chunk_row, moved_chunk_id
from index.text import with_title

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
_SAME_VECTOR = 0.999  # cosine above which a stored vector is this model's own (float noise aside)


def _no_progress(done: int, total: int) -> None:
    return None


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


def version_key(content_hash: str, chunk_size: int, chunk_overlap: int, centred: bool = False) -> str:
    """Identifies one document version chunked one way (and stored centred by language or not); part of
    every chunk id, so that a new version is written beside the old one until the manifest commits it."""
    raw = f"{content_hash}:{chunk_size}:{chunk_overlap}:{CHUNKER_VERSION}" + (":centred" if centred else "")
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def document_language(document: Document) -> str:
    """The document's language: as its file declares it when that is one we tell apart, else as read."""
    declared = document.lang[:2].lower()
    return declared if declared in LANGUAGES else detect_language(document.text, default="?")


@dataclass
class _Scan:
    """What a pass over the corpus folder found."""

    changed: list[Document] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    not_followed: set[str] = field(default_factory=set)  # links that lead outside, dangle or loop
    languages: dict[str, str] = field(default_factory=dict)  # of unchanged documents that had none recorded
    # Unchanged documents stored before centring: their old version, whose vectors are copied centred.
    recentre: dict[str, str] = field(default_factory=dict)


@dataclass
class _Plan:
    """What the next generation holds: `docs` (changed ones are added as their chunks are stored) and how
    it differs from the previous one."""

    scan: _Scan
    docs: dict[str, DocumentInfo]
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def changes(self) -> bool:
        return bool(self.scan.changed or self.removed or self.scan.languages)


def _scope(paths: set[str]) -> Callable[[str], bool]:
    """Whether a document id is one of `paths` or lies in one of them (a folder). Asked of every document
    of the index: a prefix test for a few paths, the id's own folders looked up for a burst of them."""
    named = {path.rstrip("/") for path in paths}
    if len(named) <= 32:
        folders = tuple(path + "/" for path in named)
        return lambda doc_id: doc_id in named or doc_id.startswith(folders)

    def within(doc_id: str) -> bool:
        at = len(doc_id)
        while at > 0:
            if doc_id[:at] in named:
                return True
            at = doc_id.rfind("/", 0, at)
        return False

    return within


class Indexer:
    """Keeps a store in step with a corpus folder, using one embedder."""

    def __init__(
        self,
        embedder: Embedder,
        store: VectorStore,
        chunk_size: int,
        chunk_overlap: int,
        max_file_bytes: int,
        store_batch: int = 512,
        max_text_chars: int | None = None,
        ocr: Ocr | None = None,
        centre_languages: bool = True,
    ) -> None:
        self._embedder = embedder
        # Whether a new index (or one stored without it) gets its vectors centred by language (index/centring.py).
        self._centre_languages = centre_languages
        self._measured: Centring | None = None
        self._recorded: tuple[str, Centring | None] | None = None
        self._ocr = ocr
        self._store = store
        self._chunk_size = chunk_size
        self._chunk_overlap = chunk_overlap
        self._max_file_bytes = max_file_bytes
        self._max_text_chars = max_text_chars
        self._reference_vectors: tuple[Centring | None, np.ndarray] | None = None
        # Each file's content hash as last read, under its size and modification time, by corpus folder (kept
        # on disk): indexing the same folder again reads only the files that changed (5,674 files, 42 MB: ~1 s).
        self._hashes: dict[Path, FileHashes] = {}
        # The symbolic links of each corpus folder this indexer scanned whole (a link's target may change
        # without the link: a scan of the paths that changed reads the links too).
        self._links: dict[Path, set[str]] = {}
        self._store_batch = store_batch

    def run(
        self,
        corpus_dir: Path,
        rebuild: bool = False,
        progress: ProgressCallback = _no_progress,
        only: Iterable[str] | None = None,
    ) -> IndexReport:
        """Bring the store in step with `corpus_dir`: read what changed, embed it, commit a new generation
        by its manifest, then drop what no generation names. Unchanged documents cost a hash each.

        `only`: the corpus paths (files, or folders and what they hold) that may have changed since this
        indexer last scanned the folder, as a watcher or an upload knows them; every other document is
        taken as it was, so a change costs what changed and not a pass over every file (70,038 files:
        ~1.5 s). Until this indexer has scanned the whole folder once, the whole folder is scanned."""
        started = time.perf_counter()
        self._store.lock_for_writing()
        self._store.upgrade()
        if rebuild:
            self._store.drop()
            self._file_hashes(corpus_dir).forget()
        previous = self._store.read_manifest()
        check_model(previous, self._embedder)
        centring = self._centring(previous)
        paths = None if rebuild or previous is None else only
        scan = self._scan(corpus_dir, previous.docs if previous else {}, centring is not None, paths)
        plan = self._plan(scan, previous)
        references = self._references(centring) if plan.scan.changed else None
        embedded, reused = self._embed_and_store(
            plan.scan.changed, plan.scan.versions, plan.docs, progress, centring, references
        )
        for doc_id, lang in plan.scan.languages.items():  # indexed before languages were told apart
            plan.docs[doc_id] = replace(plan.docs[doc_id], lang=lang)
        centred = 0
        if centring is not None and plan.scan.recentre:
            centred = self._copy_centred(plan.scan.recentre, plan.scan.versions, plan.docs, centring)
        missing_background = [
            doc_id for doc_id, info in plan.docs.items() if info.background is None or not info.backgrounds
        ]
        if plan.changes or previous is None or missing_background or centred:
            self._commit(previous, plan, centring, missing_background)
        orphans = self._drop_orphans(plan.docs)
        return IndexReport(
            documents=len(plan.docs),
            chunks=sum(info.chunks for info in plan.docs.values()),
            added=plan.added,
            updated=plan.updated,
            removed=plan.removed,
            unchanged=len(plan.scan.versions) - len(plan.scan.changed),
            embedded_chunks=embedded,
            reused_chunks=reused,
            centred_chunks=centred,
            skipped=tuple(plan.scan.skipped),
            orphans_removed=orphans,
            seconds=time.perf_counter() - started,
        )

    @staticmethod
    def _plan(scan: _Scan, previous: Manifest | None) -> _Plan:
        """The documents of the next generation: the previous ones still present, those that changed (filled
        in as they are stored), and those that are gone."""
        old_docs = previous.docs if previous else {}
        changed_ids = {d.doc_id for d in scan.changed}
        # A file that exists but could not be read keeps its previous version: nothing is lost. A link that
        # must not be followed (outside the corpus, broken) is no document any more.
        unreadable = {s.path for s in scan.skipped} - scan.not_followed
        folders = tuple(path for path in unreadable if path.endswith("/"))  # nor does a folder that cannot be listed
        docs = {doc_id: info for doc_id, info in old_docs.items() if doc_id in unreadable or doc_id.startswith(folders)}
        for doc_id in scan.versions.keys() - changed_ids:
            docs[doc_id] = old_docs[doc_id]
        removed = tuple(sorted(doc_id for doc_id in old_docs if doc_id not in scan.versions and doc_id not in docs))
        return _Plan(
            scan,
            docs,
            added=tuple(sorted(changed_ids - old_docs.keys())),
            updated=tuple(sorted(changed_ids & old_docs.keys())),
            removed=removed,
        )

    def _commit(
        self, previous: Manifest | None, plan: _Plan, centring: Centring | None, missing_background: list[str]
    ) -> None:
        """Write the manifest of the next generation (the switch readers see), then delete the chunks of
        versions it no longer names."""
        references = self._references(centring)
        docs = plan.docs
        for doc_id in missing_background:  # stored before backgrounds were kept, or resumed from a killed run
            info = docs[doc_id]
            if not info.chunks:
                continue
            vectors = self._store.vectors([chunk_id(doc_id, info.version, i) for i in range(info.chunks)])
            docs[doc_id] = replace(info, **document_backgrounds(references @ vectors.T))
        mean, std = self._similarity_background(docs, references)
        # The bar the index derived is kept until index/search/calibration.py derives it again for this
        # generation (at once when the vectors were centred: a bar derived on other vectors does not hold).
        carried = previous if previous is not None and (previous.centred or centring is None) else None
        manifest = Manifest(
            model=self._embedder.name,
            dimension=self._embedder.dimension,
            chunk_size=self._chunk_size,
            chunk_overlap=self._chunk_overlap,
            generation=(previous.generation + 1) if previous else 1,
            similarity_mean=mean,
            similarity_std=std,
            same_language_bar=carried.same_language_bar if carried else 0.0,
            other_language_bar=carried.other_language_bar if carried else 0.0,
            language_bars=carried.language_bars if carried else {},
            other_language_bars=carried.other_language_bars if carried else {},
            calibrated_docs=carried.calibrated_docs if carried else 0,
            calibration_version=carried.calibration_version if carried else 0,
            centring=centring.to_json() if centring else "",
            docs=dict(sorted(docs.items())),
        )
        self._store.write_manifest(manifest)
        # The versions the previous generation named and this one does not (listed, not "all but the live
        # ones": a filter naming every live version fails past 32,766 documents in Chroma's SQLite). Chunks of
        # versions no generation named (an interrupted run's) are orphans: `_drop_orphans` finds them.
        stale = sorted((previous.live_versions if previous else frozenset()) - manifest.live_versions)
        if not manifest.docs:
            self._store.delete_where({"version": {"$ne": ""}})
        elif stale:
            self._store.delete_where({"version": {"$in": stale}})
        if plan.removed:  # a renamed or de-duplicated file: its content version lives on under another id
            self._store.delete_where({"doc_id": {"$in": list(plan.removed)}})

    def _drop_orphans(self, docs: dict[str, DocumentInfo]) -> int:
        """Remove stored chunks that belong to no document version of the manifest (left by an older
        corpusbot after a rename, say). Cheap when there are none: the store's count says so."""
        expected = sum(info.chunks for info in docs.values())
        if self._store.count() == expected:
            return 0
        orphans = [chunk.chunk_id for chunk in self._store.iter_chunks() if not chunk.belongs_to(docs)]
        if orphans:
            log.warning("removing %d stored passage(s) of no indexed document", len(orphans))
            self._store.delete(orphans)
        return len(orphans)

    def _references(self, centring: Centring | None) -> np.ndarray:
        """The reference questions under this indexer's model, as retrieval sees questions (centred like the
        index), embedded once (a live corpus commits often)."""
        if self._reference_vectors is None or self._reference_vectors[0] is not centring:
            vectors = reference_vectors(self._embedder)
            if centring is not None:
                vectors = np.vstack(
                    [centring.question_vector(v, lang) for v, lang in zip(vectors, REFERENCE_LANGUAGES, strict=True)]
                )
            self._reference_vectors = (centring, vectors)
        return self._reference_vectors[1]

    def _centring(self, previous: Manifest | None) -> Centring | None:
        """The centring of the index: as recorded, else (a new index, or one stored before centring) this
        model's language means when centring is on."""
        if previous is not None and previous.centred:
            if self._recorded is None or self._recorded[0] != previous.centring:  # parsed once, not every commit
                self._recorded = (previous.centring, Centring.from_json(previous.centring))
            return self._recorded[1]
        if not self._centre_languages:
            return None
        if self._measured is None:  # as the manifest will hold it (rounded), so that every run computes alike
            self._measured = Centring.from_json(measure(self._embedder).to_json())
        return self._measured

    def _copy_centred(
        self, recentre: dict[str, str], version: dict[str, str], docs: dict[str, DocumentInfo], centring: Centring
    ) -> int:
        """Store the vectors of documents indexed before centring again, centred, under their new version (no
        re-embedding: the stored vectors are the model's own). The old ones serve until the manifest commits;
        an interrupted run resumes with what it had copied."""
        old = ((chunk.doc_id, chunk) for chunk in self._store.iter_chunks())
        pending = [(doc_id, chunk) for doc_id, chunk in old if recentre.get(doc_id) == chunk.version]
        new_ids = {chunk.chunk_id: moved_chunk_id(chunk.chunk_id, version[doc_id]) for doc_id, chunk in pending}
        done = self._store.stored(list(new_ids.values()))
        pending = [(doc_id, chunk) for doc_id, chunk in pending if new_ids[chunk.chunk_id] not in done]
        for start in range(0, len(pending), self._store_batch):
            window = pending[start : start + self._store_batch]
            stored = self._store.keyed_vectors([chunk.chunk_id for _, chunk in window])
            batch = [(doc_id, chunk) for doc_id, chunk in window if chunk.chunk_id in stored]
            self._store.upsert(
                [new_ids[chunk.chunk_id] for _, chunk in batch],
                centring.passage_vectors(
                    np.vstack([stored[chunk.chunk_id] for _, chunk in batch]),
                    [docs[doc_id].lang for doc_id, _ in batch],
                ),
                [chunk.text for _, chunk in batch],
                [{**chunk.metadata, "version": version[doc_id]} for doc_id, chunk in batch],
            )
        for doc_id in recentre:
            docs[doc_id] = replace(docs[doc_id], version=version[doc_id], background=None, backgrounds={})
        copied = sum(docs[doc_id].chunks for doc_id in recentre)
        log.info("centred the stored vectors of %d passage(s) by language (copied, not embedded)", copied)
        return copied

    def _similarity_background(
        self, docs: dict[str, DocumentInfo], references: np.ndarray, sample: int = 1000
    ) -> tuple[float, float]:
        """How similar unrelated questions are to (a sample of) this corpus's chunks, under this model. The
        sample is drawn by number (the chunks of the documents in order), not from a list of every chunk id."""
        listed = list(docs.items())
        ends = list(accumulate(info.chunks for _, info in listed))
        total = ends[-1] if ends else 0
        picked = []
        for number in random.Random(total).sample(range(total), min(total, sample)):
            at = bisect_right(ends, number)
            doc_id, info = listed[at]
            picked.append(chunk_id(doc_id, info.version, number - (ends[at] - info.chunks)))
        return similarity_background(references, self._store.vectors(picked))

    def _scan(
        self, corpus_dir: Path, old_docs: dict[str, DocumentInfo], centred: bool, paths: Iterable[str] | None = None
    ) -> _Scan:
        """Hash every file (one read before, unchanged in size and time, keeps its hash: index.ingest.file_hashes);
        parse only those whose content or chunking differs from the manifest's. With `paths`, once this indexer
        has scanned the folder whole, only the files of those paths and the corpus's links are looked at; the
        other documents stay as they were."""
        scan = _Scan()
        hashes = self._file_hashes(corpus_dir)
        folder = corpus_dir.resolve()
        links = self._links.get(folder)
        looked_at = None if paths is None or links is None else {*paths, *links}
        in_scope = None if looked_at is None else _scope(looked_at)
        listed: set[str] = set()
        found_links: set[str] = set()
        for entry in iter_corpus_files(corpus_dir, looked_at):
            doc_id = entry.doc_id
            listed.add(doc_id)
            if entry.link:
                found_links.add(doc_id)
            try:
                if entry.problem:
                    if not doc_id.endswith("/"):  # a folder that cannot be listed keeps its documents
                        scan.not_followed.add(doc_id)
                    raise LoaderError(entry.problem)
                data, digest = hashes.digest(doc_id, entry.path, self._read)
                version = version_key(digest, self._chunk_size, self._chunk_overlap, centred)
                old = old_docs.get(doc_id)
                if (
                    old is not None
                    and centred
                    and old.version == version_key(digest, self._chunk_size, self._chunk_overlap)
                ):
                    scan.recentre[doc_id] = old.version  # same text, stored before centring
                if old is None or (old.version != version and doc_id not in scan.recentre):
                    data = data if data is not None else read_file(entry.path, self._max_file_bytes)
                    document = parse_document(data, doc_id, self._max_text_chars, self._ocr)
                    scan.changed.append(document)
                    scan.skipped.extend(SkippedFile(f"{doc_id} › {name}", why) for name, why in document.skipped_parts)
                elif not old.lang:
                    data = data if data is not None else read_file(entry.path, self._max_file_bytes)
                    document = parse_document(data, doc_id, self._max_text_chars, self._ocr)
                    scan.languages[doc_id] = document_language(document)
                scan.versions[doc_id] = version
            except LoaderError as exc:
                scan.skipped.append(SkippedFile(doc_id, str(exc)))
        if in_scope is None:
            self._links[folder] = found_links
        else:
            for doc_id, info in old_docs.items():  # not looked at: as they were
                if doc_id not in listed and not in_scope(doc_id):
                    scan.versions[doc_id] = info.version
            self._links[folder] = {link for link in links or () if not in_scope(link)} | found_links
        hashes.keep(listed, in_scope)  # a file gone is forgotten
        return scan

    def _file_hashes(self, corpus_dir: Path) -> FileHashes:
        folder = corpus_dir.resolve()
        if folder not in self._hashes:
            self._hashes[folder] = FileHashes(folder)
        return self._hashes[folder]

    def _read(self, path: Path) -> bytes:
        return read_file(path, self._max_file_bytes)

    def _embed_and_store(
        self,
        documents: Sequence[Document],
        version: dict[str, str],
        docs: dict[str, DocumentInfo],
        progress: ProgressCallback,
        centring: Centring | None = None,
        references: np.ndarray | None = None,
    ) -> tuple[int, int]:
        """Chunk, embed and upsert `documents`; record each in `docs` (with its background against the
        `references`, from the vectors as they are embedded, when all of its chunks are).

        Returns how many chunks were embedded, and how many an interrupted run had already stored.
        """
        pending: list[tuple[Document, Chunk]] = []
        for document in documents:
            chunks = chunk_document(document, self._chunk_size, self._chunk_overlap)
            pending.extend((document, chunk) for chunk in chunks)
            docs[document.doc_id] = DocumentInfo(
                doc_id=document.doc_id,
                title=document.title,
                date=document.date,
                url=document.url,
                chunks=len(chunks),
                version=version[document.doc_id],
                path=document.path,
                lang=document_language(document),
                author=document.author,
            )
        resumed = self._already_stored(pending, version, docs, centring)
        if resumed:
            log.info("resuming: %d of %d chunk(s) were stored by an interrupted run", len(resumed), len(pending))
            pending = [(doc, chunk) for doc, chunk in pending if (doc.doc_id, chunk.index) not in resumed]
        total = len(pending)
        progress(0, total)
        similarity: dict[str, list[np.ndarray]] = {}  # per document: each reference's similarity to its chunks
        # Store batch N while embedding batch N+1: the store's work overlaps the model's.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store") as writer:
            in_flight: Future[None] | None = None
            for start in range(0, total, self._store_batch):
                batch = pending[start : start + self._store_batch]
                vectors = self._embedder.embed([with_title(doc.title, chunk.text) for doc, chunk in batch])
                if centring is not None:
                    vectors = centring.passage_vectors(vectors, [docs[doc.doc_id].lang for doc, _ in batch])
                if references is not None:
                    for (doc, _), column in zip(batch, (references @ vectors.T).T, strict=True):
                        similarity.setdefault(doc.doc_id, []).append(column)
                if in_flight is not None:
                    in_flight.result()
                in_flight = writer.submit(
                    self._store.upsert,
                    [chunk_id(doc.doc_id, version[doc.doc_id], chunk.index) for doc, chunk in batch],
                    vectors,
                    [chunk.text for _, chunk in batch],
                    [chunk_row(doc.doc_id, version[doc.doc_id], chunk) for doc, chunk in batch],
                )
                progress(min(start + len(batch), total), total)
            if in_flight is not None:
                in_flight.result()
        for doc_id, columns in similarity.items():
            if len(columns) == docs[doc_id].chunks:  # else resumed in part: read back from the store at commit
                docs[doc_id] = replace(docs[doc_id], **document_backgrounds(np.column_stack(columns)))
        return total, len(resumed)

    def _already_stored(
        self,
        pending: Sequence[tuple[Document, Chunk]],
        version: dict[str, str],
        docs: dict[str, DocumentInfo],
        centring: Centring | None,
    ) -> set[tuple[str, int]]:
        """Chunks an interrupted run already embedded and stored (ids name content and chunking).

        They are kept only if this model gives the same vector for one of them: a run that died under
        another model (after a rebuild, say) left vectors that must be embedded again.
        """
        by_id = {chunk_id(doc.doc_id, version[doc.doc_id], chunk.index): (doc, chunk) for doc, chunk in pending}
        stored = self._store.stored(list(by_id))
        if not stored:
            return set()
        sample_id = min(stored)
        doc, chunk = by_id[sample_id]
        fresh = self._embedder.embed([with_title(doc.title, chunk.text)])
        fresh = (centring.passage_vectors(fresh, [docs[doc.doc_id].lang]) if centring is not None else fresh)[0]
        kept = self._store.vectors([sample_id])
        if kept.shape != (1, fresh.shape[0]) or _cosine(kept[0], fresh) < _SAME_VECTOR:
            log.warning("chunks left by an interrupted run came from another model; embedding them again")
            return set()
        return {(by_id[i][0].doc_id, by_id[i][1].index) for i in stored}
