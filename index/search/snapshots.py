"""A loaded index generation kept in the user's cache folder (the chunk table and the lexical index as arrays,
one file each), so that a process starting on an index it has loaded before neither reads every chunk from
the store nor stems it again: it maps the arrays, and every process on that index shares their pages."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import math
import mmap
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from index.disk_cache import cache_folder
from index.search.chunk_table import BUFFERS, COLUMNS, NUMBERS, ChunkColumns, ChunkTable
from index.search.lexical import LexicalArrays, LexicalIndex
from index.store.manifest import Manifest

log = logging.getLogger(__name__)

# Raised when what a kept snapshot holds changes shape (or the lexical index's terms): earlier copies are
# then never read. 2: a folder of arrays, mapped (1: one .npz, read whole); 3: the content part of the key
# no longer holds the store's address.
SNAPSHOT_FORMAT = 3
# How many snapshots are kept (the most recently used): several indexes, or generations, of one machine.
KEEP = 4
# A generation made from the previous one (a live change) is kept once no newer one came for this long: a
# burst of uploads or channel posts writes one copy, not one per change (1.3 GB at a million chunks, in the
# same two cores that index the next change). At exit, or on `flush`, what waits is written at once.
SETTLE_SECONDS = 30.0
# Copies are written by one worker thread, after the generation is answering; the interpreter waits for it
# at exit, so a one-shot `corpusbot ask` prints its answer first and keeps the copy for the next one.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keep-snapshot")
_pending: set[Future[None]] = set()
_pending_lock = threading.Lock()
_changed = threading.Condition(_pending_lock)  # a newer generation was asked for, or the wait must end
_hurry = threading.Event()  # write what waits now: the interpreter is exiting, or `flush` was called


def snapshot_key(store: str, manifest: Manifest, stem_by_language: bool) -> str:
    """The store's part, then what the chunks of a generation, and so its lexical index, depend on: how the
    index was built, and each document's version, title and language (not the generation number, nor the bars;
    chunk ids and texts follow from them). A newer generation of a store replaces the copy of an older one; a
    store at another address with the same content (an index folder now served by `chroma run`) reads it."""
    docs = sorted((doc_id, i.version, i.title, i.lang, i.chunks) for doc_id, i in manifest.docs.items())
    built = [manifest.model, manifest.chunk_size, manifest.chunk_overlap, manifest.chunker_version, manifest.centring]
    payload = json.dumps([SNAPSHOT_FORMAT, built, stem_by_language, docs], ensure_ascii=False)
    return f"{_digest(store)[:8]}-{_digest(payload)[:24]}"


def _store_part(key: str) -> str:
    """The part of a key (or a kept copy's folder name) that names the store."""
    return key.split("-")[0]


def _content_part(key: str) -> str:
    """The part of a key that names what the copy holds."""
    return key.split("-")[1]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _path(key: str) -> Path | None:
    folder = cache_folder()
    return None if folder is None else folder / "snapshots" / key


def save_later(key: str, chunks: ChunkTable, lexical: LexicalIndex, settle: float = 0.0) -> None:
    """`save`, in the writer thread: the caller answers meanwhile. Of several generations of one store asked
    for meanwhile, or within `settle` seconds of each other, only the latest is written. The memory the load
    and the copy used for a while is handed back to the system afterwards."""
    with _pending_lock:
        _latest[_store_part(key)] = key
        _changed.notify_all()
    future = _writer.submit(_save_and_release, key, chunks, lexical, settle)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


_latest: dict[str, str] = {}  # per store (the key's first part): the generation asked for last


def _save_and_release(key: str, chunks: ChunkTable, lexical: LexicalIndex, settle: float) -> None:
    until = time.monotonic() + settle
    with _changed:
        while _latest.get(_store_part(key)) == key and not _hurry.is_set() and (left := until - time.monotonic()) > 0:
            _changed.wait(left)
        if _latest.get(_store_part(key)) != key:
            return  # a newer generation of this store is on its way
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
    """Write the copies asked for so far now (none waits for changes to settle), and wait until they are."""
    with _pending_lock:
        pending = set(_pending)
    _hurry_now()
    try:
        wait(pending)
    finally:
        _hurry.clear()


def _hurry_now() -> None:
    """Copies waiting for changes to settle are written at once."""
    with _pending_lock:
        _hurry.set()
        _changed.notify_all()


# At exit, before the interpreter joins the writer thread (a plain `atexit` hook would run after that join).
getattr(threading, "_register_atexit", lambda hook: None)(_hurry_now)


def save(key: str, chunks: ChunkTable, lexical: LexicalIndex) -> None:
    """Keep `chunks` and the `lexical` index under `key` (a folder of .npy files and a JSON of names), unless
    they are kept already; a folder that cannot be written only costs the next start the time again. Older
    copies of the same store go."""
    path = _path(key)
    if path is None or path.exists():
        return
    postings, lengths, rules = lexical.in_pieces()
    doc_ids, versions, numeric, pieces = chunks.columns()
    names = {"doc_ids": doc_ids, "versions": versions, "terms": postings.terms, "rules": rules}
    arrays = {**numeric, "offsets": postings.offsets, "lengths": lengths}
    total = int(postings.offsets[-1])
    part: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = Path(tempfile.mkdtemp(dir=path.parent, suffix=".part"))
        for name, array in arrays.items():
            np.save(part / f"{name}.npy", np.ascontiguousarray(array))
        for name, parts in pieces.items():
            _write_pieces(part / f"{name}.npy", parts, sum(len(piece) for piece in parts), "|u1")
        _write_pieces(part / "positions.npy", postings.positions(), total, "<i4")
        _write_pieces(part / "tf.npy", postings.tf(), total, "<f4")
        (part / "names.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
        os.replace(part, path)
        part = None
        _prune(path.parent, key)
    except OSError as exc:
        log.debug("could not keep the snapshot %s: %s", path, exc)
    finally:
        if part is not None:
            shutil.rmtree(part, ignore_errors=True)


def _write_pieces(path: Path, pieces: Iterable[np.ndarray], total: int, dtype: str) -> None:
    """One array of `total` items made of `pieces` end to end, written as a .npy file piece by piece (no copy
    joins them, and pieces made when asked for are made one at a time)."""
    written = 0
    with path.open("wb") as out:
        np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False, "shape": (total,)})
        for piece in pieces:
            out.write(np.ascontiguousarray(piece, dtype=np.dtype(dtype)).data)
            written += len(piece)
    if written != total:
        raise OSError(f"{path.name}: {written} items written, {total} expected")


