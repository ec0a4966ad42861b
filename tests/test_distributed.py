"""Chroma server mode for real: index into `chroma run`, answer from it, share it, survive its restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import fake_telegram as tg
from index.errors import StoreUnavailableError
from index.retrieval import RetrievalConfig, Retriever
from index.service import QuestionAnswerer, build
from index.settings import Settings
from tests.bot_harness import running_bot
from tests.chroma_server import ChromaServer
from tests.fakes import HashingEmbedder

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(ChromaServer.executable() is None, reason="chroma command not installed"),
]

DOCS = {
    "reactor.txt": "The alpha reactor opened in March. Engineers praised the alpha design.",
    "bridge.txt": "Beta bridges span the river. The beta bridge was painted green last year.",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    chroma = ChromaServer(tmp_path / "chroma-data")
    chroma.start()
    yield chroma
    chroma.stop()


@pytest.fixture
def server_settings(server: ChromaServer, settings: Settings, corpus: Path) -> Settings:
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return settings.model_copy(
        update={
            "chroma_host": "127.0.0.1",
            "chroma_port": server.port,
        }
    )


def test_index_into_a_chroma_server_and_answer_from_it(server_settings: Settings, tmp_path: Path) -> None:
    components = build(server_settings, embedder=HashingEmbedder())
    report = components.indexer().run(server_settings.corpus_dir)
    assert report.documents == 2 and report.embedded_chunks == report.chunks
    assert not (tmp_path / "index" / "chroma").exists(), "nothing written to the embedded store"
    # A second process (fresh objects, same server) answers from the same index.
    answer = build(server_settings, embedder=HashingEmbedder()).answerer().ask("alpha reactor design")
    assert answer.answered and answer.citations[0].doc_id == "reactor.txt"
    assert (
        "chroma server http://127.0.0.1" in build(server_settings, embedder=HashingEmbedder()).answerer().stats().store
    )


def test_a_running_bot_sees_a_reindex_done_by_another_process(server_settings: Settings, corpus: Path) -> None:
    build(server_settings, embedder=HashingEmbedder()).indexer().run(corpus)
    components = build(server_settings, embedder=HashingEmbedder())
    serving = QuestionAnswerer(Retriever(HashingEmbedder(), components.store, RetrievalConfig(refresh_seconds=0)))
    assert not serving.ask("What does the Hubble gamma telescope see?").answered  # Hubble: not in the corpus
    (corpus / "gamma.txt").write_text("Gamma rays come from space. The Hubble telescope in orbit saw gamma bursts.")
    build(server_settings, embedder=HashingEmbedder()).indexer().run(corpus)  # the "other process"
    answer = serving.ask("What does the Hubble gamma telescope see?")
    assert answer.answered and answer.citations[0].doc_id == "gamma.txt"


def test_store_outage_is_reported_and_recovered_from(server: ChromaServer, server_settings: Settings) -> None:
    build(server_settings, embedder=HashingEmbedder()).indexer().run(server_settings.corpus_dir)
    answerer = build(server_settings, embedder=HashingEmbedder()).answerer()
    assert answerer.ask("beta bridge painted").answered
    server.stop()
    with pytest.raises(StoreUnavailableError):
        answerer.ask("beta bridge painted")
    server.start()
    assert answerer.ask("beta bridge painted").citations[0].doc_id == "bridge.txt"


async def test_bot_says_temporarily_unavailable_then_recovers(server: ChromaServer, server_settings: Settings) -> None:
    build(server_settings, embedder=HashingEmbedder()).indexer().run(server_settings.corpus_dir)
    answerer = build(server_settings, embedder=HashingEmbedder()).answerer()
    async with running_bot(answerer) as bot:
        first = await bot.reply_to(tg.message("beta bridge painted", user_id=5), chat_id=5)
        assert "beta bridge" in first.params["text"]
        server.stop()
        down = await bot.reply_to(tg.message("beta bridge painted", user_id=5), chat_id=5)
        assert "temporarily unavailable" in down.params["text"]
        server.start()
        again = await bot.reply_to(tg.message("beta bridge painted", user_id=5), chat_id=5)
        assert "beta bridge" in again.params["text"]
