"""A live corpus: uploads under safe names, removals, and the folder watcher, while answering."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from index.answer.answerer import QuestionAnswerer
from index.errors import IndexNotBuiltError
from index.live import LiveCorpus, safe_name
from index.models import IndexReport
from tests.fakes import minimal_pdf


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.MD", "evil.md"),
        ("/abs/Rapport Été 2023.PDF", "rapport-ete-2023.pdf"),
        ("....txt", "txt"),  # no suffix left: refused by `add`
        ("---.txt", "document.txt"),
        (".hidden.txt", "hidden.txt"),
    ],
)
def test_uploaded_names_never_leave_the_corpus(given: str, stored: str) -> None:
    assert safe_name(given) == stored


def test_an_upload_is_answerable_at_once(live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path) -> None:
    corpus_live, answerer = live_corpus
    added = corpus_live.add("../Bridge note.md", b"# Beta bridge\n\nThe beta bridge was painted blue in May.")
    assert added.document is not None and added.document.title == "Beta bridge" and added.document.chunks >= 1
    assert (corpus / "bridge-note.md").is_file() and not (corpus.parent / "Bridge note.md").exists()
    assert answerer.ask("When was the beta bridge painted?").citations[0].doc_id == "bridge-note.md"
    again = corpus_live.add("bridge note.md", b"Another text about the gamma tunnel, dug in June.")
    assert again.document is not None and again.document.doc_id == "bridge-note-2.md"  # nothing overwritten


def test_a_bad_upload_changes_nothing(live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path) -> None:
    corpus_live, answerer = live_corpus
    before = sorted(p.name for p in corpus.iterdir())
    assert "can be added" in corpus_live.add("tool.exe", b"MZ...").problem
    assert "larger than" in corpus_live.add("big.txt", b"x" * 1_000_001).problem
    broken = corpus_live.add("scan.pdf", minimal_pdf(["x"])[:200])
    assert broken.document is None and broken.problem
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert answerer.ask("When was the alpha reactor inspected?").answered


def test_removing_a_document(live_corpus: tuple[LiveCorpus, QuestionAnswerer]) -> None:
    corpus_live, answerer = live_corpus
    assert corpus_live.remove("../outside.txt") is None and corpus_live.remove("missing.txt") is None
    corpus_live.add("bridge.txt", b"The beta bridge was painted blue in May.")
    assert corpus_live.remove("alpha.txt")
    assert "alpha.txt" not in answerer.retriever.manifest.docs
    assert corpus_live.remove("bridge.txt")
    with pytest.raises(IndexNotBuiltError):  # nothing left: said plainly, not answered from a stale snapshot
        answerer.ask("When was the beta bridge painted?")


def test_the_watcher_indexes_files_dropped_into_the_folder(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    reports: list[IndexReport] = []
    changed = threading.Event()
    stop = corpus_live.start_watching(lambda report: (reports.append(report), changed.set()))
    try:
        assert corpus_live.watching.wait(10)  # the watcher starts in its thread
        (corpus / "tunnel.txt").write_text("The gamma tunnel was dug in June by the Okafor crew.", encoding="utf-8")
        assert changed.wait(20), "the watcher never re-indexed"
        assert any("tunnel.txt" in r.added for r in reports)
        assert answerer.ask("Who dug the gamma tunnel?").citations[0].doc_id == "tunnel.txt"
        changed.clear()
        (corpus / "tunnel.txt").unlink()
        assert changed.wait(20)
        assert "tunnel.txt" not in answerer.retriever.manifest.docs
    finally:
        stop.set()


def test_the_watcher_sees_folders_moved_in_and_out_and_files_renamed(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path, tmp_path: Path
) -> None:
    """The watcher names the paths that changed and only those are looked at: a folder moved in whole is
    one event for the folder, yet every file in it is indexed; moved out, they all go; a renamed file is
    answered under its new name."""
    corpus_live, answerer = live_corpus
    outside = tmp_path / "outside" / "reports"
    (outside / "2023").mkdir(parents=True)
    (outside / "2023" / "tunnel.txt").write_text("The gamma tunnel was dug in June by the Okafor crew.", "utf-8")
    (outside / "dam.txt").write_text("The delta dam opened in May, built by Halvorsen.", encoding="utf-8")

    def settled(docs: set[str]) -> bool:
        deadline = time.monotonic() + 20
        while set(answerer.retriever.manifest.docs) != docs and time.monotonic() < deadline:
            time.sleep(0.1)
        return set(answerer.retriever.manifest.docs) == docs

    stop = corpus_live.start_watching()
    try:
        assert corpus_live.watching.wait(10)
        (outside).rename(corpus / "reports")
        assert settled({"alpha.txt", "reports/2023/tunnel.txt", "reports/dam.txt"})
        assert answerer.ask("Who dug the gamma tunnel?").citations[0].doc_id == "reports/2023/tunnel.txt"
        (corpus / "reports" / "dam.txt").rename(corpus / "reports" / "delta-dam.txt")
        assert settled({"alpha.txt", "reports/2023/tunnel.txt", "reports/delta-dam.txt"})
        assert answerer.ask("Who built the delta dam?").citations[0].doc_id == "reports/delta-dam.txt"
        (corpus / "reports").rename(tmp_path / "outside" / "reports")
        assert settled({"alpha.txt"})
    finally:
        stop.set()


def test_a_corpus_folder_deleted_and_made_again_is_watched_again(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    stop = corpus_live.start_watching()
    try:
        assert corpus_live.watching.wait(10)  # the watcher starts in its thread
        shutil.rmtree(corpus)
        deadline = time.monotonic() + 20
        while corpus_live.watching.is_set() and time.monotonic() < deadline:  # it sees the folder go
            time.sleep(0.05)
        assert not corpus_live.watching.is_set()
        assert answerer.ask("When was the alpha reactor inspected?").answered  # the index answers as it was
        corpus.mkdir()
        (corpus / "tunnel.txt").write_text("The gamma tunnel was dug in June by the Okafor crew.", encoding="utf-8")
        while "tunnel.txt" not in answerer.retriever.manifest.docs and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(answerer.retriever.manifest.docs) == {"tunnel.txt"}
        (corpus / "bridge.txt").write_text("The beta bridge was painted blue in May.", encoding="utf-8")
        while "bridge.txt" not in answerer.retriever.manifest.docs and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "bridge.txt" in answerer.retriever.manifest.docs  # and watched again
    finally:
        stop.set()


def test_catching_up_indexes_what_landed_while_no_one_watched(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    (corpus / "late.txt").write_text("The delta dam opened in May, built by Halvorsen.", encoding="utf-8")
    corpus_live.catch_up()
    assert answerer.ask("Who built the delta dam?").citations[0].doc_id == "late.txt"


def test_forgetting_a_link_removes_the_link_not_the_file_it_points_to(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    (corpus / "notes").mkdir()
    (corpus / "notes" / "bridge.txt").write_text("The beta bridge was painted blue in May.", encoding="utf-8")
    (corpus / "bridge-link.txt").symlink_to(corpus / "notes" / "bridge.txt")
    corpus_live.refresh()
    removed = corpus_live.remove("bridge-link.txt")
    assert removed is not None and removed.doc_id == "bridge-link.txt"
    assert not (corpus / "bridge-link.txt").is_symlink() and (corpus / "notes" / "bridge.txt").is_file()
    assert set(answerer.retriever.manifest.docs) == {"alpha.txt", "notes/bridge.txt"}


def test_forget_removes_indexed_documents_only(live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path) -> None:
    corpus_live, _ = live_corpus
    (corpus / ".hidden-notes").write_text("private", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "config").write_text("[core]", encoding="utf-8")
    for name in (".hidden-notes", ".git/config", "x" * 3000, "../" * 50 + "etc/hostname", "/etc/hostname", ""):
        assert corpus_live.remove(name) is None
    assert (corpus / ".hidden-notes").exists() and (corpus / ".git" / "config").exists()
    removed = corpus_live.remove("  Alpha  ")  # its title, as /docs lists it
    assert removed is not None and removed.doc_id == "alpha.txt" and not (corpus / "alpha.txt").exists()
