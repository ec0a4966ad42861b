"""Admins add documents by sending them to the bot (getFile and the download through the fake Bot API)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer
from index.live import LiveCorpus
from index.uploads import UploadJournal
from tests.bot_harness import running_bot

ADMIN, MEMBER = 501, 502


async def test_an_admin_adds_a_document_and_it_is_answerable_at_once(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,)) as bot:
        text = b"title: Tunnel report\ndate: 2023-07-01\n\nThe gamma tunnel was dug in June by the Okafor crew."
        file_id = bot.api.add_file(text, "report.txt")
        reply = await bot.reply_to(tg.document(file_id, "../../etc/Tunnel report.txt", len(text), ADMIN), ADMIN)
        assert (
            "Added <b>Tunnel report</b>, 2023-07-01" in reply.params["text"]
            and "tunnel-report.txt" in reply.params["text"]
        )
        assert (corpus / "tunnel-report.txt").read_bytes() == text
        answer = await bot.reply_to(tg.message("Who dug the gamma tunnel?", user_id=ADMIN), ADMIN)
        assert "Okafor" in answer.params["text"] and "Tunnel report" in answer.params["text"]
        gone = await bot.reply_to(tg.message("/forget tunnel-report.txt", user_id=ADMIN), ADMIN)
        assert "Removed" in gone.params["text"] and not (corpus / "tunnel-report.txt").exists()


async def test_files_from_others_are_never_fetched(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,)) as bot:
        file_id = bot.api.add_file(b"spam", "spam.txt")
        reply = await bot.reply_to(tg.document(file_id, "spam.txt", 4, MEMBER), MEMBER)
        assert "Only admins can add documents" in reply.params["text"]
        refused = await bot.reply_to(tg.message("/forget alpha.txt", user_id=MEMBER), MEMBER)
        assert "Only admins" in refused.params["text"] and (corpus / "alpha.txt").exists()
        assert [c for c in bot.api.calls if c.method in {"getFile", "download"}] == []


async def test_too_large_or_unusable_uploads_change_nothing(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    before = sorted(p.name for p in corpus.iterdir())
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,)) as bot:
        huge = bot.api.add_file(b"x", "huge.txt")
        reply = await bot.reply_to(tg.document(huge, "huge.txt", 2_000_000_000, ADMIN), ADMIN)
        assert "larger than" in reply.params["text"]
        assert [c for c in bot.api.calls if c.method in {"getFile", "download"}] == []  # refused before download
        binary = bot.api.add_file(b"\x00\x01\x02 binary", "tool.exe")
        refused = await bot.reply_to(tg.document(binary, "tool.exe", 12, ADMIN), ADMIN)
        assert "Not added" in refused.params["text"]
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert answerer.ask("When was the alpha reactor inspected?").answered


NEWSROOM = -1001234567890


async def indexed(live: LiveCorpus) -> None:
    """Wait until what is on disk now is indexed (a refresh that starts after this call has ended)."""
    await asyncio.to_thread(lambda: live.refresh_soon().result(timeout=30))


async def test_posts_of_a_listed_channel_become_documents_that_cite_them(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, ingest_channel_ids=(NEWSROOM,)) as bot:
        post = tg.channel_post("Delta dam\nThe delta dam opened on 2 May, built by Halvorsen.", NEWSROOM, "newsroom")
        await bot.settled(bot.push(post))
        await indexed(corpus_live)
        message_id = post["channel_post"]["message_id"]
        reply = await bot.reply_to(tg.message("Who built the delta dam?", user_id=ADMIN), ADMIN)
        assert "Halvorsen" in reply.params["text"] and f"https://t.me/newsroom/{message_id}" in reply.params["text"]
        edited = tg.channel_post(
            "Delta dam\nThe delta dam opened on 2 May, built by Sorensen.",
            NEWSROOM,
            "newsroom",
            message_id=message_id,
            edited=True,
        )
        await bot.settled(bot.push(edited))
        await indexed(corpus_live)
        again = await bot.reply_to(tg.message("Who built the delta dam?", user_id=ADMIN + 1), ADMIN + 1)
        assert "Sorensen" in again.params["text"] and "Halvorsen" not in again.params["text"]
        assert len(list((corpus / "telegram").iterdir())) == 1  # replaced, not added
        other = tg.channel_post("The epsilon canal was dug by Marchetti.", -1009999, "elsewhere")
        await bot.settled(bot.push(other))
        await indexed(corpus_live)
        question = await bot.reply_to(tg.message("Who dug the epsilon canal?", user_id=ADMIN + 2), ADMIN + 2)
        assert "Marchetti" not in question.params["text"]  # only listed channels feed the corpus


async def test_a_file_path_on_the_bots_own_disk_is_never_read(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path, tmp_path: Path
) -> None:
    """python-telegram-bot reads a getFile `file_path` that exists on this machine from disk: a hostile Bot
    API server could publish the host's secrets through the corpus. Only downloads by URL are made."""
    corpus_live, answerer = live_corpus
    secret = tmp_path / ".env"
    secret.write_text("TELEGRAM_BOT_TOKEN=123:very-secret-token\n", encoding="utf-8")
    (tmp_path / "bot-cwd").mkdir()
    before = sorted(p.name for p in corpus.iterdir())
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,)) as bot:
        for number, file_path in enumerate([str(secret), "/etc/hostname", "../../../../../etc/hostname", "../.env"]):
            file_id = bot.api.add_file(b"unused", "notes.txt", file_path=file_path)
            reply = await bot.reply_to(tg.document(file_id, f"notes-{number}.txt", 20, ADMIN), ADMIN)
            assert "Not added" in reply.params["text"] and "Nothing was added" in reply.params["text"]
        assert all("very-secret" not in str(c.params) for c in bot.api.calls)
    assert sorted(p.name for p in corpus.iterdir()) == before


