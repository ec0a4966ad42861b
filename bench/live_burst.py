"""Questions while the live corpus indexes: idle latency, then during a burst of channel posts and during
two large uploads, each question asked once (never asked before in the process), with the real model.

Documents and questions are real text from ../shared/eval-external (read there, written only to a
temporary folder): the index holds `--docs` articles; the posts are paragraphs of other articles; the
uploads are two whole other articles. Questions go to the answerer as the bot's answering workers call
it (no Telegram round trip), while the posts and uploads go through `LiveCorpus` as the handlers send them.
Usage: python -m bench.live_burst [--docs 12] [--posts 150] [--questions 30] [--model e5-small-q4]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

from index.answer.answerer import QuestionAnswerer, build
from index.evaluation import load_questions, percentile
from index.live import Added, LiveCorpus
from index.settings import Settings

EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-external"


def _timed(
    ask: Callable[[str], object], questions: Iterator[str], count: int, until: Callable[[], bool]
) -> list[float]:
    """Ask up to `count` fresh questions one after the other while `until()` is false; their latencies (ms)."""
    seconds: list[float] = []
    for question in questions:
        if len(seconds) >= count or until():
            break
        started = time.perf_counter()
        ask(question)
        seconds.append((time.perf_counter() - started) * 1000)
    return seconds


def _figures(label: str, latencies: list[float], idle: list[float] | None = None) -> str:
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    ratio = f", p95 {p95 / percentile(idle, 0.95):.2f}x idle" if idle else ""
    return f"{label}: {len(latencies)} questions, p50 {p50:.1f} ms, p95 {p95:.1f} ms{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=12)
    parser.add_argument("--posts", type=int, default=150)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--model", default="e5-small-q4")
    args = parser.parse_args()
    articles = sorted((EXTERNAL / "corpus").iterdir())
    indexed, rest = articles[: args.docs], articles[args.docs :]
    uploads, post_sources = rest[:2], rest[2:]
    paragraphs = [
        block.strip()
        for path in post_sources
        for block in path.read_text(encoding="utf-8").split("\n\n")[1:]
        if len(block.strip()) > 200
    ][: args.posts]
    asked = load_questions(EXTERNAL / "questions-fr.jsonl") + load_questions(EXTERNAL / "questions-en.jsonl")
    questions = iter(q.question for q in asked)
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus"
        corpus.mkdir()
        for path in indexed:
            shutil.copyfile(path, corpus / path.name)
        index_dir = Path(work) / "index"
        settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=index_dir, embedding_model=args.model)  # type: ignore[call-arg]
        components = build(settings)
        answerer: QuestionAnswerer = components.answerer()
        live: LiveCorpus = components.live(answerer)
        started = time.perf_counter()
        live.refresh()
        chunks = sum(info.chunks for info in answerer.retriever.manifest.docs.values())
        print(f"index: {args.docs} articles, {chunks} chunks ({args.model}) in {time.perf_counter() - started:.0f} s")
        answerer.ask("warm up")
        idle = _timed(answerer.ask, questions, args.questions, lambda: False)
        print(_figures("idle", idle), flush=True)

        started = time.perf_counter()
        written: list[Future[Added]] = [
            live.put(f"telegram/newsroom-{n}.txt", f"title: Post {n}\n\n{text}".encode())
            for n, text in enumerate(paragraphs)
        ]
        on_disk = len(list((corpus / "telegram").iterdir()))
        accepted = time.perf_counter() - started
        during = _timed(answerer.ask, questions, args.questions, lambda: all(f.done() for f in written))
        for future in written:
            future.result()
        indexed_after = time.perf_counter() - started
        print(
            f"burst of {len(paragraphs)} posts: all on disk in {accepted * 1000:.0f} ms ({on_disk} files), "
            f"all indexed after {indexed_after:.1f} s"
        )
        print(_figures("  questions during the burst", during, idle), flush=True)

        started = time.perf_counter()
        results: list[Added] = []
        threads = [
            threading.Thread(target=lambda path=path: results.append(live.add(path.name, path.read_bytes())))
            for path in uploads
        ]
        for thread in threads:
            thread.start()
        during = _timed(answerer.ask, questions, args.questions, lambda: not any(t.is_alive() for t in threads))
        for thread in threads:
            thread.join()
        sizes = ", ".join(f"{r.document.chunks} chunks" if r.document else r.problem for r in results)
        print(f"two uploads ({sizes}): indexed after {time.perf_counter() - started:.1f} s")
        print(_figures("  questions during the uploads", during, idle))


if __name__ == "__main__":
    main()
