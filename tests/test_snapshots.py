"""A loaded index generation kept in the cache folder (index/search/snapshots.py): a process starting on an
index loaded before reads no chunk from the store, answers as a load from the store would, and never uses
a snapshot of another generation or a damaged one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.answer.answerer import build
from index.disk_cache import cache_folder
from index.search import snapshots
from index.settings import Settings
from index.store.chroma import ChromaStore
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder, write_corpus

QUESTIONS = [
    "When was the alpha reactor inspected?",
    "Who painted the beta bridge?",
    "Quand le tunnel a-t-il été creusé ?",
]


def _answers(settings: Settings, address: str = "") -> tuple[list[tuple[tuple[str, int, float], ...]], int]:
    """Each question's cited chunks, and how many times the store was read whole, in a new process's place
    (which opens the store by another `address`, when given)."""
    store = ChromaStore.from_settings(settings)
    store.description = address or store.description
    components = build(settings, embedder=HashingEmbedder(), store=store)
    reads: list[int] = []
    iter_chunks = components.store.iter_chunks

    def counting(page_size: int = 5000):  # type: ignore[no-untyped-def]
        reads.append(1)
        return iter_chunks(page_size)

    components.store.iter_chunks = counting  # type: ignore[method-assign]
    answerer = components.answerer()
    cited = [tuple((c.doc_id, c.start, round(c.score, 6)) for c in answerer.ask(q).citations) for q in QUESTIONS]
    components.store.close()
    snapshots.flush()  # as the process would at exit
    return cited, len(reads)


def test_a_new_process_answers_from_the_kept_snapshot_as_from_the_store(settings: Settings, corpus: Path) -> None:
    texts = {
        "alpha.txt": "The alpha reactor was inspected in March by the Okafor crew.",
        "beta.txt": "The beta bridge was painted blue in May by Halvorsen.",
        "tunnel.txt": "Le tunnel gamma a été creusé en juin.",
    }
    write_corpus(corpus, texts)
    indexing = build(settings, embedder=HashingEmbedder())
    indexing.indexer().run(corpus)
    indexing.store.close()
    from_store, reads = _answers(settings)
    assert reads == 1 and all(from_store)
    kept, reads = _answers(settings)
    assert reads == 0 and kept == from_store  # nothing read from the store, the same answers

    # Another generation: its own load from the store, which cites the new document.
    (corpus / "delta.txt").write_text("The delta dam was opened in April by the Ostrander company.", encoding="utf-8")
    indexing = build(settings, embedder=HashingEmbedder())
    indexing.indexer().run(corpus)
    indexing.store.close()
    components = build(settings, embedder=HashingEmbedder())
    assert components.answerer().ask("Who opened the delta dam?").citations[0].doc_id == "delta.txt"
    components.store.close()
    snapshots.flush()
    current, reads = _answers(settings)
    assert reads == 0 and current != from_store  # kept at its first load, just above

    # One copy per store: the older generation's went when this one was kept.
    folder = cache_folder()
    assert folder is not None
    assert len([kept for kept in (folder / "snapshots").iterdir() if kept.is_dir()]) == 1

    # A damaged snapshot: read from the store again, same answers; then kept again.
    for damage in (_garbage, _shortened):
        for kept in (folder / "snapshots").iterdir():
            damage(kept)
        again, reads = _answers(settings)
        assert reads == 1 and again == current
        _, reads = _answers(settings)
        assert reads == 0


def test_the_same_index_at_another_address_reads_the_copy_kept_for_the_first(settings: Settings, corpus: Path) -> None:
    """An index folder first opened embedded, then served by `chroma run` (another address, the same content):
    no second load from the store (at a million chunks, five minutes)."""
    write_corpus(corpus, {"alpha.txt": "The alpha reactor was inspected in March by the Okafor crew."})
    indexing = build(settings, embedder=HashingEmbedder())
    indexing.indexer().run(corpus)
    indexing.store.close()
    embedded, reads = _answers(settings)
    assert reads == 1 and embedded[0]
    served, reads = _answers(settings, address="chroma server at http://127.0.0.1:8000")
    assert reads == 0 and served == embedded


def _garbage(kept: Path) -> None:
    (kept / "text.npy").write_bytes(b"not a snapshot")


def _shortened(kept: Path) -> None:
    """Arrays that each read well but do not fit together (a copy written by two processes, say)."""
    np.save(kept / "doc.npy", np.load(kept / "doc.npy")[:-1])


def test_a_live_update_is_kept_for_the_next_process(settings: Settings, corpus: Path) -> None:
    """After a live update (only the changed document read), a process starting on the new generation reads
    nothing from the store, and answers as one that loaded it from the store."""
    write_corpus(
        corpus, {f"plant-{n}.txt": f"Reactor {n} of the alpha plant was inspected in week {n}." for n in range(6)}
    )
    indexing = build(settings, embedder=HashingEmbedder())
    indexing.indexer().run(corpus)
    live = indexing.answerer()
    live.ask("When was reactor 2 inspected?")  # loaded from the store, and kept
    (corpus / "bridge.txt").write_text("The beta bridge was painted blue in May by Halvorsen.", encoding="utf-8")
    (corpus / "plant-4.txt").unlink()
    indexing.indexer().run(corpus)
    live.retriever.reload()  # from the loaded generation: only bridge.txt is read
    expected = [tuple((c.doc_id, c.start, round(c.score, 6)) for c in live.ask(q).citations) for q in QUESTIONS]
    indexing.store.close()
    snapshots.flush()
    kept, reads = _answers(settings)
    assert reads == 0 and kept == expected
    assert any(doc_id == "bridge.txt" for cited in kept for doc_id, _, _ in cited)


def test_a_burst_of_live_updates_keeps_one_copy_once_it_settles(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each live change makes a generation; the copy for the next process is written once no newer change
    came for a while (or at exit), and only for the latest generation: a burst of posts writes one copy."""
    write_corpus(
        corpus, {f"plant-{n}.txt": f"Reactor {n} of the alpha plant was inspected in week {n}." for n in range(12)}
    )
    indexing = build(settings, embedder=HashingEmbedder())
    indexing.indexer().run(corpus)
    live = indexing.answerer()
    live.ask("When was reactor 2 inspected?")  # loaded from the store
    snapshots.flush()
    saved: list[str] = []
    real_save = snapshots.save
    monkeypatch.setattr(snapshots, "save", lambda key, *rest: saved.append(key) or real_save(key, *rest))
    keys = []
    for n in range(3):
        (corpus / f"post-{n}.txt").write_text(f"Post {n}: the beta bridge was painted in week {n}.", encoding="utf-8")
        indexing.indexer().run(corpus)
        live.retriever.reload()  # from the loaded generation (a live change)
        keys.append(live.retriever._snapshot_key(live.retriever.manifest))
        time.sleep(0.3)  # the writer is idle: without the wait it would write each generation now
    assert saved == []
    snapshots.flush()  # as at exit: what waits is written at once
    assert saved == keys[-1:]
    indexing.store.close()
    kept, reads = _answers(settings)
    assert reads == 0 and kept


