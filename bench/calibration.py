"""The bar an index derives for itself (index/search/calibration.py), on corpora of several shapes carved
out of one existing mixed index: for each shape, the derived bar, then out-of-corpus refusals, false
refusals and leave-documents-out folds with and without it.

Shapes hide documents from the dense results, the lexical side and the manifest (bench.trust.HidingStore),
as if they had never been indexed. Build the mixed index once (`bash ../shared/eval-mixed/make-corpus.sh
DIR`, then `corpusbot --corpus DIR --index-dir IDX index`), then:
    python -m bench.calibration --index-dir IDX --corpus DIR [--shapes mixed,fr-only,en-only,small-40,small-10]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bench.trust import FILES, SETS, HidingStore
from index.answer.answerer import build
from index.evaluation import EvalQuestion, load_questions
from index.search.calibration import derive_bar
from index.search.retriever import Retriever
from index.settings import Settings
from index.store.manifest import Manifest
from index.tuning import RelevanceRule, RetrievalConfig


class ShapeStore(HidingStore):
    """A corpus carved out of an index, answering with the bar derived for that corpus."""

    bar = 0.0
    other_bar = 0.0
    language_bars: Mapping[str, float] = MappingProxyType({})

    def read_manifest(self) -> Manifest | None:
        manifest = super().read_manifest()
        return (
            None
            if manifest is None
            else replace(
                manifest,
                same_language_bar=self.bar,
                other_language_bar=self.other_bar,
                language_bars=self.language_bars,
            )
        )


def _shapes(docs: list[str], lang: dict[str, str]) -> dict[str, set[str]]:
    """Each shape as the documents it hides."""
    french, english = [d for d in docs if lang[d] == "fr"], [d for d in docs if lang[d] == "en"]
    pick = random.Random(5)
    small_40 = set(pick.sample(french, 24) + pick.sample(english, 16))
    small_10 = set(random.Random(9).sample(french, 6) + random.Random(9).sample(english, 4))
    return {
        "mixed": set(),
        "fr-only": set(english),
        "en-only": set(french),
        "small-40": set(docs) - small_40,
        "small-10": set(docs) - small_10,
    }


def _rates(retriever: Retriever, questions: dict[str, list[EvalQuestion]], hidden: set[str]) -> dict[str, int]:
    counts = {"answerable": 0, "false refusals": 0, "out of corpus": 0, "refused": 0}
    for asked in questions.values():
        for question in asked:
            if question.answers and question.doc in hidden:
                continue
            relevant = retriever.retrieve(question.question, 5).relevant
            if question.answers:
                counts["answerable"] += 1
                counts["false refusals"] += not relevant
            else:
                counts["out of corpus"] += 1
                counts["refused"] += not relevant
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--shapes", default="mixed,fr-only,en-only,small-40,small-10")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--model", default="e5-small-q4")
    args = parser.parse_args()
    settings = Settings(_env_file=None, corpus_dir=args.corpus, index_dir=args.index_dir, embedding_model=args.model)  # type: ignore[call-arg]
    components = build(settings)
    manifest = components.store.read_manifest()
    assert manifest is not None, "index the corpus first"
    docs = sorted(manifest.docs)
    lang = {doc: manifest.docs[doc].lang for doc in docs}
    questions = {label: load_questions(FILES[label]) for label in SETS["mixed"]}
    for name in args.shapes.split(","):
        carved = _shapes(docs, lang)[name]
        present = [d for d in docs if d not in carved]
        store = ShapeStore(components.store, carved)
        calibration = derive_bar(
            Retriever(components.embedder, store),
            RelevanceRule().floor(manifest.centred),
        )  # type: ignore[arg-type]
        store.bar, store.other_bar, store.language_bars = (
            calibration.bar,
            calibration.other_bar,
            calibration.language_bars,
        )
        row: dict[str, Any] = {
            "shape": name,
            "documents": len(present),
            "bar": round(calibration.bar, 2),
            "other bar": round(calibration.other_bar, 2),
            "language bars": {language: round(bar, 2) for language, bar in calibration.language_bars.items()},
        }
        rules = {
            "derived": RelevanceRule(),
            "one bar for both languages": RelevanceRule(bar_by_language=False),
            "floor": RelevanceRule(calibrated=False),
        }
        for label, rule in rules.items():
            config = RetrievalConfig(relevance=rule)
            counts = _rates(Retriever(components.embedder, store, config), questions, carved)  # type: ignore[arg-type]
            left_out = asked = 0
            for fold in range(args.folds):
                hidden = set(random.Random(fold).sample(present, max(1, round(0.1 * len(present)))))
                fold_store = ShapeStore(components.store, carved | hidden)
                fold_store.bar, fold_store.other_bar = calibration.bar, calibration.other_bar
                fold_store.language_bars = calibration.language_bars
                fold_retriever = Retriever(components.embedder, fold_store, config)  # type: ignore[arg-type]
                for asked_questions in questions.values():
                    for question in asked_questions:
                        if question.doc in hidden and question.answers:
                            asked += 1
                            left_out += not fold_retriever.retrieve(question.question, 5).relevant
            row[label] = {
                "false refusals": f"{counts['false refusals']}/{counts['answerable']}",
                "out of corpus refused": f"{counts['refused']}/{counts['out of corpus']}",
                "left out refused": f"{left_out}/{asked}",
            }
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
