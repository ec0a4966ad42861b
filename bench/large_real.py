"""Cold answer latency and indexing throughput on ≥ 100k chunks of real documents (`make bench-large`).

Builds the corpus with `bench.real_corpus` (the external articles, French man pages, Debian and Python
documentation: real vocabulary and lengths), indexes it with corpusbot as shipped, and then:
  - indexing throughput against raw encoding of a sample of the same chunks by the same model;
  - every external question (FR and EN, 444, none asked before in this process) against the large
    index: answer latency p50/p95, against the floor of one query encoding plus one Chroma query
    measured in the same run, and hit@1/hit@3/refusals with ~95k chunks of distractors around the
    156 articles.
Indexing resumes where an interrupted run stopped, and a larger `--chunks` only adds documents to
what a smaller one indexed (an e5 index of 100k chunks takes hours on two cores, so it can be grown in steps
and over several sessions): the work folder lives outside the checkout, `--work`, default
/var/tmp/corpusbot-large.

    python -m bench.large_real [--model usem3] [--chunks 100000] [--work DIR] [--index-only]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.quality import EXTERNAL, run
from bench.real_corpus import build as build_corpus
from index.answer.answerer import build
from index.evaluation import load_questions, percentile
from index.ingest.chunking import chunk_document
from index.ingest.loaders import load_corpus
from index.settings import Settings
from index.text import with_title

DEFAULT_WORK = Path("/var/tmp/corpusbot-large")


def _progress(started: float) -> Any:
    shown = {"step": -1}

    def report(done: int, total: int) -> None:
        step = 20 * done // max(total, 1)
        if step != shown["step"]:
            shown["step"] = step
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"  embedded {done:,} / {total:,} chunks ({rate:.1f} chunks/s)", flush=True)

    return report


def raw_encode_rate(settings: Settings, components: Any, corpus: Path, sample: int = 512) -> float:
    """Chunks per second when the model encodes a random sample of this corpus's chunks, nothing else."""
    documents = load_corpus(corpus, settings.max_file_bytes).documents
    texts = [
        with_title(document.title, chunk.text)
        for document in documents
        for chunk in chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    ]
    picked = random.Random(7).sample(texts, min(sample, len(texts)))
    components.embedder.embed(picked[:8])  # warm the model up
    started = time.perf_counter()
    for start in range(0, len(picked), 64):
        components.embedder.embed(picked[start : start + 64])
    return len(picked) / (time.perf_counter() - started)


def _rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=Settings(_env_file=None).embedding_model)  # type: ignore[call-arg]
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--index-only", action="store_true", help="build or resume the index, measure nothing")
    parser.add_argument(
        "--dirs",
        type=Path,
        nargs=2,
        metavar=("CORPUS", "INDEX"),
        help="measure this corpus and index instead (bench.copied_index's, say); --chunks only names the results",
    )
    args = parser.parse_args(argv)
    if not EXTERNAL.exists():
        print(f"{EXTERNAL} not found: the large bench needs ../shared beside the checkout.", file=sys.stderr)
        return 2
    # Sources come in a fixed order, so a smaller corpus is the start of a larger one and the index
    # (one per model) grows with it: a larger --chunks embeds only the documents it adds.
    corpus, index_dir = args.dirs or (args.work / f"corpus-{args.chunks}", args.work / f"index-{args.model}")
    if not args.dirs:
        build_corpus(corpus, args.chunks, Settings(_env_file=None))  # type: ignore[call-arg]  # same bytes again
    settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=index_dir, embedding_model=args.model)  # type: ignore[call-arg]
    components = build(settings)
    started = time.perf_counter()
    report = components.indexer().run(corpus, progress=_progress(started))
    row: dict[str, Any] = {
        "model": args.model,
        "documents": report.documents,
        "chunks": report.chunks,
        "index_seconds": round(report.seconds, 1),
        "embedded_chunks": report.embedded_chunks,
        "reused_chunks": report.reused_chunks,
    }
    print(
        f"index: {report.documents:,} documents, {report.chunks:,} chunks; this run embedded "
        f"{report.embedded_chunks:,} ({report.reused_chunks:,} kept from an earlier run) in {report.seconds:.0f} s",
        flush=True,
    )
    if args.index_only:
        return 0
    if report.embedded_chunks >= 1000:
        row["index_chunks_per_s"] = round(report.embedded_chunks / report.seconds, 1)
        row["raw_encode_chunks_per_s"] = round(raw_encode_rate(settings, components, corpus), 1)
        row["index_over_raw"] = round(row["index_chunks_per_s"] / row["raw_encode_chunks_per_s"], 2)
        print(
            f"  indexing {row['index_chunks_per_s']} chunks/s, raw encoding {row['raw_encode_chunks_per_s']}"
            f" chunks/s: {row['index_over_raw']}",
            flush=True,
        )

    if report.embedded_chunks == 0:
        row["unchanged_reindex_seconds"] = round(report.seconds, 2)
    answerer = components.answerer(top_k=5)
    loaded = time.perf_counter()
    answerer.retriever.reload()
    row["load_seconds"] = round(time.perf_counter() - loaded, 1)
    row["rss_after_load_mb"] = _rss_mb()
    for language in ("fr", "en"):
        questions = load_questions(EXTERNAL / f"questions-{language}.jsonl")
        summary = run(answerer, questions).summary()  # type: ignore[arg-type]
        floor = []
        for question in questions:  # a pass of its own: one query encoding plus one Chroma query
            begun = time.perf_counter()
            components.store.query(components.embedder.embed_query(question.question), 50)
            floor.append(1000 * (time.perf_counter() - begun))
        row[language] = {
            key: summary[key]
            for key in (
                "hit@1",
                "hit@3",
                "mrr",
                "answer@1",
                "abstained",
                "false_abstentions",
                "latency_ms_p50",
                "latency_ms_p95",
            )
        }
        row[language]["floor_ms_p50"] = round(percentile(floor, 0.5), 2)
        row[language]["floor_ms_p95"] = round(percentile(floor, 0.95), 2)
        row[language]["p95_over_floor"] = round(summary["latency_ms_p95"] / row[language]["floor_ms_p95"], 2)
        print(f"  {language}: {json.dumps(row[language])}", flush=True)
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out = args.work / f"large-{args.chunks}-{args.model}.json"
    out.write_text(json.dumps(row, indent=2), encoding="utf-8")
    print(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
