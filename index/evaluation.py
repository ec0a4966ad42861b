"""Evaluate answers against a JSONL question set: hit@1, hit@3, MRR and abstention accuracy."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusbotError
from index.models import Answer
from index.text import fold


@dataclass(frozen=True)
class EvalQuestion:
    """One line of an evaluation file; empty `answers` means the corpus does not answer it."""

    id: str
    question: str
    answers: tuple[str, ...]
    lang: str = ""


@dataclass(frozen=True)
class EvalResult:
    """How one question went: the rank of the first correct citation (None when missed)."""

    question: EvalQuestion
    answered: bool
    rank: int | None
    seconds: float


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
    def abstentions(self) -> int:
        return sum(1 for r in self.unanswerable if not r.answered)

    @property
    def abstention_accuracy(self) -> float:
        rows = self.unanswerable
        return self.abstentions / len(rows) if rows else 1.0

    @property
    def false_abstentions(self) -> int:
        return sum(1 for r in self.answerable if not r.answered)

    def as_dict(self) -> dict[str, object]:
        latencies = sorted(r.seconds for r in self.results)
        return {
            "questions": len(self.results),
            "answerable": len(self.answerable),
            "hit@1": round(self.hit_at(1), 4),
            "hit@3": round(self.hit_at(3), 4),
            "mrr": round(self.mrr, 4),
            "abstention_accuracy": round(self.abstention_accuracy, 4),
            "abstained": f"{self.abstentions}/{len(self.unanswerable)}",
            "false_abstentions": self.false_abstentions,
            "latency_ms_p50": round(1000 * latencies[len(latencies) // 2], 2) if latencies else 0.0,
            "per_question": [
                {"id": r.question.id, "answered": r.answered, "rank": r.rank, "ms": round(1000 * r.seconds, 2)}
                for r in self.results
            ],
        }


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
                    str(row.get("id", number)), str(row["question"]), tuple(row.get("answers", ())), row.get("lang", "")
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusbotError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def is_correct(passage: str, answers: Iterable[str]) -> bool:
    folded = fold(passage)
    return any(fold(answer) in folded for answer in answers)


def evaluate(questions: Iterable[EvalQuestion], ask: Callable[[str], Answer]) -> EvalReport:
    results = []
    for question in questions:
        started = time.perf_counter()
        answer = ask(question.question)
        elapsed = time.perf_counter() - started
        rank = next(
            (c.number for c in answer.citations if question.answers and is_correct(c.passage, question.answers)), None
        )
        results.append(EvalResult(question, answer.answered, rank, elapsed))
    return EvalReport(tuple(results))
