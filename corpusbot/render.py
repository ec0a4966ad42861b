"""Plain-text and JSON rendering of answers for the terminal."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

from index.evaluation import EvalReport
from index.models import Answer, AnswerStatus, IndexReport, IndexStats, Search

if TYPE_CHECKING:
    from index.ingest.feeds import FeedReport

NOTHING_FOUND = "Nothing relevant found in the corpus for this question."
NO_PREVIOUS = "Ask a question first: “more” continues the last answer."


def about_line(answer: Answer) -> str:
    """The discreet note that an answer was read with the conversation's earlier question."""
    if not answer.about:
        return ""
    return f"(more on: {answer.about})" if answer.continuation else f"(about: {answer.about})"


def citation_line(number: int, title: str, date: str, location: str, score: float) -> str:
    parts = [f"[{number}] {title}"]
    if date:
        parts.append(date)
    parts.append(location)
    parts.append(f"score {score:.2f}")
    return " — ".join(parts)


def answer_text(answer: Answer, width: int = 100) -> str:
    if answer.status is AnswerStatus.NOTHING_TO_CONTINUE:
        return NO_PREVIOUS
    if answer.status is AnswerStatus.NO_MORE:
        return f"No more passages {about_line(answer)}."
    if answer.status is AnswerStatus.REFUSED:
        return NOTHING_FOUND
    lines = [about_line(answer)] if answer.about else []
    lines += ["Answer:", textwrap.fill(answer.text, width, initial_indent="  ", subsequent_indent="  "), "", "Sources:"]
    for citation in answer.citations:
        lines.append(citation_line(citation.number, citation.title, citation.date, citation.location, citation.score))
        lines.append(textwrap.fill(f"« {citation.passage} »", width, initial_indent="    ", subsequent_indent="    "))
        if citation.url:
            lines.append(f"    {citation.url}")
    return "\n".join(lines)


BELOW_THE_BAR = "Nothing passes the relevance bar; the closest passages, which do not answer it:"


def search_text(search: Search, width: int = 100) -> str:
    if not search.passages:
        return NOTHING_FOUND
    lines = [] if search.relevant else [BELOW_THE_BAR]
    for number, passage in enumerate(search.passages, start=1):
        lines.append(citation_line(number, passage.title, passage.date, passage.location, passage.score))
        lines.append(textwrap.fill(passage.text, width, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


def search_json(search: Search) -> str:
    rows = [p.cite(number).as_dict() for number, p in enumerate(search.passages, start=1)]
    found = {"question": search.question, "found": bool(rows), "relevant": search.relevant, "passages": rows}
    return json.dumps(found, ensure_ascii=False, indent=2)


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.as_dict(), ensure_ascii=False, indent=2)


def report_text(report: IndexReport) -> str:
    lines = [
        f"Indexed {report.documents} document(s), {report.chunks} chunk(s) in {report.seconds:.1f} s "
        f"({report.embedded_chunks} chunk(s) embedded"
        + (f", {report.reused_chunks} kept from an interrupted run" if report.reused_chunks else "")
        + ").",
        f"  added: {len(report.added)}, updated: {len(report.updated)}, removed: {len(report.removed)}, "
        f"unchanged: {report.unchanged}",
    ]
    if report.centred_chunks:
        lines.append(f"  centred by language: {report.centred_chunks} stored chunk(s) (copied, not embedded)")
    if report.orphans_removed:
        lines.append(f"  repaired: {report.orphans_removed} stored passage(s) of no indexed document removed")
    if report.skipped:
        lines.append(f"Skipped {len(report.skipped)} file(s):")
        lines.extend(f"  - {s.path}: {s.reason}" for s in report.skipped)
    return "\n".join(lines)


def feed_text(report: FeedReport) -> str:
    if report.problem:
        return f"Feed {report.feed}: not read ({report.problem}); tried again at the next run"
    return f"Feed {report.feed}: {len(report.added)} new, {len(report.updated)} updated, {report.unchanged} unchanged"


def stats_text(stats: IndexStats) -> str:
    lines = [
        f"{stats.documents} document(s), {stats.chunks} chunk(s)",
        f"model: {stats.model} ({stats.dimension} dimensions)",
        f"chunking: {stats.chunk_size} chars, overlap {stats.chunk_overlap}",
        f"store: {stats.store}",
        f"relevance bar: {stats.relevance_bar:.2f} for passages in the question's language "
        + ("(derived by this index from its own sentences)" if stats.bar_derived else "(the floor)"),
        *(
            f"relevance bar: {bar:.2f} for passages in {language.upper()} asked about in it"
            for language, bar in stats.language_bars
        ),
        f"relevance bar: {stats.other_language_bar:.2f} for passages in the other language",
        *(
            f"relevance bar: {bar:.2f} for passages in the other language asked about in {language.upper()}"
            for language, bar in stats.other_language_bars
        ),
    ]
    lines.extend(f"  - {d.title} ({d.date or 'no date'}, {d.chunks} chunks) [{d.doc_id}]" for d in stats.docs)
    return "\n".join(lines)


def eval_text(report: EvalReport) -> str:
    lines = [f"{key}: {value}" for key, value in report.summary().items()]
    languages = report.by_language()
    if len(languages) > 1:
        for lang, part in languages.items():
            figures = part.summary()
            lines.append(
                f"[{lang}] hit@1 {figures['hit@1']}, hit@3 {figures['hit@3']}, mrr {figures['mrr']}, "
                f"answer@1 {figures['answer@1']}, abstained {figures['abstained']}, "
                f"false abstentions {figures['false_abstentions']}"
            )
    return "\n".join(lines)
