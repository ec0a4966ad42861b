"""Incremental indexing, model mismatch, and a failed re-index leaving the previous index answering."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from corpusbot.messages import explain
from corpusbot.render import report_text
from index.answer.answerer import Components, build
from index.centring import Centring
from index.errors import IndexNotBuiltError, ModelMismatchError
from index.ingest.background import REFERENCE_QUESTIONS
from index.ingest.centring import MEASURED_TEXTS
from index.ingest.indexer import Indexer
from index.settings import Settings
from index.store.memory import MemoryStore
from index.text import with_title
from tests.fakes import HashingEmbedder, write_corpus

ALPHA = "The alpha reactor opened in March. Engineers praised the alpha design.\n\nIt produces steam."
BETA = "Beta bridges span the river. The beta bridge was painted green last year."
GAMMA = "Gamma rays come from space. Telescopes in orbit detect gamma bursts."


def write(corpus: Path, **files: str) -> None:
    for name, text in files.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")


def _indexed_alpha_and_beta(settings: Settings, corpus: Path, embedder: HashingEmbedder) -> Components:
    """The two-document corpus, indexed once."""
    write(corpus, alpha=ALPHA, beta=BETA)
    components = build(settings, embedder=embedder)
    components.indexer().run(corpus)
    return components


def test_reindex_embeds_only_what_changed(settings: Settings, corpus: Path, fake_embedder: HashingEmbedder) -> None:
    write(corpus, alpha=ALPHA, beta=BETA)
    components = build(settings, embedder=fake_embedder)
    first = components.indexer().run(corpus)
    assert first.added == ("alpha.txt", "beta.txt") and first.embedded_chunks == first.chunks > 0

    second = components.indexer().run(corpus)
    assert second.embedded_chunks == 0 and second.unchanged == 2 and second.chunks == first.chunks

    write(corpus, beta=BETA + " It was repainted blue.", gamma=GAMMA)
    (corpus / "alpha.txt").unlink()
    third = components.indexer().run(corpus)
    assert third.updated == ("beta.txt",) and third.added == ("gamma.txt",) and third.removed == ("alpha.txt",)
    assert third.embedded_chunks == third.chunks  # beta and gamma only
    assert components.store.count() == third.chunks  # old beta chunks and alpha chunks are gone

    answerer = components.answerer()
    found = answerer.retriever.search("alpha reactor", 10, threshold=False)
    assert found and all(p.doc_id != "alpha.txt" for p in found)  # passages come back, none of the deleted file
    assert answerer.search("repainted blue beta bridge")[0].doc_id == "beta.txt"


def test_an_indexer_that_runs_again_reads_only_the_files_that_changed(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live corpus runs one indexer at every change: unchanged files (same size and time) are not read again,
    and a change that keeps the size is still seen (its time moved)."""
    import index.ingest.indexer as indexer_module

    read: list[str] = []
    real_read = indexer_module.read_file
    monkeypatch.setattr(
        indexer_module, "read_file", lambda path, limit: read.append(path.name) or real_read(path, limit)
    )
    write(corpus, alpha=ALPHA, beta=BETA)
    indexer = build(settings, embedder=fake_embedder).indexer()
    indexer.run(corpus)
    assert sorted(read) == ["alpha.txt", "beta.txt"]

    read.clear()
    beta = corpus / "beta.txt"
    before = beta.stat().st_mtime_ns
    beta.write_text(BETA.replace("green", "azure"), encoding="utf-8")  # same size
    os.utime(beta, ns=(before + 10**9, before + 10**9))
    report = indexer.run(corpus)
    assert read == ["beta.txt"] and report.updated == ("beta.txt",) and report.unchanged == 1