LIVE_CHANGE_THEN_EXIT = """
import sys
from pathlib import Path
from index.answer.answerer import build
from index.settings import Settings
from tests.fakes import HashingEmbedder
corpus, index_dir = Path(sys.argv[1]), Path(sys.argv[2])
components = build(Settings(_env_file=None, corpus_dir=corpus, index_dir=index_dir), embedder=HashingEmbedder())
answerer = components.answerer()
answerer.ask("When was reactor 2 inspected?")
(corpus / "post.txt").write_text("The beta bridge was painted blue in May by Halvorsen.", encoding="utf-8")
components.indexer().run(corpus)
answerer.retriever.reload()  # a live change: its copy waits for the changes to settle
components.store.close()
"""


@pytest.mark.subprocess
def test_a_process_that_exits_after_a_live_change_keeps_its_copy_without_waiting(
    settings: Settings, corpus: Path
) -> None:
    write_corpus(
        corpus, {f"plant-{n}.txt": f"Reactor {n} of the alpha plant was inspected in week {n}." for n in range(12)}
    )
    indexing = build(settings, embedder=HashingEmbedder())
    indexing.indexer().run(corpus)
    indexing.store.close()
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", LIVE_CHANGE_THEN_EXIT, str(corpus), str(settings.index_dir)],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert time.monotonic() - started < snapshots.SETTLE_SECONDS  # the exit wrote the copy at once
    cited, reads = _answers(settings)
    assert reads == 0  # the live change's generation was kept
    assert any(doc_id == "post.txt" for c in cited for doc_id, _, _ in c)
