"""Language centring: stored vectors and questions lose half their language's mean, recorded in the manifest,
applied to an older index without embedding again (the old vectors serving until it commits)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.centring import Centring
from index.ingest.centring import MEASURED_TEXTS
from index.ingest.indexer import Indexer
from index.search.retriever import Retriever
from index.store.memory import MemoryStore
from index.text import with_title
from index.tuning import RetrievalConfig
from tests.fakes import HashingEmbedder

ENGLISH = "The alpha reactor was inspected in March by the safety board of the plant."
FRENCH = "Le réacteur bêta a été inspecté en mars par le comité de sûreté de la centrale."


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_each_language_loses_its_share_of_its_own_mean_and_an_unknown_one_nothing() -> None:
    means = {"en": np.array([1.0, 0.0, 0.0], np.float32), "fr": np.array([0.0, 1.0, 0.0], np.float32)}
    centring = Centring(0.5, means, {"en": np.array([0.0, 0.0, 1.0], np.float32)})
    rows = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0], [1.0, 0.0, 1.0]], np.float32)
    centred = centring.passage_vectors(rows, ["en", "fr", "de"])
    assert np.allclose(centred[0], _unit(np.array([0.5, 0.0, 1.0])))
    assert np.allclose(centred[1], _unit(np.array([1.0, -0.5, 1.0])))
    assert np.allclose(centred[2], _unit(np.array([1.0, 0.0, 1.0])))  # not English or French: only normalised
    assert np.allclose(centring.question_vector(rows[0], "en"), _unit(np.array([1.0, 0.0, 0.5])))
    assert np.allclose(centring.question_vector(rows[0], ""), _unit(rows[0]))  # language unknown
    again = Centring.from_json(centring.to_json())
    assert again is not None and again.weight == 0.5
    assert np.allclose(again.passage_vectors(rows, ["en", "fr", "de"]), centred)
    assert Centring.from_json("") is None


def _stored(store: MemoryStore) -> dict[str, np.ndarray]:
    return store.keyed_vectors([chunk.chunk_id for chunk in store.iter_chunks()])


def _expected(store: MemoryStore, embedder: HashingEmbedder, centring: Centring | None) -> dict[str, np.ndarray]:
    """Each stored chunk's vector as the model gives it, centred by its document's language if `centring`."""
    manifest = store.read_manifest()
    assert manifest is not None
    expected = {}
    for chunk in store.iter_chunks():
        info = manifest.docs[chunk.doc_id]
        raw = embedder.embed([with_title(info.title, chunk.text)])
        expected[chunk.chunk_id] = (centring.passage_vectors(raw, [info.lang]) if centring else raw)[0]
    return expected


def _write(corpus: Path) -> None:
    (corpus / "alpha.txt").write_text(ENGLISH * 30, encoding="utf-8")
    (corpus / "beta.txt").write_text(FRENCH * 30, encoding="utf-8")


def test_a_new_index_stores_centred_vectors_and_records_the_means(corpus: Path) -> None:
    _write(corpus)
    embedder, store = HashingEmbedder(), MemoryStore()
    Indexer(embedder, store, 700, 150, 10**7).run(corpus)
    manifest = store.read_manifest()
    assert manifest is not None and {info.lang for info in manifest.docs.values()} == {"en", "fr"}
    centring = Centring.from_json(manifest.centring)
    assert centring is not None and set(centring.passages) == {"en", "fr"}
    expected = _expected(store, embedder, centring)
    assert all(float(vector @ expected[chunk_id]) > 0.9999 for chunk_id, vector in _stored(store).items())
    raw = _expected(store, embedder, None)
    assert min(float(vector @ raw[chunk_id]) for chunk_id, vector in _stored(store).items()) < 0.99


def test_an_index_stored_before_centring_is_centred_without_embedding_again(corpus: Path) -> None:
    _write(corpus)
    embedder, store = HashingEmbedder(), MemoryStore()
    Indexer(embedder, store, 700, 150, 10**7, centre_languages=False).run(corpus)
    before = store.read_manifest()
    assert before is not None and before.centring == ""
    store.write_manifest(type(before)(**{**before.__dict__, "same_language_bar": 2.5, "calibration_version": 2}))
    embedder.calls.clear()

    report = Indexer(embedder, store, 700, 150, 10**7).run(corpus)
    assert report.embedded_chunks == 0 and report.unchanged == 2 and report.centred_chunks == report.chunks
    # The language means only: the background questions were embedded for the first index by the same model.
    assert embedder.embedded == MEASURED_TEXTS
    after = store.read_manifest()
    assert after is not None and after.generation == before.generation + 1
    centring = Centring.from_json(after.centring)
    assert centring is not None
    expected = _expected(store, embedder, centring)
    assert all(float(vector @ expected[chunk_id]) > 0.9999 for chunk_id, vector in _stored(store).items())
    assert store.count() == report.chunks  # the vectors stored before centring are gone
    # Backgrounds are measured again on the new vectors, and the bar must be derived again.
    assert after.docs["beta.txt"].backgrounds != before.docs["beta.txt"].backgrounds
    assert after.same_language_bar == 0.0 and after.calibration_version == 0

    embedder.calls.clear()  # a run with nothing new does nothing more
    again = Indexer(embedder, store, 700, 150, 10**7).run(corpus)
    assert again.embedded_chunks == again.centred_chunks == 0 and embedder.embedded == 0
    assert store.read_manifest() == after


class _FailingStore(MemoryStore):
    """Fails the second write once armed (a crash half-way through centring)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: int | None = None

    def upsert(
        self, ids: Sequence[str], embeddings: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        if self.writes is not None:
            self.writes += 1
            if self.writes == 2:
                raise RuntimeError("disk full (simulated)")
        super().upsert(ids, embeddings, texts, metadatas)


def test_an_interrupted_centring_leaves_the_index_answering_and_resumes(corpus: Path) -> None:
    _write(corpus)
    embedder, store = HashingEmbedder(), _FailingStore()
    Indexer(embedder, store, 700, 150, 10**7, centre_languages=False).run(corpus)
    before, chunks = store.read_manifest(), store.count()
    store.writes = 0
    with pytest.raises(RuntimeError):
        Indexer(embedder, store, 700, 150, 10**7, store_batch=2).run(corpus)
    assert store.read_manifest() == before and store.count() == chunks + 2  # two copied, not yet committed
    passages = Retriever(embedder, store).search("alpha reactor inspected", 3, threshold=False)
    assert passages and passages[0].doc_id == "alpha.txt"  # the old vectors still answer

    store.writes = None
    report = Indexer(embedder, store, 700, 150, 10**7, store_batch=2).run(corpus)
    assert report.embedded_chunks == 0 and report.centred_chunks == chunks and store.count() == chunks
    after = store.read_manifest()
    assert after is not None
    centring = Centring.from_json(after.centring)
    assert centring is not None
    expected = _expected(store, embedder, centring)
    assert all(float(vector @ expected[chunk_id]) > 0.9999 for chunk_id, vector in _stored(store).items())


class LanguageEmbedder:
    """A 'model' with the language pull of a real multilingual one: one axis per language, one per topic."""

    name = "fake-languages"
    dimension = 4
    _TOPICS: Sequence[tuple[int, Sequence[str]]] = ((2, ("zebra", "zèbre")), (3, ("train", "railway")))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            lowered = f" {text.lower()} "
            french = sum(lowered.count(f" {w} ") for w in ("le", "la", "les", "de", "en", "un", "une", "à"))
            english = sum(lowered.count(f" {w} ") for w in ("the", "a", "of", "in", "at", "does", "how"))
            vectors[row, 0 if english >= french else 1] = 1.0
            for axis, words in self._TOPICS:
                vectors[row, axis] = 0.8 * sum(lowered.count(word) for word in words)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def test_a_question_finds_the_document_in_the_other_language_once_the_language_pull_is_taken_out(
    corpus: Path,
) -> None:
    (corpus / "zebra.txt").write_text("Le zèbre galope à soixante kilomètres par heure dans la savane.", "utf-8")
    (corpus / "timetable.txt").write_text("The timetable of the line is printed at the station.", "utf-8")
    embedder = LanguageEmbedder()
    question = "How fast does a zebra gallop?"
    dense_only = RetrievalConfig(lexical_weight=0.0, language_shift=0.0)  # the vectors alone decide
    best = {}
    for centre in (False, True):
        store = MemoryStore()
        Indexer(embedder, store, 700, 150, 10**7, centre_languages=centre).run(corpus)  # type: ignore[arg-type]
        passages = Retriever(embedder, store, dense_only).search(question, 2, threshold=False)  # type: ignore[arg-type]
        best[centre] = passages[0].doc_id
    assert best == {False: "timetable.txt", True: "zebra.txt"}
