"""From a file landing in the corpus folder to the first search that cites it first, through the folder watcher.

Works on a copy of an existing index (so nothing is spoilt), or with --in-place on the index itself (a large
one, whose copy would first load from the store; its files are removed again at the end): drops new
real-text documents one at a time (the seed article under a new title, with one sentence only it holds), and
times until a question about that sentence is answered from it. Prints p50/p95 and the index size.
Usage: python -m bench.live_latency --index-dir DIR --corpus DIR [--files 10] [--model e5-small-q4] [--in-place]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

from index.answer.answerer import build
from index.evaluation import percentile
from index.settings import Settings

SEED = Path(__file__).resolve().parent.parent / "corpus"
PLACES = (
    "Vatrenko",
    "Mirabosk",
    "Telundra",
    "Osgavir",
    "Pelkundo",
    "Rastovel",
    "Zimbaret",
    "Quorlen",
    "Dastruvik",
    "Halmoret",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--model", default="e5-small-q4")
    parser.add_argument("--in-place", action="store_true", help="on the index itself, not a copy")
    args = parser.parse_args()
    seed = next(SEED.iterdir()).read_text(encoding="utf-8").replace(" date 2023-06 ", "", 1)
    with tempfile.TemporaryDirectory() as work:
        corpus, index_dir = Path(work) / "corpus", Path(work) / "index"
        if args.in_place:
            corpus, index_dir = args.corpus, args.index_dir
        else:
            shutil.copytree(args.corpus, corpus)
            shutil.copytree(args.index_dir, index_dir)
        settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=index_dir, embedding_model=args.model)  # type: ignore[call-arg]
        components = build(settings)
        answerer = components.answerer()
        live = components.live(answerer)
        started = time.perf_counter()
        live.refresh()
        print(f"first refresh (catch-up, load) {time.perf_counter() - started:.1f} s", flush=True)
        chunks = sum(info.chunks for info in answerer.retriever.manifest.docs.values())
        changed = threading.Event()
        stop = live.start_watching(lambda report: changed.set())
        time.sleep(1.0)
        seconds = []
        for number in range(args.files):
            # A place name only this file holds (distinct first letters: no near spelling of another file's),
            # searched for alone: in the kernel's documentation "pont" finds "bridge" (the dictionary) first,
            # and a number alone does not single a file out where the corpus holds numbers everywhere.
            place = PLACES[number % len(PLACES)] + ("" if number < len(PLACES) else str(number))
            marker = f"Le pont de {place} sera repeint en vert par l'équipe Ostrander{number}."
            name = f"live-{number:03d}.txt"
            changed.clear()
            started = time.perf_counter()
            (corpus / name).write_text(f"title: Dépêche {number}\n\n{marker}\n\n{seed}", encoding="utf-8")
            while True:
                # The best passage, relevant or not: on a corpus of recombined sentences (bench.synthetic) the
                # index derives a bar no question reaches (every probe finds its sentence again elsewhere).
                passages = answerer.browse(place).passages  # a whole question may find its words elsewhere
                if passages and passages[0].doc_id == name:
                    break
                changed.wait(0.05)
            seconds.append(time.perf_counter() - started)
            print(f"{name}: answerable after {seconds[-1]:.2f} s", flush=True)
        stop.set()
        added = answerer.retriever.manifest.docs["live-000.txt"].chunks
        if args.in_place:  # as it was
            for number in range(args.files):
                (corpus / f"live-{number:03d}.txt").unlink()
            live.refresh()
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    peak, anonymous, files = (status[name].strip() for name in ("VmHWM", "RssAnon", "RssFile"))
    print(f"memory: peak {peak}, now anonymous {anonymous}, files {files}")
    print(
        f"index {chunks} chunks ({args.model}); {args.files} new documents of {added} chunks each: "
        f"p50 {percentile(seconds, 0.5):.2f} s, p95 {percentile(seconds, 0.95):.2f} s, max {max(seconds):.2f} s"
    )


if __name__ == "__main__":
    main()
