"""Uploads in flight, on disk: who sent which file, so that a process killed mid-upload can tell them later."""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingUpload:
    """A file being added: its sender (a chat to tell), the name they gave it, and where it goes."""

    token: str
    sender: int
    name: str
    doc_id: str


class UploadJournal:
    """A small JSON file of the uploads under way; entries go when their upload is done."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def begin(self, sender: int, name: str, doc_id: str) -> str:
        with self._lock:
            entries = self._read()
            upload = PendingUpload(secrets.token_hex(8), sender, name[:300], doc_id)
            self._write([*entries, upload])
            return upload.token

    def end(self, token: str) -> None:
        with self._lock:
            self._write([entry for entry in self._read() if entry.token != token])

    def take_left_over(self) -> list[PendingUpload]:
        """The uploads a previous process began and never finished; the journal is emptied."""
        with self._lock:
            entries = self._read()
            if entries:
                self._write([])
            return entries

    def _read(self) -> list[PendingUpload]:
        try:
            rows = json.loads(self._path.read_text(encoding="utf-8"))
            return [PendingUpload(**row) for row in rows]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError) as exc:  # a damaged journal: nobody to tell, nothing lost
            log.warning("unreadable upload journal %s: %s", self._path, exc)
            return []

    def _write(self, entries: list[PendingUpload]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        hidden = self._path.with_name(f".{self._path.name}.{secrets.token_hex(4)}")
        hidden.write_text(json.dumps([asdict(entry) for entry in entries]), encoding="utf-8")
        os.replace(hidden, self._path)
