"""Admins add documents by sending them to the bot (getFile and the download through the fake Bot API)."""

from __future__ import annotations

from pathlib import Path

from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer
from index.ingest.live import LiveCorpus
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


async def test_posts_of_a_listed_channel_become_documents_that_cite_them(
    live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, ingest_channel_ids=(NEWSROOM,)) as bot:
        post = tg.channel_post("Delta dam\nThe delta dam opened on 2 May, built by Halvorsen.", NEWSROOM, "newsroom")
        await bot.settled(bot.push(post))
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
        again = await bot.reply_to(tg.message("Who built the delta dam?", user_id=ADMIN + 1), ADMIN + 1)
        assert "Sorensen" in again.params["text"] and "Halvorsen" not in again.params["text"]
        assert len(list((corpus / "telegram").iterdir())) == 1  # replaced, not added
        other = tg.channel_post("The epsilon canal was dug by Marchetti.", -1009999, "elsewhere")
        await bot.settled(bot.push(other))
        question = await bot.reply_to(tg.message("Who dug the epsilon canal?", user_id=ADMIN + 2), ADMIN + 2)
        assert "Marchetti" not in question.params["text"]  # only listed channels feed the corpus
