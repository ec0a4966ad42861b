"""The answer-or-refuse decision where it breaks: every question file of a dev corpus on one existing
index (each language pair reported apart), then leave-documents-out folds on the same index.

A fold hides a random tenth of the documents (from the dense results, the lexical side and the manifest,
as if they had never been indexed; the corpus-wide dense background stays the full index's) and asks
those documents' questions: hundreds of natural out-of-corpus questions, with near-names, in both
languages. A refusal is right; so is an answer whose cited passage holds the answer (it stands in
another document); anything else is a false answer.

Build the index once with `corpusbot index` (e.g. of `../shared/eval-mixed`'s corpus), then:
    python -m bench.trust --index-dir DIR --corpus DIR --set mixed [--folds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from index.answer.answerer import QuestionAnswerer, build
from index.evaluation import EvalQuestion, EvalReport, evaluate, is_correct, load_questions
from index.search.retriever import Retriever
from index.settings import Settings
from index.store.manifest import Manifest
from index.store.protocol import StoredChunk, VectorStore, document_of
from index.tuning import AnswerConfig, RelevanceRule, RetrievalConfig

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FILES = {
    "FR -> FR docs": SHARED / "eval-external" / "questions-fr.jsonl",
    "EN -> FR docs": SHARED / "eval-external" / "questions-en.jsonl",
    "EN -> EN docs": SHARED / "eval-english" / "questions-en.jsonl",
    "FR -> EN docs": SHARED / "eval-english" / "questions-fr.jsonl",
    "seed": SHARED / "eval" / "seed-questions.jsonl",
    "seed extra": ROOT / "tests" / "data" / "extra-questions.jsonl",
    "seed paraphrases": ROOT / "tests" / "data" / "seed-paraphrases.jsonl",
}
SETS = {"external": list(FILES)[:2], "english": list(FILES)[2:4], "mixed": list(FILES)[:4], "seed": list(FILES)[4:]}
# What was tried, one retrieval configuration each ("default" is the product's).
VARIANTS = {
    "default": RetrievalConfig(),
    # the bar the index derives for same-language passages (index/search/calibration.py) not applied
    "uncalibrated": RetrievalConfig(relevance=RelevanceRule(calibrated=False)),
    # only the rare capitalised words of a question must stand in the answering document
    "rare names only": RetrievalConfig(relevance=RelevanceRule(common_anchors=False)),
    "names one letter off": RetrievalConfig(relevance=RelevanceRule(strict_short_names=False)),
    "anchors up to zipf 4": RetrievalConfig(relevance=RelevanceRule(anchor_zipf_max=4.0)),
    "anchors up to zipf 5": RetrievalConfig(relevance=RelevanceRule(anchor_zipf_max=5.0)),
    "anchors of any frequency": RetrievalConfig(relevance=RelevanceRule(anchor_zipf_max=99.0)),
    # every document stemmed by the French Snowball rules, as before per-language stemming
    "french stems": RetrievalConfig(stem_by_language=False),
    "before": RetrievalConfig(
        relevance=RelevanceRule(language_weight=0.0, grounded_names=False), language_shift=0.0, bridge_weight=0.0
    ),
    "decision only": RetrievalConfig(language_shift=0.0, bridge_weight=0.0),
    "shift 0.5": RetrievalConfig(language_shift=0.5, bridge_weight=0.0),
    "language-blind decision": RetrievalConfig(relevance=RelevanceRule(language_weight=0.0)),
    "half-language decision": RetrievalConfig(relevance=RelevanceRule(language_weight=0.5)),
    "shift 1": RetrievalConfig(language_shift=1.0, bridge_weight=0.0),
    "shift 0.5 + bridge 0.3": RetrievalConfig(language_shift=0.5, bridge_weight=0.3),
    "shift 0.5 + bridge 0.5": RetrievalConfig(language_shift=0.5, bridge_weight=0.5),
    "shift 1 + bridge 0.5": RetrievalConfig(language_shift=1.0, bridge_weight=0.5),
    # On an index centred by language (index/centring.py), how much of the per-language background is left to move.
    "no shift": RetrievalConfig(language_shift=0.0),
    # passages in the other language than the question's judged against the floor alone
    "same-language bar only": RetrievalConfig(relevance=RelevanceRule(other_language_bar=False)),
    # one bar for passages in the question's language, whichever it is (before a bar per language)
    "one bar for both languages": RetrievalConfig(relevance=RelevanceRule(bar_by_language=False)),
    "shift 1 + bridge 0.3": RetrievalConfig(language_shift=1.0),
    # on an index in one language (no derived bar across languages): passages in the other language judged
    # against the floor alone, or against the full same-language bar (the default goes half way)
    "floor across languages": RetrievalConfig(relevance=RelevanceRule(underived_other_share=0.0)),
    "same bar across languages": RetrievalConfig(relevance=RelevanceRule(underived_other_share=1.0)),
    "0.25 of the bar across languages": RetrievalConfig(relevance=RelevanceRule(underived_other_share=0.25)),
    "0.75 of the bar across languages": RetrievalConfig(relevance=RelevanceRule(underived_other_share=0.75)),
    # a passage that holds every rare name of the question together counts no more, or this much more
    "no named-passage bonus": RetrievalConfig(relevance=RelevanceRule(named_passage_bonus=0.0)),
    "named-passage bonus 0.5": RetrievalConfig(relevance=RelevanceRule(named_passage_bonus=0.5)),
    "named-passage bonus 2": RetrievalConfig(relevance=RelevanceRule(named_passage_bonus=2.0)),
    "named-passage bonus unfocused too": RetrievalConfig(relevance=RelevanceRule(named_bonus_needs_focus=False)),
    "named-passage bonus for lower-case names": RetrievalConfig(relevance=RelevanceRule(named_in_capitals=False)),
    # a question that names nothing rare faces the same bar as one that does, or a higher one by this much
    "no unnamed margin": RetrievalConfig(relevance=RelevanceRule(unnamed_margin=0.0)),
    "unnamed margin 0.5": RetrievalConfig(relevance=RelevanceRule(unnamed_margin=0.5)),
    "unnamed margin in both languages": RetrievalConfig(relevance=RelevanceRule(unnamed_same_language_only=False)),
}


class HidingStore:
    """A `VectorStore` that shows an index as if some documents had never been indexed (reads only)."""

    def __init__(self, store: VectorStore, hidden: set[str]) -> None:
        self._store = store
        self._hidden = hidden
        self.description = store.description
        self.durable = False  # a view of another index: nothing of it is kept

    def read_manifest(self) -> Manifest | None:
        manifest = self._store.read_manifest()
        if manifest is None:
            return None
        return replace(manifest, docs={k: v for k, v in manifest.docs.items() if k not in self._hidden})

    def query(self, embedding: np.ndarray, n_results: int) -> list[tuple[str, float]]:
        """The nearest `n_results` chunks of the documents left: asked for more until enough are left (when
        most of an index is hidden, the nearest of all may all be hidden ones)."""
        wanted, total = 2 * n_results, self._store.count()
        while True:
            hits = self._store.query(embedding, min(wanted, total))
            kept = [(chunk_id, score) for chunk_id, score in hits if document_of(chunk_id) not in self._hidden]
            if len(kept) >= n_results or wanted >= total:
                return kept[:n_results]
            wanted *= 4

    def iter_chunks(self, page_size: int = 5000) -> Iterator[StoredChunk]:
        for chunk in self._store.iter_chunks(page_size):
            if chunk.doc_id not in self._hidden:
                yield chunk

    def chunks_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        return self._store.chunks_of([doc_id for doc_id in doc_ids if doc_id not in self._hidden])

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        return self._store.vectors(ids)

    def count(self) -> int:
        return self._store.count()

    def close(self) -> None:
        self._store.close()

    def __getattr__(self, name: str) -> Any:  # writes are not for a fold
        raise AttributeError(f"a fold's store is read-only ({name})")


def _row(label: str, report: EvalReport) -> dict[str, Any]:
    return {
        "set": label,
        "questions": len(report.results),
        "hit@1": round(report.hit_at(1), 3),
        "hit@3": round(report.hit_at(3), 3),
        "answer@1": round(report.answer_at_1, 3),
        "refused": f"{report.abstentions}/{len(report.unanswerable)}",
        "false refusals": f"{report.false_abstentions}/{len(report.answerable)}",
        "p50 ms": report.summary()["latency_ms_p50"],
        "p95 ms": report.summary()["latency_ms_p95"],
    }


def _fold(answerer: QuestionAnswerer, questions: list[EvalQuestion], label: str) -> dict[str, Any]:
    refused = elsewhere = wrong = 0
    for question in questions:
        answer = answerer.ask(question.question)
        if not answer.answered:
            refused += 1
        elif is_correct(answer.text + " " + answer.citations[0].passage, question.answers):
            elsewhere += 1
        else:
            wrong += 1
    total = len(questions)
    return {
        "fold": label,
        "questions": total,
        "refused": refused,
        "answered elsewhere": elsewhere,
        "false answers": wrong,
        "right": round((refused + elsewhere) / total, 3) if total else 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--set", choices=sorted(SETS), default="mixed")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--model", default="e5-small-q4")
    parser.add_argument("--variants", default="default", help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = Settings(_env_file=None, corpus_dir=args.corpus, index_dir=args.index_dir, embedding_model=args.model)  # type: ignore[call-arg]
    components = build(settings)
    questions = {label: load_questions(FILES[label]) for label in SETS[args.set]}
    results: dict[str, Any] = {}
    for variant in args.variants.split(","):
        config = VARIANTS[variant]

        def answerer(store: VectorStore, config: RetrievalConfig = config) -> QuestionAnswerer:
            return QuestionAnswerer(Retriever(components.embedder, store, config), AnswerConfig(top_k=5))

        full = answerer(components.store)
        rows = []
        for label, asked in questions.items():
            rows.append(_row(label, evaluate(asked, full.ask)))
            print(variant, json.dumps(rows[-1]), flush=True)
        docs = sorted(full.retriever.manifest.docs)
        folds = []
        for fold in range(args.folds):
            hidden = set(random.Random(fold).sample(docs, max(1, round(args.share * len(docs)))))
            hiding = answerer(HidingStore(components.store, hidden))  # type: ignore[arg-type]
            for label, asked in questions.items():
                orphaned = [q for q in asked if q.doc in hidden and q.answers]
                folds.append(_fold(hiding, orphaned, f"{fold}: {label}"))
                print(variant, json.dumps(folds[-1]), flush=True)
        results[variant] = {"sets": rows, "folds": folds}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
