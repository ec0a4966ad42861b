"""One process at a time on an embedded index: an OS lock on the index folder that dies with its holder."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable
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


def serves(holder: str) -> bool:
    """Whether the holder is a bot or a chat: it keeps the index for as long as it runs."""
    command = holder.partition("(")[2].partition(")")[0].split()
    return "serve" in command or "chat" in command


def acquire(folder: Path, wait_seconds: float, on_wait: Callable[[str], None] = lambda holder: None) -> None:
    """Hold the exclusive lock on `folder` for the rest of this process (or until `release`).

    Re-entrant within one process. Waits up to `wait_seconds` for another process to let go (telling
    `on_wait` who it waits for), then raises `IndexBusyError` naming it; at once when the holder is a
    bot or a chat, which never lets go. The OS drops the lock when the holder exits, even on kill -9.
    """
    folder = folder.resolve()
    with _guard:
        if folder in _held:
            return
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                held_by = holder(folder)
                if time.monotonic() >= deadline or serves(held_by):
                    os.close(fd)
                    raise IndexBusyError(folder, held_by, serves(held_by)) from None
                if not told:
                    on_wait(held_by)
                    told = True
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
