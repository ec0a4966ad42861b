"""Guard the two-language gains on real text: French and English articles in one index, questions in both
languages over both, out-of-corpus ones, and a leave-documents-out fold, with the real default model.
Needs ../shared/eval-external and ../shared/eval-english (the dev sets; the figures are in bench/trust.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.trust import HidingStore
from index.answer.answerer import QuestionAnswerer, build
from index.embedding import Embedder
from index.evaluation import EvalQuestion, EvalReport, evaluate, is_correct, load_questions
from index.search.retriever import Retriever
from index.settings import Settings
from index.tuning import AnswerConfig, RelevanceRule
from tests.conftest import SHARED

FRENCH, ENGLISH = SHARED / "eval-external", SHARED / "eval-english"
pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not (FRENCH.exists() and ENGLISH.exists()),
        reason="../shared/eval-external and eval-english not beside the checkout",
    ),
]
HIDDEN = ("alaungpaya.txt", "france-info.txt", "tristan-da-cunha.txt")  # the fold's documents


def _shortest(folder: Path, questions: str, count: int) -> list[str]:
    """The `count` shortest documents that questions are asked about (a corpus that indexes in seconds)."""
    rows = [json.loads(line) for line in (folder / questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    asked = {row["doc"] for row in rows if row["doc"]}
    return sorted(asked, key=lambda doc: (folder / "corpus" / doc).stat().st_size)[:count]


def _questions(folder: Path, name: str, docs: set[str]) -> list[EvalQuestion]:
    questions = load_questions(folder / name)
    out_of_corpus = [q for q in questions if not q.answers][::4]
    return [q for q in questions if q.doc in docs] + out_of_corpus


@pytest.fixture(scope="module")
def mixed(default_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    french, english = _shortest(FRENCH, "questions-fr.jsonl", 12), _shortest(ENGLISH, "questions-en.jsonl", 8)
    corpus = tmp_path_factory.mktemp("mixed-corpus")
    for folder, docs in ((FRENCH, french), (ENGLISH, english)):
        for name in docs:
            shutil.copyfile(folder / "corpus" / name, corpus / name)
    settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("mixed-index"))  # type: ignore[call-arg]
    components = build(settings, embedder=default_embedder)
    components.indexer().run(corpus)
    calibration = components.calibrate()  # as `corpusbot index` does
    assert calibration is not None and calibration.bar >= RelevanceRule().centred_floor  # the index is centred
    return {
        "components": components,
        "FR->FR": _questions(FRENCH, "questions-fr.jsonl", set(french)),
        "EN->FR": _questions(FRENCH, "questions-en.jsonl", set(french)),
        "EN->EN": _questions(ENGLISH, "questions-en.jsonl", set(english)),
        "FR->EN": _questions(ENGLISH, "questions-fr.jsonl", set(english)),
    }


def _report(mixed: dict[str, object], pair: str) -> EvalReport:
    components = mixed["components"]
    return evaluate(mixed[pair], components.answerer(top_k=5).ask)  # type: ignore[arg-type, attr-defined]


# Measured (this subset, 155 chunks): hit@1/hit@3, refused, false refusals — FR->FR 0.94/1.0, 6/6, 0;
# EN->FR 0.75/0.81, 6/6, 2; EN->EN 0.81/0.94, 8/8, 1; FR->EN 0.81/0.94, 6/8, 1 (2026-12-06, with the
# everyday capitalised words and the name closeness of the decision; before: EN->FR 0.81/0.88, 6/6, 1;
# EN->EN 0.88/1.0, 7/8, 0; FR->EN 0.75/0.88, 4/8, 2). With vectors centred by language (index/centring.py):
# FR->EN 0.875/0.94, 6/8, 1; EN->EN 0.81/0.94, 7/8, 1; the others unchanged; 3 of 12 left-out questions answered
# from another document, as before. With the two derived bars (2026-12-07) it passes the same bars.
# Bars sit a question lower.
BARS = {  # pair: (hit@1, hit@3, out-of-corpus questions refused, false refusals at most)
    "FR->FR": (0.875, 0.9375, 5, 1),
    "EN->FR": (0.6875, 0.75, 5, 3),
    "EN->EN": (0.75, 0.875, 7, 2),
    "FR->EN": (0.8125, 0.875, 5, 2),
}


@pytest.mark.parametrize("pair", list(BARS))
def test_questions_in_both_languages_over_documents_in_both(mixed: dict[str, object], pair: str) -> None:
    report = _report(mixed, pair)
    hit1, hit3, refused, false_refusals = BARS[pair]
    assert report.hit_at(1) >= hit1 and report.hit_at(3) >= hit3
    assert report.abstentions >= refused and report.false_abstentions <= false_refusals


def test_questions_about_documents_left_out_are_not_answered_from_others(mixed: dict[str, object]) -> None:
    components = mixed["components"]
    store = HidingStore(components.store, set(HIDDEN))  # type: ignore[attr-defined]
    answerer = QuestionAnswerer(Retriever(components.embedder, store), AnswerConfig(top_k=5))  # type: ignore[arg-type, attr-defined]
    asked = [q for pair in ("FR->FR", "EN->FR", "EN->EN", "FR->EN") for q in mixed[pair] if q.doc in HIDDEN]  # type: ignore[attr-defined]
    wrong = []
    for question in asked:
        answer = answerer.ask(question.question)
        if answer.answered and not is_correct(answer.text + " " + answer.citations[0].passage, question.answers):
            wrong.append(question.id)
    # Measured: 3 of 12 answered from another document (5 before the decision required the everyday
    # capitalised words and closer name spellings; the dev folds: 56 % of such questions refused or
    # answered from a document that holds the answer, 35 % before). The bar guards against worse.
    assert len(asked) == 12 and len(wrong) <= 4, wrong