def load(key: str) -> tuple[ChunkTable, LexicalArrays] | None:
    """The chunk table and lexical arrays kept under `key` (or for another store with the same content), their
    large arrays mapped from disk; None when there are none or they cannot be read (or do not fit together)."""
    path = _path(key)
    if path is not None and not path.is_dir():  # the same content kept for the store at another address
        path = next((p for p in path.parent.glob(f"*-{_content_part(key)}") if p.is_dir()), path)
    if path is None or not path.is_dir():
        return None
    try:
        names = json.loads((path / "names.json").read_text(encoding="utf-8"))
        mapped = {name: _mapped(path / f"{name}.npy") for name in (*COLUMNS, "offsets", "positions", "tf", "lengths")}
        columns = ChunkColumns(names["doc_ids"], names["versions"], {name: mapped[name] for name in COLUMNS})
        lexical = LexicalArrays(
            names["terms"], mapped["offsets"], mapped["positions"], mapped["tf"], mapped["lengths"], names["rules"]
        )
        _check(columns, lexical)
        os.utime(path)  # recently used: kept
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("the kept snapshot %s cannot be read (%s): loading from the store", path, exc)
        shutil.rmtree(path, ignore_errors=True)  # kept again from that load
        return None
    return ChunkTable(columns), lexical


def _mapped(path: Path) -> np.ndarray:
    """The .npy file at `path` as a read-only array mapped from disk, read where it is used and nowhere else.

    A question reads a hundred passages and a few posting lists at places all over the copy: with the
    kernel's read-ahead each one mapped 64-128 KB around it, so after some hundreds of questions the whole
    copy counted in every process's memory (1.1 GB at a million chunks). Marked as read at random, a
    question maps the pages it reads."""
    with path.open("rb") as opened:
        version = np.lib.format.read_magic(opened)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(opened)
        offset = opened.tell()
        if fortran_order or dtype.hasobject:
            raise ValueError(f"{path.name} is not a plain array")
        pages = mmap.mmap(opened.fileno(), 0, access=mmap.ACCESS_READ)
    with contextlib.suppress(AttributeError, OSError):  # madvise: Linux and most Unix systems
        pages.madvise(mmap.MADV_RANDOM)
    return np.frombuffer(pages, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)


def _check(columns: ChunkColumns, lexical: LexicalArrays) -> None:
    """Raise ValueError unless the arrays fit together (a damaged or partly written copy)."""
    n = len(columns)
    sizes = {len(columns.arrays[name]) for name in NUMBERS} | {len(lexical.lengths), len(lexical.rules)}
    fits = sizes == {n} and len(columns.doc_ids) == len(columns.versions)
    for name in BUFFERS:
        offsets = columns.arrays[f"{name}_offsets"]
        fits = fits and len(offsets) == n + 1 and int(offsets[-1]) == len(columns.arrays[name])
    fits = (
        fits and len(lexical.offsets) == len(lexical.terms) + 1 and int(lexical.offsets[-1]) == len(lexical.positions)
    )
    fits = (
        fits
        and len(lexical.tf) == len(lexical.positions)
        and (n == 0 or int(columns.arrays["doc"].max()) < len(columns.doc_ids))
    )
    if not fits:
        raise ValueError("its arrays do not fit together")


def _prune(folder: Path, key: str) -> None:
    """Keep the `KEEP` most recently used copies, and of `key`'s store only `key`."""
    store = _store_part(key)
    kept = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.endswith(".part")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for number, stale in enumerate(kept):
        if number >= KEEP or (_store_part(stale.name) == store and stale.name != key):
            shutil.rmtree(stale, ignore_errors=True)
    for old in folder.glob("*.npz"):  # format 1
        old.unlink(missing_ok=True)
