"""Evaluate answers against a JSONL question set: hit@k, MRR, answer@1, abstention, latency, per language."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from index.answer.conversation import Turn
from index.errors import CorpusbotError
from index.models import Answer, Citation
from index.text import fold


@dataclass(frozen=True)
class EvalQuestion:
    """One line of an evaluation file; empty `answers` means the corpus does not answer it.

    `doc`, when given, names the document that answers: a citation counts only if it comes from it.
    `follow_up_of` names the earlier line this one is asked after, in the same conversation; with
    `standalone`, the line stands on its own and must be answered as if nothing had been asked before.
    """

    id: str
    question: str
    answers: tuple[str, ...]
    lang: str = ""
    doc: str | None = None
    follow_up_of: str | None = None
    standalone: bool = False

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up_of is not None and not self.standalone


@dataclass(frozen=True)
class EvalResult:
    """How one question went: the rank of the first correct citation (None when missed)."""

    question: EvalQuestion
    answered: bool
    rank: int | None
    answer_correct: bool
    cited_docs: tuple[str, ...]
    seconds: float
    read_with: str = ""  # the earlier question it was read with (a follow-up), "" when read alone
    unchanged: bool | None = None  # standalone in a conversation: same answer as with no conversation


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank value below which `share` (0-1) of `values` lie: the one definition of p50/p95 that
    the evaluation and every benchmark report."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class EvalReport:
    """Aggregate figures over a question set."""

    results: tuple[EvalResult, ...]

    @property
    def answerable(self) -> list[EvalResult]:
        return [r for r in self.results if r.question.answers]

    @property
    def unanswerable(self) -> list[EvalResult]:
        return [r for r in self.results if not r.question.answers]

    def hit_at(self, k: int) -> float:
        rows = self.answerable
        return sum(1 for r in rows if r.rank is not None and r.rank <= k) / len(rows) if rows else 0.0

    @property
    def mrr(self) -> float:
        rows = self.answerable
        return sum(1.0 / r.rank for r in rows if r.rank) / len(rows) if rows else 0.0

    @property
    def answer_at_1(self) -> float:
        rows = self.answerable
        return sum(1 for r in rows if r.answer_correct) / len(rows) if rows else 0.0

    @property
    def abstentions(self) -> int:
        return sum(1 for r in self.unanswerable if not r.answered)

    @property
    def abstention_accuracy(self) -> float:
        rows = self.unanswerable
        return self.abstentions / len(rows) if rows else 1.0

    @property
    def false_abstentions(self) -> int:
        return sum(1 for r in self.answerable if not r.answered)

    def by_language(self) -> dict[str, EvalReport]:
        languages = sorted({r.question.lang for r in self.results if r.question.lang})
        return {lang: EvalReport(tuple(r for r in self.results if r.question.lang == lang)) for lang in languages}

    def conversation_summary(self) -> dict[str, Any]:
        """Follow-ups (answered with their conversation) and standalone questions asked mid-conversation."""
        follow_ups = EvalReport(tuple(r for r in self.results if r.question.is_follow_up))
        alone = [r for r in self.results if r.unchanged is not None]
        return {
            "follow_ups": len(follow_ups.results),
            "follow_ups_read_as_such": sum(1 for r in follow_ups.results if r.read_with),
            "follow_up_hit@1": round(follow_ups.hit_at(1), 4),
            "follow_up_hit@3": round(follow_ups.hit_at(3), 4),
            "follow_up_answer@1": round(follow_ups.answer_at_1, 4),
            "standalone_in_conversation": len(alone),
            "standalone_unchanged": sum(1 for r in alone if r.unchanged),
        }

    def summary(self) -> dict[str, Any]:
        latencies = [1000 * r.seconds for r in self.results]
        conversation = self.conversation_summary() if any(r.question.follow_up_of for r in self.results) else {}
        return conversation | {
            "questions": len(self.results),
            "answerable": len(self.answerable),
            "hit@1": round(self.hit_at(1), 4),
            "hit@3": round(self.hit_at(3), 4),
            "hit@5": round(self.hit_at(5), 4),
            "mrr": round(self.mrr, 4),
            "answer@1": round(self.answer_at_1, 4),
            "abstention_accuracy": round(self.abstention_accuracy, 4),
            "abstained": f"{self.abstentions}/{len(self.unanswerable)}",
            "false_abstentions": self.false_abstentions,
            "latency_ms_p50": round(percentile(latencies, 0.5), 2),
            "latency_ms_p95": round(percentile(latencies, 0.95), 2),
        }

    def as_dict(self) -> dict[str, Any]:
        figures = self.summary()
        languages = self.by_language()
        if len(languages) > 1:
            figures["by_language"] = {lang: report.summary() for lang, report in languages.items()}
        figures["per_question"] = [
            {
                "id": r.question.id,
                "answered": r.answered,
                "rank": r.rank,
                "answer_correct": r.answer_correct,
                "cited_docs": list(r.cited_docs),
                "ms": round(1000 * r.seconds, 2),
                **({"read_with": r.read_with} if r.read_with else {}),
                **({"unchanged": r.unchanged} if r.unchanged is not None else {}),
            }
            for r in self.results
        ]
        return figures


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusbotError(f"Cannot read evaluation file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(row.get("id", number)),
                    question=str(row["question"]),
                    answers=tuple(row.get("answers") or ()),
                    lang=str(row.get("lang") or ""),
                    doc=str(row["doc"]) if row.get("doc") else None,
                    follow_up_of=str(row["follow_up_of"]) if row.get("follow_up_of") else None,
                    standalone=bool(row.get("standalone", False)),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusbotError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def is_correct(passage: str, answers: Iterable[str]) -> bool:
    folded = fold(passage)
    return any(fold(answer) in folded for answer in answers)


def from_document(citation: Citation, doc: str | None) -> bool:
    """Whether a citation comes from the gold document (any document when none is named)."""
    return doc is None or citation.doc_id == doc or PurePosixPath(citation.doc_id).name == doc


def judge(question: EvalQuestion, answer: Answer, seconds: float) -> EvalResult:
    """Score one answer: a hit is a citation from the gold document whose passage holds an answer."""
    rank = None
    if question.answers:
        rank = next(
            (
                c.number
                for c in answer.citations
                if from_document(c, question.doc) and is_correct(c.passage, question.answers)
            ),
            None,
        )
    answer_correct = bool(question.answers and answer.answered and is_correct(answer.text, question.answers))
    cited = tuple(c.doc_id for c in answer.citations)
    return EvalResult(question, answer.answered, rank, answer_correct, cited, seconds, answer.about)


def evaluate(
    questions: Iterable[EvalQuestion],
    ask: Callable[[str], Answer],
    reply: Callable[[str, Turn | None], Turn] | None = None,
) -> EvalReport:
    """Ask every question once, in order, timing each (the first time a question is asked here).

    With `reply`, a line with `follow_up_of` is asked as the next turn after that earlier line (each line's
    turn is kept by id), and a `standalone` one is also asked on its own to check it is answered the same."""
    results = []
    turns: dict[str, Turn] = {}
    for question in questions:
        if reply is None:
            started = time.perf_counter()
            answer = ask(question.question)
            results.append(judge(question, answer, time.perf_counter() - started))
            continue
        previous = None
        if question.follow_up_of is not None:
            previous = turns.get(question.follow_up_of)
            if previous is None:
                raise CorpusbotError(f"{question.id}: follows '{question.follow_up_of}', which is not asked before it")
        started = time.perf_counter()
        turn = reply(question.question, previous)
        result = judge(question, turn.answer, time.perf_counter() - started)
        if question.standalone:
            result = replace(result, unchanged=ask(question.question) == turn.answer)
        turns[question.id] = turn
        results.append(result)
    return EvalReport(tuple(results))