@pytest.mark.parametrize("burst", [0, 40])  # a few paths named, or a burst of them (other files that went)
def test_a_run_told_which_paths_changed_looks_at_those_and_the_links_only(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch, burst: int
) -> None:
    """A watcher or an upload names what changed: the run looks at those paths (a folder with what it holds)
    and at the corpus's links, whose targets may have changed under them; every other document stays as it
    was, even one changed meanwhile, until a run that looks at everything."""
    import index.ingest.loaders as loaders_module

    write(corpus, alpha=ALPHA, beta=BETA)
    (corpus / "notes").mkdir()
    (corpus / "notes" / "gamma.txt").write_text(GAMMA, encoding="utf-8")
    (corpus / "beta-link.txt").symlink_to(corpus / "beta.txt")
    build(settings, embedder=fake_embedder).indexer().run(corpus)
    write(corpus, delta="Delta wings fold back on the delta glider.")
    indexer = build(settings, embedder=fake_embedder).indexer()  # the next process: it never scanned the folder
    assert indexer.run(corpus, only=["nothing.txt"]).added == ("delta.txt",)  # so it scans it whole

    listed: list[Path] = []
    real_scandir = os.scandir
    monkeypatch.setattr(loaders_module.os, "scandir", lambda path: listed.append(Path(path)) or real_scandir(path))
    write(corpus, alpha=ALPHA + " It closed in May.", beta=BETA + " Then it was painted blue.")
    (corpus / "notes" / "gamma.txt").unlink()
    (corpus / "notes" / "epsilon.txt").write_text("Epsilon sails cross the epsilon bay.", encoding="utf-8")
    report = indexer.run(corpus, only=["beta.txt", "notes", *(f"gone-{n}.txt" for n in range(burst))])
    assert report.updated == ("beta-link.txt", "beta.txt")  # alpha changed too, but was not named
    assert report.added == ("notes/epsilon.txt",) and report.removed == ("notes/gamma.txt",)
    assert report.unchanged == 2 and report.documents == 5  # alpha (as it was) and delta
    assert listed == [corpus / "notes"]  # the named folder alone was listed

    report = indexer.run(corpus)
    assert report.updated == ("alpha.txt",) and not report.added and not report.removed


