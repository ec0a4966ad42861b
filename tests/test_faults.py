"""Faults and bad input: broken corpus files, a vanishing file, and an unreliable Telegram API."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import index.ingest.indexer
from bot.render import error_text
from corpusbot.messages import explain
from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer, build
from index.errors import IndexDamagedError, LoaderError
from index.ingest.loaders import CorpusFile
from index.settings import Settings
from tests.bot_harness import running_bot
from tests.fakes import HashingEmbedder, minimal_pdf

GOOD = {
    "reactor.txt": "The alpha reactor opened in March. Engineers praised the alpha design.",
    "bridge.md": "---\ntitle: Bridges\n---\nBeta bridges span the river. The beta bridge was painted green.",
}


def test_every_bad_file_is_reported_and_the_rest_indexed(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (corpus / "invalid.txt").write_bytes(b"caf\xe9 cr\xe8me " * 20)
    with (corpus / "huge.txt").open("wb") as handle:  # 50 MB, over the 20 MB default limit
        handle.write(b"word " * 10_000_000)
    (corpus / "scanned.pdf").write_bytes(minimal_pdf([""]))
    (corpus / "vanishing.txt").write_text("This file is deleted between the scan and the read.")

    real_listing = index.ingest.indexer.iter_corpus_files

    def listing_then_delete(root: Path, only: Iterable[str] | None = None) -> Iterator[CorpusFile]:
        entries = list(real_listing(root, only))
        (root / "vanishing.txt").unlink()  # the race: listed, then gone before it is read
        return iter(entries)

    monkeypatch.setattr(index.ingest.indexer, "iter_corpus_files", listing_then_delete)
    report = build(settings, embedder=HashingEmbedder()).indexer().run(corpus)

    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons.keys() == {"empty.txt", "binary.txt", "invalid.txt", "huge.txt", "scanned.pdf", "vanishing.txt"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["invalid.txt"] and "too large (50.0 MB" in reasons["huge.txt"]
    assert "no text" in reasons["scanned.pdf"] and "disappeared" in reasons["vanishing.txt"]
    assert report.documents == 2 and set(report.added) == set(GOOD)
    answerer = build(settings, embedder=HashingEmbedder()).answerer()
    assert answerer.search("beta bridge painted")[0].doc_id == "bridge.md"


def test_symbolic_links_never_lead_outside_the_corpus(settings: Settings, corpus: Path, tmp_path: Path) -> None:
    secret = "TELEGRAM_BOT_TOKEN=123456:secret-token-from-dotenv"
    (tmp_path / ".env").write_text(secret, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text("Private outside notes about the alpha reactor.", encoding="utf-8")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "reactor.txt").write_text(GOOD["reactor.txt"], encoding="utf-8")
    (corpus / "notes.txt").symlink_to(tmp_path / ".env")
    (corpus / "relative.txt").symlink_to(Path("..") / ".env")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "dangling.txt").symlink_to(corpus / "missing.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "outside-folder").symlink_to(outside)
    (corpus / "inside.txt").symlink_to(corpus / "sub" / "reactor.txt")

    report = build(settings, embedder=HashingEmbedder()).indexer().run(corpus)

    reasons = {s.path: s.reason for s in report.skipped}
    assert "outside the corpus" in reasons["notes.txt"] and "outside the corpus" in reasons["relative.txt"]
    assert "outside the corpus" in reasons["passwd.txt"] and "outside the corpus" in reasons["outside-folder"]
    assert "broken link" in reasons["dangling.txt"] and "loop" in reasons["loop.txt"]
    assert set(report.added) == {"sub/reactor.txt", "inside.txt"}  # a link that stays inside is fine
    answerer = build(settings, embedder=HashingEmbedder()).answerer()
    for question in ("telegram bot token", "root:x:0:0 bin bash", "private outside notes"):
        for passage in answerer.search(question, 10):
            assert "secret-token" not in passage.text and "root:" not in passage.text
            assert "Private outside" not in passage.text


def test_a_folder_that_cannot_be_listed_keeps_its_documents_and_an_unreadable_corpus_changes_nothing(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions changed on a sub-folder (or on the corpus) for a while: reported, and nothing is removed.
    (Simulated: the tests run as root, whom permissions do not stop.)"""
    (corpus / "sub").mkdir()
    (corpus / "sub" / "reactor.txt").write_text(GOOD["reactor.txt"], encoding="utf-8")
    (corpus / "bridge.md").write_text(GOOD["bridge.md"], encoding="utf-8")
    indexer = build(settings, embedder=HashingEmbedder()).indexer()
    assert indexer.run(corpus).documents == 2
    real_scandir, denied = os.scandir, set()

    def scandir(path: str) -> object:
        if path in denied:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    denied.add(str(corpus / "sub"))
    report = indexer.run(corpus)
    assert [(s.path, s.reason) for s in report.skipped] == [("sub/", "folder cannot be read (Permission denied)")]
    assert report.removed == () and report.documents == 2
    denied.add(str(corpus))
    with pytest.raises(LoaderError, match="cannot be read"):
        indexer.run(corpus)
    answerer = build(settings, embedder=HashingEmbedder()).answerer()
    assert answerer.search("reactor")[0].doc_id == "sub/reactor.txt"