async def test_failed_downloads_say_so_and_add_nothing(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    before = sorted(p.name for p in corpus.iterdir())
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,), telegram_timeout=1.0) as bot:
        missing = bot.api.add_file(b"x", "missing.txt")
        bot.api.fail_next("download", (404, {}))  # the file server has no such file
        reply = await bot.reply_to(tg.document(missing, "missing.txt", 1, ADMIN), ADMIN)
        assert "Not added" in reply.params["text"] and "did not send the file" in reply.params["text"]

        broken = bot.api.add_file(b"The omega lab opened.", "lab.txt")
        bot.api.fail_next("getFile", *[(500, {"ok": False, "error_code": 500, "description": "Internal"})] * 4)
        reply = await bot.reply_to(tg.document(broken, "lab.txt", 21, ADMIN), ADMIN)
        assert "Not added" in reply.params["text"] and "Nothing was added" in reply.params["text"]

        slow = bot.api.add_file(b"The omega lab opened.", "slow.txt")
        bot.api.delay_next("download", 1.6)  # longer than the 1 s timeout
        reply = await bot.reply_to(tg.document(slow, "slow.txt", 21, ADMIN), ADMIN)
        assert "did not send the file in time" in reply.params["text"]

        calls = len(bot.api.calls)
        reply = await bot.reply_to(tg.document(bot.api.add_file(b"MZ", "tool.exe"), "tool.exe", 2, ADMIN), ADMIN)
        assert "can be added" in reply.params["text"]
        assert [c.method for c in bot.api.calls[calls:] if c.method in {"getFile", "download"}] == []
    assert sorted(p.name for p in corpus.iterdir()) == before


