"""End to end: the real python-telegram-bot Application against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import log_handler
from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer, build
from index.embedding import Embedder
from index.settings import Settings
from tests.bot_harness import TOKEN, Running, buttons, running_bot
from tests.conftest import ROOT, SEED_CORPUS
from tests.telegram_html import telegram_html_errors

pytestmark = pytest.mark.model
SPECIAL_SENTENCE = "Escaping rules: a <b>tag</b> & an ampersand & the <script> element must stay plain text."


SHORTCUTS = ROOT / "shortcuts.toml"


@pytest.fixture(scope="module")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("bot-corpus")
    for path in SEED_CORPUS.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "markup-note.txt").write_text(
        f"title: Markup <manual> & co\nurl: https://example.org/a?b=1&c=<2>\n\n{SPECIAL_SENTENCE}", encoding="utf-8"
    )
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        corpus_dir=folder,
        index_dir=tmp_path_factory.mktemp("bot-index"),
    )


@pytest.fixture(scope="module")
def answerer(corpus_settings: Settings, default_embedder: Embedder) -> QuestionAnswerer:
    components = build(corpus_settings, embedder=default_embedder)
    components.indexer().run(corpus_settings.corpus_dir)
    return components.answerer()


@pytest.fixture
async def bot(corpus_settings: Settings, answerer: QuestionAnswerer) -> AsyncIterator[Running]:
    async with running_bot(answerer, shortcuts_file=SHORTCUTS) as running:
        yield running


async def test_private_question_gets_cited_answer(corpus_settings: Settings, answerer: QuestionAnswerer) -> None:
    async with running_bot(answerer, shortcuts_file=SHORTCUTS, telegram_typing_delay=0.0) as bot:
        reply = await bot.reply_to(tg.message("When does the deployment start?", user_id=11), chat_id=11)
        typing = bot.api.sent("sendChatAction", chat_id=11)
    text = reply.params["text"]
    assert reply.params["parse_mode"] == "HTML"
    assert text.startswith("<b>") and ("7 et 8 juillet" in text or "immédiatement" in text)
    assert "<blockquote>" in text and "[1] Belarus nuclear deployment — 2023-06 — ¶ 1" in text
    assert telegram_html_errors(text) == []
    assert [b.split(":")[0] for b in buttons(reply)] == ["more", "full"]
    assert typing and typing[0].params["action"] == "typing" and typing[0].at <= reply.at


async def test_out_of_corpus_question_says_nothing_found(bot: Running) -> None:
    reply = await bot.reply_to(tg.message("What is the capital of Australia?", user_id=12), chat_id=12)
    assert "Nothing relevant found" in reply.params["text"] and not buttons(reply)


async def test_group_silence_ask_mention_and_reply(bot: Running) -> None:
    group = -1001
    await bot.settled(bot.push(tg.message("we met in Sotchi last year", user_id=21, chat_id=group, kind="supergroup")))
    assert bot.api.sent(chat_id=group) == []

    ask = tg.message("/ask Where did Putin and Lukashenko meet?", user_id=21, chat_id=group, kind="supergroup")
    reply = await bot.reply_to(ask, chat_id=group)
    assert "Sotchi" in reply.params["text"]
    assert reply.params["reply_parameters"]["message_id"] == ask["message"]["message_id"]

    addressed = tg.message(f"/ask@{tg.BOT_USERNAME} combien de brigades ?", user_id=22, chat_id=group, kind="group")
    assert "12 brigades" in (await bot.reply_to(addressed, chat_id=group)).params["text"]

    other_bot = tg.message("/ask@SomeOtherBot combien de brigades ?", user_id=22, chat_id=group, kind="group")
    await bot.settled(bot.push(other_bot))
    assert len(bot.api.sent(chat_id=group)) == 2

    mention = tg.message(
        f"@{tg.BOT_USERNAME} how many brigades does Kyiv have?", user_id=23, chat_id=group, kind="group"
    )
    assert "12 brigades" in (await bot.reply_to(mention, chat_id=group)).params["text"]

    previous = tg.bot_message("earlier answer", chat_id=group, kind="group")
    follow_up = tg.message("who is Ben Barry?", user_id=24, chat_id=group, kind="group", reply_to=previous)
    assert "Ben Barry" in (await bot.reply_to(follow_up, chat_id=group)).params["text"]


async def test_channel_post_starting_with_ask(bot: Running) -> None:
    channel = -1002
    bot.api.push(tg.channel_post("just news", channel))
    reply = await bot.reply_to(tg.channel_post("/ask Which tanks were seen near Tokmak?", channel), chat_id=channel)
    assert "Leopard" in reply.params["text"]
    assert len(bot.api.sent(chat_id=channel)) == 1


async def test_inline_query_returns_cited_articles(bot: Running) -> None:
    bot.api.push(tg.inline("lukashenko sochi meeting", user_id=31))
    [call] = await bot.api.wait_for(lambda c: c.method == "answerInlineQuery")
    results = call.params["results"]
    assert 1 <= len(results) <= 3 and all(r["type"] == "article" for r in results)
    content = results[0]["input_message_content"]
    assert "Sotchi" in content["message_text"] and content["parse_mode"] == "HTML"
    assert all(telegram_html_errors(r["input_message_content"]["message_text"]) == [] for r in results)


async def test_buttons_more_sources_and_full_passage(bot: Running) -> None:
    reply = await bot.reply_to(tg.message("How many brigades does Kyiv have?", user_id=41), chat_id=41)
    more, full = buttons(reply)
    shown = tg.bot_message(reply.params["text"], chat_id=41)
    sources = await bot.reply_to(tg.callback(more, 41, shown), chat_id=41)
    assert "Sources for: How many brigades" in sources.params["text"] and "[1]" in sources.params["text"]
    passage = await bot.reply_to(tg.callback(full, 41, shown), chat_id=41)
    assert "12 brigades" in passage.params["text"]
    answered = bot.api.sent("answerCallbackQuery")
    assert len(answered) == 2

    bot.api.push(tg.callback("more:expired", 41, shown))
    calls = await bot.api.wait_for(lambda c: c.method == "answerCallbackQuery", count=3)
    assert "expired" in calls[-1].params["text"]
    # A button's key copied under a message in another chat shows nothing of this chat's answer.
    bot.api.push(tg.callback(more, 42, tg.bot_message(reply.params["text"], chat_id=42)))
    calls = await bot.api.wait_for(lambda c: c.method == "answerCallbackQuery", count=4)
    assert "expired" in calls[-1].params["text"] and not bot.api.sent(chat_id=42)


async def test_source_command_shows_citation_in_full(bot: Running) -> None:
    none_yet = await bot.reply_to(tg.message("/source 1", user_id=51), chat_id=51)
    assert "Ask a question first" in none_yet.params["text"]
    await bot.reply_to(tg.message("Who is Ben Barry?", user_id=51), chat_id=51)
    source = await bot.reply_to(tg.message("/source 1", user_id=51), chat_id=51)
    assert "chercheur principal" in source.params["text"] and source.params["text"].startswith("[1]")
    wrong = await bot.reply_to(tg.message("/source 9", user_id=51), chat_id=51)
    assert "try /source 1" in wrong.params["text"]


async def test_shortcut_and_misspelled_command(bot: Running) -> None:
    shortcut = await bot.reply_to(tg.message("/deployment", user_id=61), chat_id=61)
    assert "7 et 8 juillet" in shortcut.params["text"] or "immédiatement" in shortcut.params["text"]
    typo = await bot.reply_to(tg.message("/aks when?", user_id=61), chat_id=61)
    assert typo.params["text"] == "Unknown command /aks. Did you mean /ask?"
    typo = await bot.reply_to(tg.message("/deploymnt", user_id=61), chat_id=61)
    assert "Did you mean /deployment?" in typo.params["text"]
    [commands] = bot.api.sent("setMyCommands")
    names = [c["command"] for c in commands.params["commands"]]
    assert {"start", "help", "ask", "search", "source", "docs", "stats", "deployment", "brigades"} <= set(names)


async def test_start_help_docs_stats_search(bot: Running) -> None:
    start = await bot.reply_to(tg.message("/start", user_id=71), chat_id=71)
    assert "When does the deployment start?" in start.params["text"] and "/deployment" in start.params["text"]
    assert "/source" in (await bot.reply_to(tg.message("/help", user_id=71), chat_id=71)).params["text"]
    docs = await bot.reply_to(tg.message("/docs", user_id=71), chat_id=71)
    assert (
        "Belarus nuclear deployment" in docs.params["text"] and "Markup &lt;manual&gt; &amp; co" in docs.params["text"]
    )
    stats = await bot.reply_to(tg.message("/stats", user_id=71), chat_id=71)
    assert "e5-small-q4" in stats.params["text"] and "2 document(s)" in stats.params["text"]
    search = await bot.reply_to(tg.message("/search 21 véhicules blindés", user_id=71), chat_id=71)
    assert "21 véhicules blindés" in search.params["text"] and "<b>" not in search.params["text"]
    for call in bot.api.sent(chat_id=71):
        assert telegram_html_errors(call.params["text"]) == []


@pytest.fixture(scope="module")
def long_passage_answerer(tmp_path_factory: pytest.TempPathFactory, default_embedder: Embedder) -> QuestionAnswerer:
    folder = tmp_path_factory.mktemp("long-corpus")
    filler = " ".join(f"Line {i} of the markup manual repeats <tags> & entities for testing." for i in range(68))
    text = f"title: Markup <manual> & co\nurl: https://example.org/a?b=1&c=<2>\n\n{SPECIAL_SENTENCE} {filler}"
    (folder / "markup-manual.txt").write_text(text, encoding="utf-8")
    settings = Settings(
        _env_file=None, corpus_dir=folder, index_dir=folder / ".index", chunk_size=4000, chunk_overlap=0
    )  # type: ignore[call-arg]
    components = build(settings, embedder=default_embedder)
    components.indexer().run(folder)
    return components.answerer()


async def test_long_passage_with_markup_characters(
    corpus_settings: Settings, long_passage_answerer: QuestionAnswerer
) -> None:
    async with running_bot(long_passage_answerer, shortcuts_file=SHORTCUTS) as bot:
        reply = await bot.reply_to(tg.message("escaping rules ampersand script element", user_id=81), chat_id=81)
        text = reply.params["text"]
        assert telegram_html_errors(text) == []
        assert "&lt;script&gt;" in text and "&amp;" in text and "Markup &lt;manual&gt; &amp; co" in text
        assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;"' in text
        assert "/source 1" in text  # the quote is trimmed, with a pointer to the full text
        more, full = buttons(reply)
        shown = tg.bot_message(text, chat_id=81)
        bot.api.push(tg.callback(full, 81, shown))
        await bot.api.wait_for(lambda c: c.method == "sendMessage" and "(continued 2/" in c.params["text"])
        bot.api.push(tg.callback(more, 81, shown))
        await bot.api.wait_for(lambda c: c.method == "sendMessage" and "Sources for" in c.params["text"])
        source = await bot.reply_to(tg.message("/source 1", user_id=81), chat_id=81)
        pieces = [c.params["text"] for c in bot.api.sent(chat_id=81)]
        assert len(source.params["text"]) > 3000
        assert all(telegram_html_errors(p) == [] for p in pieces)
        full_text = "".join(p for p in pieces if "(continued" in p or p.startswith("[1]"))
        assert "Line 67 of the markup manual" in full_text


async def test_allow_list_refuses_others(corpus_settings: Settings, answerer: QuestionAnswerer) -> None:
    async with running_bot(answerer, shortcuts_file=SHORTCUTS, allowed_user_ids=(7,)) as running:
        refused = await running.reply_to(tg.message("When does the deployment start?", user_id=8), chat_id=8)
        assert "private" in refused.params["text"] and "juillet" not in refused.params["text"]
        allowed = await running.reply_to(tg.message("combien de brigades ?", user_id=7), chat_id=7)
        assert "12 brigades" in allowed.params["text"]


async def test_buttons_obey_the_allow_list_and_the_rate_limit(
    corpus_settings: Settings, answerer: QuestionAnswerer
) -> None:
    async with running_bot(
        answerer, shortcuts_file=SHORTCUTS, allowed_user_ids=(7,), rate_limit_per_minute=2
    ) as running:
        group = -100777
        asked = tg.message("/ask combien de brigades ?", user_id=7, chat_id=group, kind="supergroup")
        reply = await running.reply_to(asked, chat_id=group)
        more, _ = buttons(reply)
        shown = tg.bot_message(reply.params["text"], chat_id=group, kind="supergroup")
        stranger = running.push(tg.callback(more, 8, shown))  # a member who is not on the list reuses the key
        [refused] = await running.api.wait_for(lambda c: c.method == "answerCallbackQuery")
        assert "private" in refused.params["text"]
        await running.settled(stranger)
        assert len(running.api.sent(chat_id=group)) == 1  # nothing but the original answer
        running.api.push(tg.callback(more, 7, shown))  # the asker's second action this minute: allowed
        await running.api.wait_for(lambda c: c.method == "sendMessage" and "Sources for" in c.params["text"])
        running.api.push(tg.callback(more, 7, shown))  # the third: over the limit
        calls = await running.api.wait_for(lambda c: c.method == "answerCallbackQuery", count=3)
        assert "wait" in calls[-1].params["text"]


async def test_refusals_are_rate_limited_too(corpus_settings: Settings, answerer: QuestionAnswerer) -> None:
    async with running_bot(answerer, shortcuts_file=SHORTCUTS, allowed_user_ids=(7,)) as running:
        pushed = [running.push(tg.message("When does the deployment start?", user_id=8)) for _ in range(6)]
        await running.settled(*pushed)
        assert len(running.api.sent(chat_id=8)) == 1


async def test_inline_keystrokes_do_not_use_up_the_question_limit(
    corpus_settings: Settings, answerer: QuestionAnswerer
) -> None:
    async with running_bot(answerer, shortcuts_file=SHORTCUTS, rate_limit_per_minute=2) as running:
        typed = "lukashenko sochi meeting"
        for end in range(10, len(typed) + 1):
            running.api.push(tg.inline(typed[:end], user_id=93))
        await running.api.wait_for(lambda c: c.method == "answerInlineQuery", count=len(typed) - 9)
        reply = await running.reply_to(tg.message("combien de brigades ?", user_id=93), chat_id=93)
        assert "12 brigades" in reply.params["text"]


async def test_source_stays_in_its_chat_and_odd_numbers_get_usage(bot: Running) -> None:
    await bot.reply_to(tg.message("Who is Ben Barry?", user_id=57), chat_id=57)
    group = -100557
    in_group = await bot.reply_to(tg.message("/source 1", user_id=57, chat_id=group, kind="supergroup"), chat_id=group)
    assert "Ask a question first" in in_group.params["text"]  # the private answer is not shown to the group
    odd = await bot.reply_to(tg.message("/source ²", user_id=57), chat_id=57)
    assert "try /source 1" in odd.params["text"]


async def test_rate_limit_replies_kindly(corpus_settings: Settings, answerer: QuestionAnswerer) -> None:
    async with running_bot(answerer, shortcuts_file=SHORTCUTS, rate_limit_per_minute=2) as running:
        for _ in range(2):
            reply = await running.reply_to(tg.message("combien de brigades ?", user_id=91), chat_id=91)
            assert "12 brigades" in reply.params["text"]
        limited = await running.reply_to(tg.message("combien de brigades ?", user_id=91), chat_id=91)
        assert "please wait" in limited.params["text"]
        other = await running.reply_to(tg.message("combien de brigades ?", user_id=92), chat_id=92)
        assert "12 brigades" in other.params["text"]


async def test_flood_control_429_is_waited_out(bot: Running) -> None:
    bot.api.fail_next(
        "sendMessage",
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
        ),
    )
    reply = await bot.reply_to(tg.message("combien de brigades ?", user_id=101), chat_id=101)
    assert "12 brigades" in reply.params["text"]
    attempts = bot.api.sent(chat_id=101)
    assert [bool(c.params.get("_failed")) for c in attempts] == [True, False]
    assert attempts[1].at - attempts[0].at >= 0.9
    assert len(bot.api.sent(chat_id=101)) == 2  # answered once (reply_to waited for the update to be handled)


async def test_twenty_users_at_once(bot: Running) -> None:
    questions = [
        "combien de brigades ?",
        "Where did Putin and Lukashenko meet?",
        "Who is Ben Barry?",
        "Quand commence le déploiement ?",
    ]
    for user_id in range(200, 220):
        bot.api.push(tg.message(questions[user_id % 4], user_id=user_id))
    await bot.api.wait_for(lambda c: c.method == "sendMessage" and 200 <= int(c.params["chat_id"]) < 220, count=20)
    for user_id in range(200, 220):
        [reply] = bot.api.sent(chat_id=user_id)
        expected = {0: "12 brigades", 1: "Sotchi", 2: "Ben Barry", 3: "juillet"}[user_id % 4]
        assert expected in reply.params["text"] or (user_id % 4 == 3 and "immédiatement" in reply.params["text"])


async def test_strange_messages_never_crash(bot: Running) -> None:
    for number, text in enumerate(["🙂🙂🙂", "?!…", "\u200b\u200b", "<b>&amp;", "x" * 5000, "مرحبا بالعالم"]):
        reply = await bot.reply_to(tg.message(text, user_id=300 + number), chat_id=300 + number)
        assert telegram_html_errors(reply.params["text"]) == []
        assert "something went wrong" not in reply.params["text"]


async def test_token_never_logged(corpus_settings: Settings, answerer: QuestionAnswerer) -> None:
    stream = io.StringIO()
    handler = log_handler(TOKEN, stream=stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        async with running_bot(answerer, shortcuts_file=SHORTCUTS) as running:
            bad = (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
            running.api.fail_next("sendMessage", bad, bad)  # the answer, then the apology
            asked = running.push(tg.message("combien de brigades ?", user_id=111))
            await running.api.wait_for(lambda c: c.method == "sendMessage", count=2)
            await running.settled(asked)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    output = stream.getvalue()
    assert "Set Bot API URL" in output and "Traceback" in output  # the lines that would carry it are there...
    assert TOKEN not in output and "<token>" in output  # ...redacted


@pytest.fixture(scope="module")
def served_env(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for `corpusbot` subprocesses, with an index of their own (built by `corpusbot index`):
    the embedded index serves one process at a time, and this test process holds `corpus_settings`'."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CORPUS_DIR": str(corpus_settings.corpus_dir),
        "INDEX_DIR": str(tmp_path_factory.mktemp("served-index")),
    }
    subprocess.run([sys.executable, "-m", "corpusbot", "index", "--quiet"], env=env, cwd=str(ROOT), check=True)
    return env


async def test_serve_command_answers_through_the_fake_server(served_env: dict[str, str]) -> None:
    import sys

    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    env = {
        **served_env,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "SHORTCUTS_FILE": str(ROOT / "shortcuts.toml"),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "corpusbot",
        "serve",
        env=env,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        api.push(tg.message("Where did Putin and Lukashenko meet?", user_id=121))
        [reply] = await api.wait_for(lambda c: c.method == "sendMessage", timeout=60)
        assert "Sotchi" in reply.params["text"]
        assert api.sent("setMyCommands") and api.sent("deleteWebhook")
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await api.stop()
    log = stderr.decode()
    assert "getUpdates" in log and TOKEN not in log


def _webhook_env(served_env: dict[str, str], api: tg.FakeBotAPI, port: int, **extra: str) -> dict[str, str]:
    return {
        **served_env,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_WEBHOOK_URL": f"https://bot.example.org:{port}/telegram",
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
        **extra,
    }


async def _first_post_status(session: Any, url: str, update: dict[str, Any]) -> int:
    """POST `update` to the webhook listener once it is up (it may come up just after setWebhook)."""
    import aiohttp

    for _ in range(100):
        try:
            async with session.post(url, json=update) as response:
                return int(response.status)
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError("webhook listener never came up")


async def test_serve_in_webhook_mode(served_env: dict[str, str]) -> None:
    import sys

    import aiohttp

    from tests.chroma_server import free_port

    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    port = free_port()
    env = _webhook_env(served_env, api, port, TELEGRAM_WEBHOOK_SECRET="s3cret-webhook")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "corpusbot", "serve", env=env, cwd=str(ROOT), stderr=asyncio.subprocess.PIPE
    )
    try:
        [registered] = await api.wait_for(lambda c: c.method == "setWebhook", timeout=60)
        assert registered.params["url"] == f"https://bot.example.org:{port}/telegram"
        assert registered.params["secret_token"] == "s3cret-webhook"
        update = {"update_id": 1, **tg.message("Where did Putin and Lukashenko meet?", user_id=131)}
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/telegram"
            assert await _first_post_status(session, url, update) == 403  # no secret: not from Telegram
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"}
            async with session.post(url, json=update, headers=headers) as accepted:
                assert accepted.status == 200
        [reply] = await api.wait_for(lambda c: c.method == "sendMessage", timeout=60)
        assert "Sotchi" in reply.params["text"] and int(reply.params["chat_id"]) == 131
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), 30)
        await api.stop()


async def test_webhook_without_configured_secret_is_never_open(served_env: dict[str, str]) -> None:
    """No TELEGRAM_WEBHOOK_SECRET: a random secret is registered with setWebhook, forged updates are
    refused, and the secret never reaches the logs (not even the DEBUG line of setWebhook's parameters)."""
    import sys

    import aiohttp

    from tests.chroma_server import free_port

    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    port = free_port()
    env = _webhook_env(served_env, api, port, TELEGRAM_WEBHOOK_SECRET="", LOG_LEVEL="DEBUG")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "corpusbot", "serve", env=env, cwd=str(ROOT), stderr=asyncio.subprocess.PIPE
    )
    try:
        [registered] = await api.wait_for(lambda c: c.method == "setWebhook", timeout=60)
        secret = registered.params.get("secret_token", "")
        assert len(secret) >= 32
        forged = {"update_id": 7, **tg.message("Where did Putin and Lukashenko meet?", user_id=141)}
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/telegram"
            assert await _first_post_status(session, url, forged) == 403
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            async with session.post(url, json=forged, headers=wrong) as refused:
                assert refused.status == 403
            right = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with session.post(url, json=forged, headers=right) as accepted:
                assert accepted.status == 200
        await api.wait_for(lambda c: c.method == "sendMessage", timeout=60)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await api.stop()
    log = stderr.decode()
    assert "setWebhook" in log and secret not in log and TOKEN not in log