def test_a_file_swapped_for_a_link_after_the_scan_is_not_read(
    settings: Settings, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret.txt").write_text("secret-token-from-elsewhere", encoding="utf-8")
    (corpus / "notes.txt").write_text("Harmless notes.", encoding="utf-8")
    real_listing = index.ingest.indexer.iter_corpus_files

    def listing_then_swap(root: Path, only: Iterable[str] | None = None) -> Iterator[CorpusFile]:
        entries = list(real_listing(root, only))
        (root / "notes.txt").unlink()
        (root / "notes.txt").symlink_to(tmp_path / "secret.txt")  # the race: a file, then a link
        return iter(entries)

    monkeypatch.setattr(index.ingest.indexer, "iter_corpus_files", listing_then_swap)
    report = build(settings, embedder=HashingEmbedder()).indexer().run(corpus)
    assert report.documents == 0 and "symbolic link" in report.skipped[0].reason


def test_a_document_swapped_for_a_link_outside_the_corpus_is_answered_no_more(
    settings: Settings, corpus: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("secret-token-from-elsewhere", encoding="utf-8")
    (corpus / "notes.txt").write_text("The beta bridge was painted blue.", encoding="utf-8")
    (corpus / "other.txt").write_text("The alpha reactor was inspected in March.", encoding="utf-8")
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    (corpus / "notes.txt").unlink()
    (corpus / "notes.txt").symlink_to(tmp_path / "secret.txt")
    report = components.indexer().run(corpus)
    assert report.removed == ("notes.txt",) and "outside the corpus" in report.skipped[0].reason
    assert all(
        p.doc_id != "notes.txt" for p in components.answerer().retriever.search("beta bridge", 5, threshold=False)
    )


def test_a_damaged_index_says_so_and_rebuild_always_works(settings: Settings, corpus: Path) -> None:
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    components.store.close()
    (settings.chroma_path / "chroma.sqlite3").write_bytes(b"not a database " * 1000)

    damaged = build(settings, embedder=HashingEmbedder())
    with pytest.raises(IndexDamagedError) as info:
        damaged.answerer().ask("beta bridge painted")
    assert "damaged" in str(info.value) and "temporarily" not in str(info.value)
    assert "`corpusbot index --rebuild`" in explain(info.value)  # the terminal says how to mend it
    assert "administrator" in error_text(info.value) and "corpusbot" not in error_text(info.value)  # a chat can't
    report = damaged.indexer().run(corpus, rebuild=True)
    assert report.documents == 2 and report.embedded_chunks == report.chunks
    assert damaged.answerer().search("beta bridge painted")[0].doc_id == "bridge.md"


def test_a_garbled_manifest_is_reported_as_damage_and_rebuilt(settings: Settings, corpus: Path) -> None:
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    manifest = components.store.read_manifest()
    assert manifest is not None
    garbled = {**manifest.to_metadata(), "docs": "{not json"}
    components.store._call(lambda client: components.store._collection(client).modify(metadata=garbled))

    with pytest.raises(IndexDamagedError):
        build(settings, embedder=HashingEmbedder()).answerer().ask("beta bridge painted")
    assert components.indexer().run(corpus, rebuild=True).documents == 2
    assert build(settings, embedder=HashingEmbedder()).answerer().search("beta bridge painted")[0].doc_id == "bridge.md"


def test_rebuilds_leave_no_old_segments_behind(settings: Settings, corpus: Path) -> None:
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    folders = {p.name for p in settings.chroma_path.iterdir() if p.is_dir()}
    for _ in range(3):
        components.indexer().run(corpus, rebuild=True)
    after = {p.name for p in settings.chroma_path.iterdir() if p.is_dir()}
    assert len(after) == len(folders) == 1 and after != folders  # a new segment, the old ones gone
    assert components.answerer().search("beta bridge painted")[0].doc_id == "bridge.md"


@pytest.fixture
def small_answerer(settings: Settings, corpus: Path) -> QuestionAnswerer:
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    components = build(settings, embedder=HashingEmbedder())
    components.indexer().run(corpus)
    return components.answerer()


async def test_flaky_telegram_loses_nothing_and_answers_once(small_answerer: QuestionAnswerer) -> None:
    error_500 = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    flood = (
        429,
        {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 1}},
    )
    async with running_bot(small_answerer) as bot:
        bot.api.fail_next("getUpdates", error_500, "drop")
        bot.api.fail_next("sendMessage", error_500, "drop", flood, error_500)
        users = range(500, 506)
        pushed = [bot.push(tg.message("beta bridge painted", user_id=user)) for user in users]
        await bot.settled(*pushed, timeout=60)  # every retry the bot was going to make is made
        for user in users:
            delivered = [c for c in bot.api.sent(chat_id=user) if not c.params.get("_failed")]
            assert len(delivered) == 1, f"user {user} got {len(delivered)} answers"
            assert "beta bridge" in delivered[0].params["text"]
        assert len([c for c in bot.api.calls if c.params.get("_failed")]) == 6


async def test_timeouts_are_not_retried_into_duplicates(small_answerer: QuestionAnswerer) -> None:
    async with running_bot(small_answerer, telegram_timeout=0.5) as bot:
        bot.api.delay_next("sendMessage", 1.5)  # Telegram takes it, but answers after our timeout
        await bot.settled(bot.push(tg.message("beta bridge painted", user_id=601)))
        delivered = bot.api.sent(chat_id=601)
        assert len(delivered) == 1 and "beta bridge" in delivered[0].params["text"]
        # The bot keeps serving afterwards.
        reply = await bot.reply_to(tg.message("alpha reactor design", user_id=602), chat_id=602)
        assert "alpha reactor" in reply.params["text"]
