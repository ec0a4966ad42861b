"""Each corpus file's content hash under its size and modification time, kept in the user's cache folder, so
that a process scanning a folder it (or another process) scanned before reads only the files that changed."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from index.disk_cache import cache_folder
from index.ingest.loaders import content_hash

log = logging.getLogger(__name__)

FORMAT = 1
# A file modified this recently when it was hashed is not kept on disk: on a file system that records times
# coarsely, another change within the same tick would keep its size and time (git's "racily clean" files).
SETTLED_NS = 2_000_000_000
# Saved again once this share of the files was read since the last save: a live corpus's single uploads do
# not rewrite the whole table each time (0.1 s at 5,674 files), and the next process reads at most as much.
RESAVE_SHARE = 0.05

Seen = tuple[int, int]  # size, modification time (ns)


class FileHashes:
    """The hashes of one corpus folder's files by document id, loaded on first use and saved by `keep`."""

    def __init__(self, corpus_dir: Path) -> None:
        folder = cache_folder()
        name = hashlib.sha256(str(corpus_dir.resolve()).encode()).hexdigest()[:20]
        self._path = None if folder is None else folder / "file-hashes" / f"{name}.json"
        self._known: dict[str, tuple[Seen, str]] | None = None
        self._read_since_save = 0

    def digest(self, doc_id: str, path: Path, read: Callable[[Path], bytes]) -> tuple[bytes | None, str]:
        """`path`'s content (None when its size and time are those it had when last hashed) and its hash;
        `read` reads it (and says why it cannot be)."""
        known = self._load()
        try:  # before reading: a change while it is read shows as another time next run
            stat = path.lstat()  # (not followed, as read_file does not follow it)
        except OSError:  # gone or unreadable: `read` says how
            data = read(path)
            return data, content_hash(data)
        seen = (stat.st_size, stat.st_mtime_ns)
        kept = known.get(doc_id)
        if kept is not None and kept[0] == seen:
            return None, kept[1]
        data = read(path)
        digest = content_hash(data)
        known[doc_id] = (seen, digest)
        self._read_since_save += 1
        return data, digest

    def keep(self, listed: set[str], scanned: Callable[[str], bool] | None = None) -> None:
        """Forget the files no longer `listed` (of those `scanned`, when only some paths were); save the rest
        for the next process when enough was read anew."""
        known = self._load()
        for gone in known.keys() - listed:
            if scanned is None or scanned(gone):
                del known[gone]
        if self._path is None or not self._read_since_save or self._read_since_save < RESAVE_SHARE * len(known):
            return
        settled = time.time_ns() - SETTLED_NS
        files = {doc_id: [*seen, digest] for doc_id, (seen, digest) in known.items() if seen[1] < settled}
        part: Path | None = None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self._path.parent, delete=False) as out:
                part = Path(out.name)
                json.dump({"format": FORMAT, "files": files}, out, ensure_ascii=False)
            os.replace(part, self._path)
            self._read_since_save = 0
        except OSError as exc:
            log.debug("could not keep the file hashes in %s: %s", self._path, exc)
            if part is not None:
                part.unlink(missing_ok=True)

    def forget(self) -> None:
        """Hash every file again (`corpusbot index --rebuild`)."""
        self._known = {}

    def _load(self) -> dict[str, tuple[Seen, str]]:
        if self._known is None:
            self._known = {}
            try:
                saved = json.loads(self._path.read_text(encoding="utf-8")) if self._path else {}
                if saved.get("format") == FORMAT:
                    self._known = {
                        doc_id: ((int(size), int(mtime)), str(digest))
                        for doc_id, (size, mtime, digest) in saved["files"].items()
                    }
            except FileNotFoundError:
                pass
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
                log.debug("the kept file hashes %s cannot be read (%s): hashing every file", self._path, exc)
        return self._known
