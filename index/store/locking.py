"""One process at a time on an embedded index: an OS lock on the index folder that dies with its holder."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from index.errors import IndexBusyError

LOCK_NAME = "corpusbot.lock"
_held: dict[Path, int] = {}  # folder -> file descriptor holding the lock, for this process
_guard = threading.Lock()


def _describe_self() -> str:
    command = " ".join(os.path.basename(arg) if i == 0 else arg for i, arg in enumerate(sys.argv[:3]))
    return f"pid {os.getpid()} ({command or 'python'}), since {datetime.now():%Y-%m-%d %H:%M:%S}"


def holder(folder: Path) -> str:
    """Who holds the lock on `folder`, as its holder wrote it (may be stale if nobody holds it)."""
    try:
        return (folder / LOCK_NAME).read_text(encoding="utf-8").strip() or "unknown process"
    except OSError:
        return "unknown process"


def acquire(folder: Path, wait_seconds: float) -> None:
    """Hold the exclusive lock on `folder` for the rest of this process (or until `release`).

    Re-entrant within one process. Waits up to `wait_seconds` for another process to let go, then
    raises `IndexBusyError` naming it. The OS drops the lock when the holder exits, even on kill -9.
    """
    folder = folder.resolve()
    with _guard:
        if folder in _held:
            return
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise IndexBusyError(folder, holder(folder)) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _describe_self().encode(), 0)
        _held[folder] = fd


def release(folder: Path) -> None:
    """Let go of the lock on `folder` if this process holds it."""
    folder = folder.resolve()
    with _guard:
        fd = _held.pop(folder, None)
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the flock