async def test_private_follow_ups_more_and_new(bot: Running) -> None:
    first = await bot.reply_to(tg.message("When does the deployment start?", user_id=61), chat_id=61)
    assert "about:" not in first.params["text"]
    follow = await bot.reply_to(tg.message("Who announced it?", user_id=61), chat_id=61)
    assert "about: When does the deployment start?" in follow.params["text"] and "Poutine" in follow.params["text"]
    more = await bot.reply_to(tg.message("more", user_id=61), chat_id=61)
    assert "more on: When does the deployment start?" in more.params["text"] and "[4]" in more.params["text"]
    assert telegram_html_errors(more.params["text"]) == []
    source = await bot.reply_to(tg.message("/source 4", user_id=61), chat_id=61)
    assert "[4]" in source.params["text"]
    reset = await bot.reply_to(tg.message("/new", user_id=61), chat_id=61)
    assert "New conversation" in reset.params["text"]
    alone = await bot.reply_to(tg.message("Who announced it?", user_id=61), chat_id=61)
    assert "about:" not in alone.params["text"]
    lonely_more = await bot.reply_to(tg.message("more", user_id=62), chat_id=62)
    assert "Ask a question first" in lonely_more.params["text"]


async def test_two_users_in_a_group_each_follow_up_their_own_question(bot: Running) -> None:
    group = -100661

    def ask(text: str, user_id: int) -> dict[str, object]:
        return tg.message(f"/ask {text}", user_id=user_id, chat_id=group, kind="supergroup")

    await bot.reply_to(ask("Where did Putin and Lukashenko meet?", 71), chat_id=group)
    await bot.reply_to(ask("Combien de brigades l'Ukraine a-t-elle formées ?", 72), chat_id=group)
    first = await bot.reply_to(ask("And in which residence?", 71), chat_id=group)
    second = await bot.reply_to(ask("Et combien d'hommes ?", 72), chat_id=group)
    assert "about: Where did Putin and Lukashenko meet?" in first.params["text"]
    assert "Bocharov Ruchei" in first.params["text"]
    assert "about: Combien de brigades" in second.params["text"] and "50 000" in second.params["text"]
    # The same user's private chat is another conversation.
    private = await bot.reply_to(tg.message("And in which residence?", user_id=71), chat_id=71)
    assert "about:" not in private.params["text"]


async def test_a_conversation_is_forgotten_after_its_time(answerer: QuestionAnswerer) -> None:
    async with running_bot(answerer, follow_up_minutes=0.02) as running:  # 1.2 s
        await running.reply_to(tg.message("When does the deployment start?", user_id=81), chat_id=81)
        await asyncio.sleep(1.5)  # time passing is the point here, not waiting for the bot
        late = await running.reply_to(tg.message("Who announced it?", user_id=81), chat_id=81)
        assert "about:" not in late.params["text"]
        await running.reply_to(tg.message("When does the deployment start?", user_id=81), chat_id=81)
        soon = await running.reply_to(tg.message("Who announced it?", user_id=81), chat_id=81)
        assert "about: When does the deployment start?" in soon.params["text"]
