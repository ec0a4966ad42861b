"""What conversations cost a standalone question: the same questions, each asked once, with and without one.

Two fresh processes over one index: one asks every question on its own (`ask`), the other as the next
turn of a conversation (`reply` after the previous question's turn). Prints p50/p95 of both, how many
questions were read as follow-ups, and the cost of reading a message (`conversation.read`) alone.
Usage: python -m bench.follow_up_cost --index-dir DIR --corpus DIR QUESTIONS.jsonl [...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from index.evaluation import load_questions, percentile


def run_side(args: argparse.Namespace, side: str) -> dict[str, float]:
    from index.answer.answerer import build
    from index.answer.conversation import Reading, Turn, read
    from index.settings import Settings

    settings = Settings(corpus_dir=args.corpus, index_dir=args.index_dir)  # type: ignore[call-arg]
    answerer = build(settings).answerer()
    answerer.ask("warm up")
    questions = [q.question for path in args.files for q in load_questions(path)]
    timings, follow_ups, previous = [], 0, None
    for question in questions:
        started = time.perf_counter()
        if side == "ask":
            answerer.ask(question)
        else:
            turn: Turn = answerer.reply(question, previous)
            follow_ups += bool(turn.answer.about)
            previous = turn
        timings.append(1000 * (time.perf_counter() - started))
    started = time.perf_counter()
    readings = [read(question) for question in questions]
    read_us = 1e6 * (time.perf_counter() - started) / len(questions)
    return {
        "questions": len(questions),
        "p50_ms": round(percentile(timings, 0.5), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "mean_ms": round(sum(timings) / len(timings), 2),
        "read_as_follow_up": follow_ups if side == "reply" else sum(r is not Reading.STANDALONE for r in readings),
        "read_us_per_question": round(read_us, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--side", choices=["ask", "reply"], help=argparse.SUPPRESS)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    if args.side:
        print(json.dumps(run_side(args, args.side)))
        return
    for side in ("ask", "reply", "ask", "reply"):  # each in a fresh process: every question asked cold
        command = [sys.executable, "-m", "bench.follow_up_cost", "--side", side]
        command += ["--index-dir", str(args.index_dir), "--corpus", str(args.corpus), *map(str, args.files)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        print(side, output.strip(), flush=True)


if __name__ == "__main__":
    main()
