"""A loaded index generation kept in the cache folder (index/search/snapshots.py): a process starting on an
index loaded before reads no chunk from the store, answers as a load from the store would, and never uses
a snapshot of another generation or a damaged one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.answer.answerer import build
from index.disk_cache import cache_folder
from index.search import snapshots
from index.settings import Settings
from tests.fakes import HashingEmbedder, write_corpus

QUESTIONS = [
    "When was the alpha reactor inspected?",
    "Who painted the beta bridge?",
    "Quand le tunnel a-t-il été creusé ?",
]


def _answers(settings: Settings) -> tuple[list[tuple[tuple[str, int, float], ...]], int]:
    """Each question's cited chunks, and how many times the store was read whole, in a new process's place."""
    components = build(settings, embedder=HashingEmbedder())
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