def test_the_next_process_reads_only_the_files_that_changed_and_a_rebuild_reads_all(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What one process hashed is kept on disk for the next (`corpusbot index`, a bot's start), except a file
    changed within the last seconds: a second change within the same clock tick would keep its time."""
    import index.ingest.indexer as indexer_module

    read: list[str] = []
    real_read = indexer_module.read_file
    monkeypatch.setattr(
        indexer_module, "read_file", lambda path, limit: read.append(path.name) or real_read(path, limit)
    )
    write(corpus, alpha=ALPHA, beta=BETA)
    past = time.time_ns() - 60 * 10**9
    for path in corpus.iterdir():
        os.utime(path, ns=(past, past))
    build(settings, embedder=fake_embedder).indexer().run(corpus)
    assert sorted(read) == ["alpha.txt", "beta.txt"]

    read.clear()
    report = build(settings, embedder=fake_embedder).indexer().run(corpus)  # another process
    assert read == [] and report.unchanged == 2 and not report.changed

    beta = corpus / "beta.txt"
    beta.write_text(BETA.replace("green", "azure"), encoding="utf-8")  # same size, a later (settled) time
    os.utime(beta, ns=(past + 10**9, past + 10**9))
    write(corpus, gamma=GAMMA)  # just written: read again by each process until it settles
    report = build(settings, embedder=fake_embedder).indexer().run(corpus)
    assert (
        sorted(read) == ["beta.txt", "gamma.txt"] and report.updated == ("beta.txt",) and report.added == ("gamma.txt",)
    )
    read.clear()
    build(settings, embedder=fake_embedder).indexer().run(corpus)
    assert read == ["gamma.txt"]

    read.clear()
    report = build(settings, embedder=fake_embedder).indexer().run(corpus, rebuild=True)
    assert sorted(read) == ["alpha.txt", "beta.txt", "gamma.txt"] and report.embedded_chunks == report.chunks


def test_model_mismatch_is_refused_with_a_clear_message(settings: Settings, corpus: Path) -> None:
    write(corpus, alpha=ALPHA)
    build(settings, embedder=HashingEmbedder(64, "model-a")).indexer().run(corpus)
    other = build(settings, embedder=HashingEmbedder(32, "model-b"))
    with pytest.raises(ModelMismatchError, match=r"model-a.*model-b"):
        other.indexer().run(corpus)
    with pytest.raises(ModelMismatchError) as info:
        other.answerer().ask("alpha")
    assert "EMBEDDING_MODEL=model-a" in explain(info.value) and "--rebuild" in explain(info.value)
    report = other.indexer().run(corpus, rebuild=True)
    assert report.embedded_chunks == report.chunks
    assert other.answerer().search("alpha reactor")[0].doc_id == "alpha.txt"


def test_failed_reindex_leaves_previous_index_answering(settings: Settings, corpus: Path) -> None:
    write(corpus, alpha=ALPHA, beta=BETA)
    embedder = HashingEmbedder()
    components = build(settings, embedder=embedder)
    components.indexer().run(corpus)
    before = [p.chunk_id for p in components.answerer().search("beta bridge painted")]
    assert before

    write(corpus, beta="Beta is now about volcanoes. Lava flows.", gamma=GAMMA * 30)
    # Small store batches, so some new chunks are already stored when embedding dies mid-run.
    indexer = Indexer(embedder, components.store, settings.chunk_size, settings.chunk_overlap, 10**7, store_batch=2)
    embedder.fail_after = embedder.embedded + 4  # the model check, then two batches of chunks
    with pytest.raises(RuntimeError):
        indexer.run(corpus)
    assert components.store.count() > 2  # orphans of the failed run are in the store...

    fresh = build(settings, embedder=HashingEmbedder()).answerer()  # a new process: nothing cached
    assert [p.chunk_id for p in fresh.search("beta bridge painted")] == before
    # ...but never served: the manifest still names the old versions.
    served = fresh.retriever.search("volcanoes lava", 10, threshold=False)
    assert served and all("volcano" not in p.text for p in served)

    embedder.fail_after = None
    report = indexer.run(corpus)
    assert report.updated == ("beta.txt",) and report.added == ("gamma.txt",)
    assert components.store.count() == report.chunks  # orphans cleaned up
    answerer = build(settings, embedder=HashingEmbedder()).answerer()
    assert answerer.search("volcanoes lava")[0].doc_id == "beta.txt"


def test_a_second_index_built_with_the_same_model_embeds_only_its_own_chunks(corpus: Path) -> None:
    """The model's language means and the reference questions are embedded once per loaded model, not once
    per index (a process that builds several: a bot's live corpus, the benchmarks)."""
    write(corpus, alpha=ALPHA, beta=BETA)
    embedder, costs = HashingEmbedder(), []
    for _ in range(2):
        before = embedder.embedded
        report = Indexer(embedder, MemoryStore(), 700, 150, 10**7).run(corpus)
        costs.append(embedder.embedded - before)
    assert costs == [report.chunks + MEASURED_TEXTS + len(REFERENCE_QUESTIONS), report.chunks]


def test_an_interrupted_index_run_resumes_without_embedding_again(settings: Settings, corpus: Path) -> None:
    write(corpus, alpha=ALPHA * 20, beta=BETA * 20, gamma=GAMMA * 20)
    embedder = HashingEmbedder()
    components = build(settings, embedder=embedder)
    indexer = Indexer(embedder, components.store, settings.chunk_size, settings.chunk_overlap, 10**7, store_batch=3)
    # Dies in the middle of the third batch: two batches (6 chunks) are stored (after the language means and
    # the reference questions).
    embedder.fail_after = MEASURED_TEXTS + len(REFERENCE_QUESTIONS) + 7
    with pytest.raises(RuntimeError):
        indexer.run(corpus)
    with pytest.raises(IndexNotBuiltError):  # nothing is served before a run completes
        build(settings, embedder=HashingEmbedder()).answerer().ask("alpha reactor")

    embedder.fail_after = None
    embedder.calls.clear()
    report = indexer.run(corpus)
    assert report.reused_chunks == 6 and report.embedded_chunks == report.chunks - 6
    # One stored chunk is embedded again to check the model (the reference questions were, by the first run).
    assert embedder.embedded == report.chunks - 6 + 1
    assert "6 kept from an interrupted run" in report_text(report)
    assert components.store.count() == report.chunks
    answerer = build(settings, embedder=HashingEmbedder()).answerer()
    assert answerer.search("alpha reactor design")[0].doc_id == "alpha.txt"
    assert answerer.search("gamma bursts telescopes")[0].doc_id == "gamma.txt"


def test_chunks_left_by_another_model_are_embedded_again(settings: Settings, corpus: Path) -> None:
    write(corpus, alpha=ALPHA * 20, beta=BETA * 20)
    store = build(settings, embedder=HashingEmbedder()).store
    dying = HashingEmbedder(64, "model-a")
    dying.fail_after = MEASURED_TEXTS + len(REFERENCE_QUESTIONS) + 4
    with pytest.raises(RuntimeError):
        Indexer(dying, store, settings.chunk_size, settings.chunk_overlap, 10**7, store_batch=2).run(corpus)
    assert store.count() == 4

    other = HashingEmbedder(64, "model-b", salt="b")  # same size, other vectors: only re-embedding tells
    report = Indexer(other, store, settings.chunk_size, settings.chunk_overlap, 10**7).run(corpus)
    assert report.reused_chunks == 0 and report.embedded_chunks == report.chunks
    manifest = store.read_manifest()
    centring = Centring.from_json(manifest.centring)
    assert centring is not None
    for chunk in store.iter_chunks():
        info = manifest.docs[chunk.doc_id]
        mine = centring.passage_vectors(other.embed([with_title(info.title, chunk.text)]), [info.lang])[0]
        assert float(store.vectors([chunk.chunk_id])[0] @ mine) > 0.999


def test_an_index_from_before_per_document_backgrounds_gets_them_without_embedding_again(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    components = _indexed_alpha_and_beta(settings, corpus, fake_embedder)
    manifest = components.store.read_manifest()
    assert manifest is not None and all(info.background is not None for info in manifest.docs.values())
    older = replace(manifest, docs={k: replace(v, background=None) for k, v in manifest.docs.items()})
    components.store.write_manifest(older)

    report = components.indexer().run(corpus)
    assert report.embedded_chunks == 0 and not report.changed
    upgraded = components.store.read_manifest()
    assert upgraded is not None and upgraded.docs.keys() == manifest.docs.keys()
    for doc_id, info in manifest.docs.items():  # read back from the store: the same up to float rounding
        again = upgraded.docs[doc_id]
        assert again.background == pytest.approx(info.background, rel=1e-4, abs=1e-6)
        assert again.backgrounds == pytest.approx(info.backgrounds, rel=1e-4, abs=1e-6)
        assert replace(again, background=None, backgrounds={}) == replace(info, background=None, backgrounds={})


def test_unreadable_file_keeps_its_previous_version(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    write(corpus, alpha=ALPHA)
    components = build(settings, embedder=fake_embedder)
    components.indexer().run(corpus)
    (corpus / "alpha.txt").write_bytes(b"\xff\xfe broken \x00 bytes")
    report = components.indexer().run(corpus)
    assert [s.path for s in report.skipped] == ["alpha.txt"]
    assert report.removed == () and report.documents == 1
    assert components.answerer().search("alpha reactor")[0].doc_id == "alpha.txt"


def test_asking_before_indexing_says_so(settings: Settings, fake_embedder: HashingEmbedder) -> None:
    with pytest.raises(IndexNotBuiltError, match="not been indexed"):
        build(settings, embedder=fake_embedder).answerer().ask("anything")


def test_the_index_searches_deep_enough_and_older_indexes_are_brought_up_to_it(
    settings: Settings, corpus: Path
) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from index.tuning import SEARCH_EF

    write(corpus, alpha=ALPHA)
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    components.store.close()

    def ef_search() -> int:
        client = chromadb.PersistentClient(str(settings.chroma_path), ChromaSettings(anonymized_telemetry=False))
        return int(client.get_collection(settings.collection).configuration_json["hnsw"]["ef_search"])

    assert ef_search() == SEARCH_EF
    client = chromadb.PersistentClient(str(settings.chroma_path), ChromaSettings(anonymized_telemetry=False))
    client.get_collection(settings.collection).modify(configuration={"hnsw": {"ef_search": 100}})  # as before
    assert ef_search() == 100
    again = build(settings, embedder=HashingEmbedder())
    assert again.indexer().run(corpus).embedded_chunks == 0  # nothing to re-embed...
    assert ef_search() == SEARCH_EF  # ...but the search depth is brought up to date


def test_a_renamed_file_is_answered_under_its_new_name(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    components = _indexed_alpha_and_beta(settings, corpus, fake_embedder)
    (corpus / "alpha.txt").rename(corpus / "reactor.txt")
    report = components.indexer().run(corpus)
    assert report.added == ("reactor.txt",) and report.removed == ("alpha.txt",)
    assert components.store.count() == report.chunks  # the old name's passages are gone
    answerer = components.answerer()
    answer = answerer.ask("When did the alpha reactor open?")
    assert answer.answered and answer.citations[0].doc_id == "reactor.txt"
    assert "alpha.txt" not in {c.doc_id for c in answer.citations}
    assert sorted(d.doc_id for d in answerer.stats().docs) == ["beta.txt", "reactor.txt"]


def test_deleting_one_of_two_identical_files_keeps_the_other(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    for folder in ("a", "b"):
        (corpus / folder).mkdir()
        (corpus / folder / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    write(corpus, beta=BETA)
    components = build(settings, embedder=fake_embedder)
    components.indexer().run(corpus)
    (corpus / "a" / "alpha.txt").unlink()
    report = components.indexer().run(corpus)
    assert report.removed == ("a/alpha.txt",) and components.store.count() == report.chunks
    answer = components.answerer().ask("When did the alpha reactor open?")
    assert answer.answered and answer.citations[0].doc_id == "b/alpha.txt"
    assert "a/alpha.txt" not in {c.doc_id for c in answer.citations}


def test_an_index_holding_orphan_passages_loads_and_is_repaired(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    """The state an older corpusbot left after a rename: passages whose document left the manifest."""
    write(corpus, alpha=ALPHA, beta=BETA)
    components = build(settings, embedder=fake_embedder)
    first = components.indexer().run(corpus)
    manifest = components.store.read_manifest()
    assert manifest is not None
    alpha = manifest.docs["alpha.txt"]
    orphan = {"doc_id": "gone.txt", "version": alpha.version, "start": 0, "end": 10, "paragraph": 0}
    components.store.upsert(["gone.txt#x#0"], fake_embedder.embed([ALPHA]), [ALPHA], [orphan])

    answer = components.answerer().ask("When did the alpha reactor open?")  # no KeyError on the orphan
    assert answer.answered and "gone.txt" not in {c.doc_id for c in answer.citations}
    report = components.indexer().run(corpus)
    assert report.unchanged == 2 and report.orphans_removed == 1
    assert "repaired: 1" in report_text(report) and components.store.count() == first.chunks


def test_the_chroma_store_reads_the_chunks_of_some_documents(settings: Settings, corpus: Path) -> None:
    """What a live update reads: the chunks of the documents that changed, not the whole index."""
    texts = {
        "alpha.txt": "The alpha reactor was inspected in March.",
        "beta.txt": "The beta bridge was painted blue in May.",
        "gamma.txt": "The gamma tunnel was dug in June.",
    }
    write_corpus(corpus, texts)
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    some = components.store.chunks_of(["beta.txt", "gamma.txt", "missing.txt"])
    assert sorted(c.doc_id for c in some) == ["beta.txt", "gamma.txt"]
    assert {c.text for c in some} == {c.text for c in components.store.iter_chunks() if c.doc_id != "alpha.txt"}
    assert components.store.chunks_of([]) == []


def test_the_manifest_read_back_is_the_one_written_and_a_reader_cannot_change_the_next_read(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    components = _indexed_alpha_and_beta(settings, corpus, fake_embedder)
    store = components.store
    first = store.read_manifest()
    assert first is not None and set(first.docs) == {"alpha.txt", "beta.txt"}
    first.docs.pop("alpha.txt")  # a caller's own dict: the next reader still sees every document
    again = store.read_manifest()
    assert again is not None and set(again.docs) == {"alpha.txt", "beta.txt"}
    store.write_manifest(again)
    assert store.read_manifest() == again


class _BindLimitedStore(MemoryStore):
    """A store that, like Chroma's SQLite (32,766 values a statement), refuses a filter listing over `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def delete_where(self, where: dict[str, Any]) -> None:
        listed = [v for condition in where.values() if isinstance(condition, dict) for v in condition.values()]
        if any(isinstance(values, list) and len(values) > self.limit for values in listed):
            raise RuntimeError("too many SQL variables")
        super().delete_where(where)


def test_an_index_of_more_documents_than_a_filter_may_list_updates(corpus: Path) -> None:
    """An update names the versions that went, not every one that stays: past 32,766 documents Chroma refused
    the filter and no update of the index could finish."""
    write_corpus(
        corpus, {f"report-{n:02d}.txt": f"Report {n}: reactor {n} was inspected in week {n}." for n in range(30)}
    )
    store, embedder = _BindLimitedStore(limit=10), HashingEmbedder()
    indexer = Indexer(embedder, store, 700, 150, 1_000_000)
    indexer.run(corpus)
    (corpus / "report-03.txt").unlink()
    (corpus / "report-07.txt").write_text("Report 7: reactor 7 was closed in week 12.", encoding="utf-8")
    report = indexer.run(corpus)
    assert (report.removed, report.updated) == (("report-03.txt",), ("report-07.txt",))
    manifest = store.read_manifest()
    assert manifest is not None
    assert sorted(c.chunk_id for c in store.iter_chunks()) == sorted(
        f"{doc_id}#{info.version}#{i}" for doc_id, info in manifest.docs.items() for i in range(info.chunks)
    )


def test_the_chroma_store_deletes_by_a_list_longer_than_sqlite_binds(settings: Settings, corpus: Path) -> None:
    write_corpus(corpus, {"alpha.txt": ALPHA, "beta.txt": BETA})
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    beta = next(c.version for c in components.store.iter_chunks() if c.doc_id == "beta.txt")
    components.store.delete_where({"version": {"$in": [f"v{n}" for n in range(40_000)] + [beta]}})
    assert {c.doc_id for c in components.store.iter_chunks()} == {"alpha.txt"}


def test_threads_asking_the_chroma_store_first_share_one_client(
    settings: Settings, corpus: Path, fake_embedder: HashingEmbedder
) -> None:
    """A first load counts the store's chunks in one thread while it reads the manifest in another: one
    embedded client must come of it (two made at once break Chroma's shared system cache)."""
    import threading

    from index.store.chroma import ChromaStore

    _indexed_alpha_and_beta(settings, corpus, fake_embedder).store.close()
    store = ChromaStore.from_settings(settings)
    made: list[int] = []
    connect = store._client_factory

    def slow_connect() -> Any:
        made.append(1)
        time.sleep(0.3)  # both threads are asking meanwhile
        return connect()

    store._client_factory = slow_connect
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(store.count())) for _ in range(2)]
    for thread in threads:
        thread.start()
    manifest = store.read_manifest()
    for thread in threads:
        thread.join()
    store.close()
    assert made == [1] and counts == [store_chunks := sum(i.chunks for i in manifest.docs.values()), store_chunks]  # type: ignore[union-attr]
