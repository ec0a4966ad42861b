"""Whatever the corpus and the question contain, every message is valid Telegram HTML within 4096 chars."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from index.models import Answer, Citation, DocumentInfo, Passage, Search
from tests.telegram_html import telegram_html_errors

hostile_pieces = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "&amp;",
        "<b>",
        "</b>",
        "<a href='x'>",
        "*bold*",
        "_it_",
        "`code`",
        "[l](http://x)",
        "\u200b",
        "\u200f",
        "\u202e",
        "مرحبا",
        "שלום",
        "🙂",
        "👩‍👩‍👧",
        "\n",
        "  ",
        "«",
        "»",
        "’",
        "é",
        "\x00",
        "\ufeff",
        "&#x26;",
    ]
)
hostile_text = st.lists(st.one_of(hostile_pieces, st.text(max_size=30)), max_size=60).map("".join)
long_text = st.builds(lambda t, n: (t or "x") * n, hostile_text, st.integers(1, 400))
any_text = st.one_of(hostile_text, long_text, st.text(max_size=12_000))
urls = st.one_of(st.just(""), st.just("https://example.org/a?b=1&c=<2>"), hostile_text, st.text(max_size=3000))


def citation(number: int, passage: str, title: str, url: str, date: str) -> Citation:
    return Citation(number, "doc.txt", title, date, url, "¶ 1, chars 0–10", passage, 0.5, 0, 10)


citations = st.lists(
    st.builds(lambda p, t, u, d: (p, t, u, d), any_text, hostile_text, urls, hostile_text), min_size=1, max_size=5
).map(lambda rows: tuple(citation(i + 1, *row) for i, row in enumerate(rows)))
answers = st.builds(
    lambda q, sentences, cites: Answer(q, True, tuple(sentences), cites),
    any_text,
    st.lists(any_text, min_size=1, max_size=3),
    citations,
)

FAST = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def assert_valid(messages: list[str]) -> None:
    assert messages
    for message in messages:
        assert telegram_html_errors(message) == [], message[:300]


@FAST
@given(answers)
def test_answer_message_is_always_valid(answer: Answer) -> None:
    assert_valid([render.answer_message(answer)])


@FAST
@given(answers)
def test_more_sources_and_full_passages_are_always_valid(answer: Answer) -> None:
    assert_valid(render.citation_messages(answer.citations, header=f"Sources for: {answer.question}"))
    for cited in answer.citations:
        pieces = render.source_messages(cited)
        assert_valid(pieces)


@FAST
@given(any_text)
def test_full_text_is_kept_across_messages(passage: str) -> None:
    pieces = render.split_text(passage, 3900)
    assert all(len(render.escape(p)) <= 3900 for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == passage.replace(" ", "").replace("\n", "")


@FAST
@given(
    st.lists(
        st.builds(lambda t, u, d: DocumentInfo("d", t, d, u, 3, "v"), hostile_text, urls, hostile_text), max_size=300
    )
)
def test_docs_list_is_always_valid(docs: list[DocumentInfo]) -> None:
    assert_valid(render.docs_messages(docs))


def test_nothing_found_has_no_markup_surprises() -> None:
    assert_valid([render.answer_message(Answer("q", False))])


@FAST
@given(hostile_text, hostile_text, st.booleans())
def test_search_results_are_valid_and_say_when_they_fall_below_the_bar(title: str, text: str, relevant: bool) -> None:
    passage = Passage("c#v#0", "d.txt", title, "2023", "", "d.txt", text, 0, len(text), 1, None, 0.4)
    messages = render.search_messages(Search("q", (passage,), relevant))
    assert_valid(messages)
    assert messages[0].startswith("⚠️ Nothing passes the relevance bar") != relevant
