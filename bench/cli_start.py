"""How long the command line takes, whole process: `corpusbot ask`, `stats`, and `chat` up to its first
prompt and its first answer, on an index already built (the seed by default).

Each command runs `--runs` times in a fresh process; the table gives the median and lowest wall time and
the median CPU time (user + system) of the process, with a bare `python -c pass` as the floor.
    python -m bench.cli_start [--corpus corpus] [--index-dir .corpusbot] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "when does the deployment start?"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    cpu, started = _cpu(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, _cpu() - cpu


def _chat(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds to the first prompt, to the first answer, and the process's CPU seconds."""
    cpu, started = _cpu(), time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    seen = b""
    while not seen.endswith(b"? "):
        seen += process.stdout.read1(4096)
    prompt = time.perf_counter() - started
    process.stdin.write(QUESTION.encode() + b"\n")
    process.stdin.flush()
    seen = b""
    while not seen.endswith(b"? "):
        seen += process.stdout.read1(4096)
    answered = time.perf_counter() - started
    process.stdin.close()
    process.wait()
    return prompt, answered, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--index-dir", type=Path, default=Path(".corpusbot"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    base = [sys.executable, "-m", "corpusbot", "--corpus", str(args.corpus), "--index-dir", str(args.index_dir)]
    commands = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        f'ask "{QUESTION}"': [*base, "ask", QUESTION],
        "stats": [*base, "stats"],
    }
    print("| command | median s | lowest s | median CPU s |")
    print("|---|---|---|---|")
    for label, command in commands.items():
        runs = [_timed(command, env) for _ in range(args.runs)]
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"| {label} | {statistics.median(walls):.2f} | {min(walls):.2f} | {statistics.median(cpus):.2f} |")
    chats = [_chat([*base, "chat"], env) for _ in range(args.runs)]
    prompts, answers, cpus = zip(*chats, strict=True)
    print(f"| chat: first prompt | {statistics.median(prompts):.2f} | {min(prompts):.2f} | |")
    answer_row = f"{statistics.median(answers):.2f} | {min(answers):.2f} | {statistics.median(cpus):.2f}"
    print(f"| chat: first answer | {answer_row} |")


if __name__ == "__main__":
    main()
