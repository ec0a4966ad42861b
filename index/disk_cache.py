"""Tables corpusbot derives from installed data (the dictionary bridge, the common-word list), kept on disk
between runs so that a command does not derive them again at each start (about a second each)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Raised when what the cached builders derive changes shape: every earlier copy is then derived again.
CACHE_VERSION = 1


def cache_folder() -> Path | None:
    """`$XDG_CACHE_HOME/corpusbot`, else `~/.cache/corpusbot` (read when called, never at import); None
    when neither names an absolute folder (no home directory): nothing is kept then."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"))
    return base / "corpusbot" if base.is_absolute() else None


def file_key(path: Path) -> tuple[str, int, int]:
    """What says that an input file is still the one a table was derived from: its path, size and time."""
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def cached_json(name: str, key: Any, build: Callable[[], Any]) -> Any:
    """`build()`, or what an earlier run saved as JSON for the same `name` and `key` (a JSON-able
    description of the inputs). A copy that cannot be read is derived again; one that cannot be written
    (a read-only home) only costs the next run the same time."""
    folder = cache_folder()
    if folder is None:
        return build()
    digest = hashlib.sha256(json.dumps([CACHE_VERSION, name, key], sort_keys=True).encode()).hexdigest()[:20]
    path = folder / f"{name}-{digest}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    part: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".part") as out:
            part = Path(out.name)
            json.dump(value, out, ensure_ascii=False)
        os.replace(part, path)
    except OSError as exc:
        log.debug("could not keep %s: %s", path, exc)
        if part is not None:
            part.unlink(missing_ok=True)  # a half-written copy (a full disk) is not left behind
    return value
