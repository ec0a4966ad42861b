"""How fast a bundled engine encodes questions asked from one thread and from two, called directly or on
its own thread (index.engines.OneThreadEngine): prints p50 / p95 ms of each way, each in a process of its own
(an OpenMP team lives as long as the thread that started it).

    python -m bench.engine_threads [--model e5-small-q4] [--questions 120]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from index import engines
from index.evaluation import load_questions, percentile

WAYS = ("directly", "on its own thread")
EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-external"


def timed(encode: Callable[[str], Any], questions: list[str]) -> tuple[float, float]:
    times = []
    for question in questions:
        started = time.perf_counter()
        encode(question)
        times.append(1000 * (time.perf_counter() - started))
    return percentile(times, 0.5), percentile(times, 0.95)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="e5-small-q4", choices=sorted(engines.DIMENSIONS))
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--way", choices=WAYS, help="measure this way only, in this process")
    args = parser.parse_args()
    if args.way is None:
        print(f"{args.model}, {args.questions} questions, p50 / p95 ms of one question's encoding", flush=True)
        for way in WAYS:
            options = ["--model", args.model, "--questions", str(args.questions), "--way", way]
            subprocess.run([sys.executable, "-m", "bench.engine_threads", *options], check=True)
        return 0
    questions = [q.question for q in load_questions(EXTERNAL / "questions-fr.jsonl")][: args.questions]
    prompt = engines.E5_QUERY_PROMPT if args.model == "e5-small-q4" else ""
    wrapped = engines.start(args.model, 2)
    engine = wrapped if args.way == WAYS[1] else wrapped.engine

    def encode(question: str) -> Any:
        return engines.encode(args.model, engine, [question], prompt)

    encode("warm up")
    alone = timed(encode, questions)
    with ThreadPoolExecutor(1) as other:  # a second thread asks too, as the retriever's search threads do
        other.submit(encode, "warm up").result()
        both = timed(lambda q: other.submit(encode, q).result() if len(q) % 2 else encode(q), questions)
    print(f"  {args.way:18}  one thread {alone[0]:5.1f} / {alone[1]:5.1f}", end="")
    print(f"   two threads {both[0]:5.1f} / {both[1]:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