async def test_a_channel_username_never_becomes_a_path(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    (corpus / "notes-7.txt").write_text("The zeta mine closed in 1990.", encoding="utf-8")
    corpus_live.refresh()
    async with running_bot(answerer, live=corpus_live, ingest_channel_ids=(NEWSROOM,)) as bot:
        forged = tg.channel_post("The zeta mine reopened in 2024.", NEWSROOM, "../notes", message_id=7)
        await bot.settled(bot.push(forged))
        await indexed(corpus_live)
    assert (corpus / "notes-7.txt").read_text(encoding="utf-8") == "The zeta mine closed in 1990."
    assert [p.name for p in (corpus / "telegram").iterdir()] == ["1234567890-7.txt"]


async def test_a_post_edited_to_nothing_is_removed(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, ingest_channel_ids=(NEWSROOM,)) as bot:
        post = tg.channel_post("The theta pier was built by Lindqvist.", NEWSROOM, "newsroom")
        await bot.settled(bot.push(post))
        await indexed(corpus_live)
        assert answerer.ask("Who built the theta pier?").answered
        message_id = post["channel_post"]["message_id"]
        await bot.settled(bot.push(tg.channel_post("", NEWSROOM, "newsroom", message_id=message_id, edited=True)))
        await indexed(corpus_live)
    assert list((corpus / "telegram").iterdir()) == []
    assert "Lindqvist" not in answerer.ask("Who built the theta pier?").text


async def test_a_burst_of_posts_is_all_on_disk_and_questions_are_answered_meanwhile(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, ingest_channel_ids=(NEWSROOM,)) as bot:
        posts = [
            tg.channel_post(f"Bulletin {n}: the kappa tower {n} was inspected.", NEWSROOM, "newsroom")
            for n in range(150)
        ]
        ids = [bot.push(post) for post in posts]
        reply = await bot.reply_to(
            tg.message("When was the alpha reactor inspected?", user_id=ADMIN), ADMIN, timeout=10
        )
        assert "March" in reply.params["text"]
        await bot.settled(*ids)
        assert len(list((corpus / "telegram").iterdir())) == 150  # every acknowledged post is on disk
        await indexed(corpus_live)
    assert len(answerer.retriever.manifest.docs) == 151


async def test_an_admins_file_in_a_group_gets_a_hint_and_is_never_fetched(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,)) as bot:
        upload = tg.document(bot.api.add_file(b"The iota weir.", "weir.txt"), "weir.txt", 14, ADMIN)
        upload["message"]["chat"] = tg.chat(-4001, "group")
        reply = await bot.reply_to(upload, -4001)
        assert "send it to me in a private chat" in reply.params["text"]
        member = tg.document(bot.api.add_file(b"x", "x.txt"), "x.txt", 1, MEMBER)
        member["message"]["chat"] = tg.chat(-4001, "group")
        await bot.settled(bot.push(member))
        assert len(bot.api.sent(chat_id=-4001)) == 1  # members' files in a group are no business of the bot
        assert [c for c in bot.api.calls if c.method in {"getFile", "download"}] == []


async def test_senders_of_uploads_a_killed_bot_never_confirmed_are_told_at_the_next_start(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path, tmp_path: Path
) -> None:
    """What a bot killed mid-upload leaves: the journal of uploads under way, one file already in the
    folder (caught up on at start, in the background), one never written. Each sender hears what became of
    theirs once the folder is caught up on."""
    corpus_live, answerer = live_corpus
    journal = UploadJournal(tmp_path / "uploads-in-flight.json")
    live = LiveCorpus(corpus_live._indexer, answerer.retriever, corpus, 1_000_000, journal)
    journal.begin(ADMIN, "Tunnel report.txt", "tunnel-report.txt")
    journal.begin(ADMIN + 1, "lost.txt", "lost.txt")
    (corpus / "tunnel-report.txt").write_text("The gamma tunnel was dug by the Okafor crew.", encoding="utf-8")
    scanned, scan = threading.Event(), live.refresh
    live.refresh = lambda paths=None: (scanned.wait(10), scan(paths))[1]  # type: ignore[method-assign]  # a large folder
    live.catch_up_soon()  # as `serve` does: indexed in the background while the bot starts and answers
    async with running_bot(answerer, live=live, admin_user_ids=(ADMIN, ADMIN + 1)) as bot:
        assert (
            "Nothing relevant"
            not in (await bot.reply_to(tg.message("When was the alpha reactor inspected?", 77), 77)).params["text"]
        )
        assert not bot.api.sent(chat_id=ADMIN) and not bot.api.sent(chat_id=ADMIN + 1)  # not before the scan
        scanned.set()
        told = await bot.api.wait_for(lambda c: c.method == "sendMessage" and c.params["chat_id"] != 77, count=2)
        by_chat = {int(c.params["chat_id"]): c.params["text"] for c in told}
        assert "sent before the bot restarted, was added" in by_chat[ADMIN] and "tunnel-report.txt" in by_chat[ADMIN]
        assert "Not added: lost.txt" in by_chat[ADMIN + 1] and "send it again" in by_chat[ADMIN + 1]
        upload = tg.document(bot.api.add_file(b"The iota weir was built in 1901.", "weir.txt"), "weir.txt", 32, ADMIN)
        assert "Added" in (await bot.reply_to(upload, ADMIN)).params["text"]
    assert journal.take_left_over() == []  # a finished upload leaves nothing to tell
