"""Follow-up questions: which messages lean on the previous one, the memory, and answers in a conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.answer.answerer import QuestionAnswerer
from index.answer.conversation import Memory, Reading, Turn, follow_up_context, read
from index.ingest.indexer import Indexer
from index.models import Answer, AnswerStatus
from index.search.retriever import Retriever
from index.store.memory import MemoryStore
from index.tuning import AnswerConfig
from tests.fakes import HashingEmbedder

FOLLOW_UPS = [
    "Who announced it?",
    "And where?",
    "and when?",
    "Et où ?",
    "et combien de brigades ?",
    "Qui l'a annoncé ?",
    "Sous quel commandement resteront-elles ?",
    "What did they discuss?",
    "Where does he work?",
    "How many of them were trained by the West?",
    "Qui y a revendiqué des succès ?",
    "Dans quelle résidence ?",
    "Why?",
]
STANDALONE = [
    "When does the deployment start?",
    "Quand commence le déploiement ?",
    "Combien de brigades l'Ukraine a-t-elle formées ?",
    "Quelle ville les forces russes ont-elles capturée ?",
    "Who is Ben Barry?",
    "How many armoured vehicles did Russia say it destroyed?",
    "Where did Putin and Lukashenko meet and what did they discuss?",
    "Quel temps fera-t-il à Paris demain ?",
    "Is there a meeting in Sochi today?",
    "What is the capital of Australia?",
]


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_follow_ups_are_recognised_in_english_and_french(question: str) -> None:
    assert read(question) is Reading.FOLLOW_UP


@pytest.mark.parametrize("question", STANDALONE)
def test_questions_that_name_their_topic_stand_alone(question: str) -> None:
    assert read(question) is Reading.STANDALONE


@pytest.mark.parametrize("message", ["more", "More!", "plus", "Plus de détails", "la suite", "tell me more"])
def test_requests_for_more(message: str) -> None:
    assert read(message) is Reading.MORE


def _turn(question: str, docs: tuple[str, ...] = ()) -> Turn:
    return Turn(question, "", question, Answer(question, bool(docs)), 0)


def test_a_follow_up_is_retrieved_with_the_topic_words_it_lacks() -> None:
    previous = _turn("When does the deployment start?")
    context = follow_up_context("Who announced it?", previous)
    assert Turn("Who announced it?", context, previous.topic, Answer("", False), 0).query == (
        "Who announced it? deployment start"
    )
    assert follow_up_context("And where does the deployment happen?", previous) == "start"


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_memory_forgets_after_its_time_on_request_and_beyond_its_size() -> None:
    clock = Clock()
    memory = Memory(ttl=600, capacity=2, clock=clock)
    memory.put(("chat", 1), _turn("first"))
    clock.now = 599
    assert memory.get(("chat", 1)) is not None
    clock.now = 601
    assert memory.get(("chat", 1)) is None  # too old to follow up...
    assert memory.last(("chat", 1)) is not None  # ...but /source can still show it
    memory.put(("chat", 2), _turn("second"))
    memory.forget(("chat", 2))
    assert memory.last(("chat", 2)) is None
    memory.put(("chat", 3), _turn("third"))
    memory.put(("chat", 4), _turn("fourth"))
    assert memory.last(("chat", 1)) is None  # the oldest conversation made room
    assert memory.get(("other chat", 3)) is None  # keys never cross


DOCS = {
    "bridge": "The beta bridge was painted blue in May by the Verdier company. It reopened to traffic in June.",
    "reactor": "The alpha reactor was inspected in March by the Bergstrom agency. It restarted in April.",
    "lake": "The gamma lake froze in January. Skaters came from Lindqvist and beyond.",
    **{f"lake-{n}": f"Note {n}: the gamma lake froze again, year {2000 + n}." for n in range(6)},
}


@pytest.fixture
def answerer(corpus: Path) -> QuestionAnswerer:
    embedder, store = HashingEmbedder(), MemoryStore()
    for name, text in DOCS.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    Indexer(embedder, store, 700, 150, 1_000_000).run(corpus)
    return QuestionAnswerer(Retriever(embedder, store), AnswerConfig(top_k=3))


def test_a_follow_up_is_answered_about_the_previous_topic(answerer: QuestionAnswerer) -> None:
    first = answerer.reply("When was the beta bridge painted?")
    assert first.answer.citations[0].doc_id == "bridge.txt" and first.answer.about == ""
    follow = answerer.reply("Who painted it?", first)
    assert follow.answer.answered and follow.answer.citations[0].doc_id == "bridge.txt"
    assert "Verdier" in follow.answer.text and follow.answer.about == "When was the beta bridge painted?"
    # The same words with no conversation behind them are about nothing in particular.
    assert answerer.ask("Who painted it?").citations[:1] != follow.answer.citations[:1]
    chained = answerer.reply("And when was it reopened?", follow)
    assert "June" in chained.answer.text and chained.topic == first.question


def test_a_standalone_question_mid_conversation_is_answered_as_on_its_own(answerer: QuestionAnswerer) -> None:
    first = answerer.reply("When was the beta bridge painted?")
    turn = answerer.reply("When was the alpha reactor inspected?", first)
    assert turn.answer == answerer.ask("When was the alpha reactor inspected?")
    assert turn.answer.citations[0].doc_id == "reactor.txt" and turn.answer.about == ""


def test_more_continues_with_the_next_passages_then_says_when_there_are_none(answerer: QuestionAnswerer) -> None:
    first = answerer.reply("When did the gamma lake freeze?")
    assert [c.number for c in first.answer.citations] == [1, 2, 3]
    more = answerer.reply("more", first)
    assert first.answer.status is more.answer.status is AnswerStatus.ANSWERED
    assert more.answer.continuation and [c.number for c in more.answer.citations] == [4, 5, 6]
    shown = {(c.doc_id, c.start) for c in first.answer.citations}
    assert not shown & {(c.doc_id, c.start) for c in more.answer.citations}
    turn = more
    for _ in range(3):
        turn = answerer.reply("plus", turn)
    assert not turn.answer.answered and turn.answer.continuation and turn.answer.about
    assert turn.answer.status is AnswerStatus.NO_MORE
    nothing_before = answerer.reply("more")
    assert nothing_before.answer.continuation and not nothing_before.answer.answered
    assert nothing_before.answer.about == "" and nothing_before.answer.status is AnswerStatus.NOTHING_TO_CONTINUE


def test_after_a_refusal_there_is_nothing_to_continue_and_a_follow_up_must_be_relevant(
    answerer: QuestionAnswerer,
) -> None:
    refused = answerer.reply("What is the boiling point of mercury on Neptune?")
    assert not refused.answer.answered and refused.answer.status is AnswerStatus.REFUSED
    # Read with the refused question (which may have been refused wrongly), so just as out of corpus.
    follow = answerer.reply("and when?", refused)
    assert follow.answer.about == refused.question and not follow.answer.answered
    more = answerer.reply("more", refused)
    assert more.answer.status is AnswerStatus.NOTHING_TO_CONTINUE  # "ask a question first"


def test_a_message_of_one_endless_word_leans_on_nothing() -> None:
    assert read("x" * 4090) is Reading.STANDALONE
    assert read("and " + "x" * 100) is Reading.STANDALONE


def test_every_citation_shown_in_a_thread_stays_numbered(answerer: QuestionAnswerer) -> None:
    first = answerer.reply("When did the gamma lake freeze?")
    second = answerer.reply("more", first)
    third = answerer.reply("more", second)
    assert sorted(third.citations) == list(range(1, 1 + len(third.citations))) and len(third.citations) > 6
    assert third.citations[4] == second.answer.citations[0] and third.citations[1] == first.answer.citations[0]


def test_memory_keeps_the_thread_when_more_finds_nothing_more() -> None:
    memory = Memory(60.0)
    found = Turn("q", "", "q", Answer("q", True), 3)
    memory.remember("chat", found)
    memory.remember("chat", Turn("more", "", "q", Answer("q", False, continuation=True), 3))
    assert memory.get("chat") == found
    memory.remember("chat", Turn("other", "", "other", Answer("other", False), 0))
    assert memory.get("chat") is not None and memory.get("chat").question == "other"  # type: ignore[union-attr]
