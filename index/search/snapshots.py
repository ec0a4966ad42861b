"""A loaded index generation kept in the user's cache folder (chunk texts and metadata, the lexical index as
arrays), so that a process starting on an index it has loaded before neither reads every chunk from the
store nor stems it again."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from index.disk_cache import cache_folder
from index.search.lexical import LexicalArrays, LexicalIndex
from index.store.manifest import Manifest
from index.store.protocol import StoredChunk

log = logging.getLogger(__name__)

# Raised when what a kept snapshot holds changes shape (or the lexical index's terms): earlier copies are
# then never read.
SNAPSHOT_FORMAT = 1
# How many snapshots are kept (the most recently used): several indexes, or generations, of one machine.
KEEP = 4
# Copies are written by one worker thread, after the generation is answering; the interpreter waits for it
# at exit, so a one-shot `corpusbot ask` prints its answer first and keeps the copy for the next one.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keep-snapshot")
_pending: set[Future[None]] = set()
_pending_lock = threading.Lock()


def snapshot_key(store: str, manifest: Manifest, stem_by_language: bool) -> str:
    """What the chunks of a generation, and so its lexical index, depend on: the store, how the index was
    built, and each document's version, title and language (not the generation number, nor the bars)."""
    docs = sorted((doc_id, i.version, i.title, i.lang, i.chunks) for doc_id, i in manifest.docs.items())
    built = [manifest.model, manifest.chunk_size, manifest.chunk_overlap, manifest.chunker_version, manifest.centring]
    payload = json.dumps([SNAPSHOT_FORMAT, store, built, stem_by_language, docs], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _path(key: str) -> Path | None:
    folder = cache_folder()
    return None if folder is None else folder / "snapshots" / f"{key}.npz"


def save_later(key: str, chunks: list[StoredChunk], lexical: LexicalIndex) -> None:
    """`save`, in the writer thread: the caller answers meanwhile. The memory the load and the copy used
    for a while is handed back to the system afterwards."""
    future = _writer.submit(_save_and_release, key, chunks, lexical)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _save_and_release(key: str, chunks: list[StoredChunk], lexical: LexicalIndex) -> None:
    save(key, chunks, lexical)
    _release_free_memory()


def _release_free_memory() -> None:
    """Hand back to the system the heap that a load from the store and the copy leave free: glibc keeps it
    for the process otherwise (45 MB of 336 at 13.5k chunks). Nothing where the C library lacks it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _forget(future: Future[None]) -> None:
    with _pending_lock:
        _pending.discard(future)


def flush() -> None:
    """Wait until the copies asked for so far are written."""
    with _pending_lock:
        pending = set(_pending)
    wait(pending)


def save(key: str, chunks: list[StoredChunk], lexical: LexicalIndex) -> None:
    """Keep `chunks` and the `lexical` index under `key`, unless they are kept already; a folder that cannot
    be written only costs the next start the time again."""
    path = _path(key)
    if path is None or path.exists():
        return
    kept = lexical.arrays()
    listed = {"chunks": [[c.chunk_id, c.text, c.metadata] for c in chunks], "terms": kept.terms, "rules": kept.rules}
    arrays = {
        name: np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), np.uint8) for name, value in listed.items()
    }
    arrays.update(offsets=kept.offsets, positions=kept.positions, tf=kept.tf, lengths=kept.lengths)
    part: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".part") as out:
            part = Path(out.name)
            np.savez(out, **arrays)  # type: ignore[arg-type]
        os.replace(part, path)
        _prune(path.parent)
    except OSError as exc:
        log.debug("could not keep the snapshot %s: %s", path, exc)
        if part is not None:
            part.unlink(missing_ok=True)


def load(key: str) -> tuple[list[StoredChunk], LexicalArrays] | None:
    """The chunks and lexical arrays kept under `key`; None when there are none or they cannot be read."""
    path = _path(key)
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            listed = {name: json.loads(data[name].tobytes()) for name in ("chunks", "terms", "rules")}
            lexical = LexicalArrays(
                listed["terms"], data["offsets"], data["positions"], data["tf"], data["lengths"], listed["rules"]
            )
        os.utime(path)  # recently used: kept
    except (OSError, ValueError, KeyError) as exc:
        log.warning("the kept snapshot %s cannot be read (%s): loading from the store", path, exc)
        return None
    return [StoredChunk(chunk_id, text, meta) for chunk_id, text, meta in listed["chunks"]], lexical


def _prune(folder: Path) -> None:
    kept = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in kept[KEEP:]:
        stale.unlink(missing_ok=True)
