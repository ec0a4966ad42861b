"""The command line next to a process holding the embedded index: said at once, with who holds it and
what to do (a bot never lets go, so nothing is waited for)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store import locking
from tests.conftest import ROOT

pytestmark = pytest.mark.subprocess

HOLD = (
    "import sys, time, pathlib; sys.argv = {argv!r}; from index.store import locking; "
    "locking.acquire(pathlib.Path({folder!r}), 0); print('held', flush=True); time.sleep(60)"
)


def _hold(folder: Path, *argv: str) -> subprocess.Popen[str]:
    code = HOLD.format(argv=list(argv), folder=str(folder))
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _ask(index_dir: Path, wait: float) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "INDEX_DIR": str(index_dir), "INDEX_LOCK_WAIT": str(wait), "CORPUS_DIR": str(ROOT / "corpus")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "corpusbot", "ask", "x"], env=env, cwd=str(ROOT), capture_output=True, text=True
    )
    return done, time.monotonic() - started


def test_a_running_bot_is_named_at_once_with_what_to_do(tmp_path: Path) -> None:
    holder = _hold(tmp_path, "corpusbot", "serve")
    try:
        done, seconds = _ask(tmp_path, wait=300)
    finally:
        holder.kill()
    assert done.returncode == 2 and f"pid {holder.pid} (corpusbot serve)" in done.stderr
    assert "held by a running bot" in done.stderr and "Ask it on Telegram" in done.stderr
    assert seconds < 60  # not INDEX_LOCK_WAIT's 300 s: a bot never lets go


def test_waiting_for_another_command_is_said_before_it_is_done(tmp_path: Path) -> None:
    holder = _hold(tmp_path, "corpusbot", "index")
    try:
        done, _ = _ask(tmp_path, wait=1)
    finally:
        holder.kill()
    assert done.returncode == 2 and "waiting up to 1 s" in done.stderr
    assert done.stderr.index("waiting up to") < done.stderr.index("in use by another corpusbot process")
    assert not locking.serves(f"pid {holder.pid} (corpusbot index), since now")
