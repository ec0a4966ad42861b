"""Guard the gains on a real corpus: 30 short external articles, 40 questions written by others, FR and EN,
out-of-corpus ones included, with the real default model. Needs ../shared/eval-external."""

from __future__ import annotations

import shutil

import pytest

from index.answer.answerer import QuestionAnswerer, build
from index.embedding import Embedder
from index.evaluation import EvalQuestion, EvalReport, evaluate, load_questions
from index.settings import Settings
from tests.conftest import SHARED

EXTERNAL = SHARED / "eval-external"
pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not EXTERNAL.exists(), reason="../shared/eval-external not beside the checkout"),
]


SHORT = 12_000  # bytes: documents up to this size (half of the corpus) keep the index to ~30 s of embedding


def _subset() -> tuple[list[str], list[EvalQuestion]]:
    """16 answerable French questions spread over the documents of at most SHORT bytes and every 5th
    out-of-corpus one (4), the same ids in English, and 30 documents: the gold ones, then other short ones
    in name order as distractors."""
    corpus = EXTERNAL / "corpus"
    short = {path.name for path in corpus.iterdir() if path.stat().st_size <= SHORT}
    french = load_questions(EXTERNAL / "questions-fr.jsonl")
    english = {q.id.removesuffix("-en"): q for q in load_questions(EXTERNAL / "questions-en.jsonl")}
    candidates = sorted((q for q in french if q.answers and q.doc in short), key=lambda q: q.id)
    answerable = candidates[:: len(candidates) // 16][:16]
    unanswerable = sorted((q for q in french if not q.answers), key=lambda q: q.id)[::5][:4]
    chosen = answerable + unanswerable
    docs = sorted({q.doc for q in answerable if q.doc})
    for name in sorted(short):
        if len(docs) >= 30:
            break
        if name not in docs:
            docs.append(name)
    return docs, chosen + [english[q.id] for q in chosen]


@pytest.fixture(scope="module")
def external(default_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> tuple[QuestionAnswerer, list]:  # type: ignore[type-arg]
    docs, questions = _subset()
    corpus = tmp_path_factory.mktemp("external-corpus")
    for name in docs:
        shutil.copyfile(EXTERNAL / "corpus" / name, corpus / name)
    settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("external-index"))  # type: ignore[call-arg]
    components = build(settings, embedder=default_embedder)
    components.indexer().run(corpus)
    return components.answerer(top_k=5), questions


def _report(external: tuple[QuestionAnswerer, list], lang: str) -> EvalReport:  # type: ignore[type-arg]
    answerer, questions = external
    return evaluate([q for q in questions if q.lang == lang], answerer.ask)


def test_french_questions_on_a_real_corpus(external: tuple[QuestionAnswerer, list]) -> None:  # type: ignore[type-arg]
    report = _report(external, "fr")
    assert len(report.answerable) == 16 and len(report.unanswerable) == 4
    # Measured 14/16 at 1 and 3, answer@1 12/16, 4/4 refused and one false refusal (a count question about
    # Japan's forced conscription), twice the same; the bars sit a question lower where runs may differ.
    assert report.hit_at(1) >= 0.8125 and report.hit_at(3) >= 0.8125
    assert report.abstentions == 4 and report.false_abstentions <= 1
    assert report.answer_at_1 >= 0.6875


def test_english_questions_over_french_documents(external: tuple[QuestionAnswerer, list]) -> None:  # type: ignore[type-arg]
    report = _report(external, "en")
    # Measured 13/16 at 1, 14/16 at 3, answer@1 10/16, 4/4 refused, the same one false refusal.
    assert report.hit_at(1) >= 0.75 and report.hit_at(3) >= 0.8125
    assert report.abstentions == 4 and report.false_abstentions <= 1
    assert report.answer_at_1 >= 0.5625
