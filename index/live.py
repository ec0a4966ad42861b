"""A live corpus: documents added, changed or removed while answering, indexed at once (folder or uploads)."""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path, PurePath

from index.errors import IndexBusyError, IndexNotBuiltError
from index.ingest.indexer import Indexer
from index.ingest.loaders import SUPPORTED_SUFFIXES, write_file
from index.models import DocumentInfo, IndexReport
from index.search.calibration import calibrate
from index.search.retriever import Retriever
from index.tuning import WATCH_DEBOUNCE_MS
from index.uploads import PendingUpload, UploadJournal

log = logging.getLogger(__name__)

UPLOADABLE = SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class Added:
    """What adding a document did: the indexed document, or why nothing was added."""

    document: DocumentInfo | None = None
    problem: str = ""


def safe_name(file_name: str) -> str:
    """A corpus file name from an untrusted one: no folders, plain letters, digits and dashes, known suffix."""
    pure = PurePath(file_name.replace("\\", "/")).name
    stem, suffix = os.path.splitext(pure)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem).strip("-")[:80] or "document"
    return f"{slug}{suffix.lower()}"


_INTERRUPTED = "the bot stopped while adding it; please send it again"


def unsupported_upload() -> str:
    return f"only {', '.join(UPLOADABLE)} files can be added"


class LiveCorpus:
    """Keeps one index in step with its corpus folder while a bot or a chat answers from it.

    Every change goes through `refresh` (one at a time): an incremental `corpusbot index` run, then the
    retriever's snapshot is reloaded, so the next question sees the new generation. Changes that arrive
    while a refresh runs (a burst of channel posts, uploads, file events) share the next one: a file is
    on disk at once, and a burst costs a few refreshes, not one per file."""

    def __init__(
        self,
        indexer: Indexer,
        retriever: Retriever,
        corpus_dir: Path,
        max_bytes: int,
        journal: UploadJournal | None = None,
    ) -> None:
        self._indexer = indexer
        self._journal = journal  # uploads under way, for a process killed mid-upload to tell their senders
        self._retriever = retriever
        self.corpus_dir = corpus_dir
        self._root = corpus_dir.resolve()  # where every file we write or remove must stay
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._wanted = threading.Condition()
        self._next: Future[IndexReport] | None = None  # the refresh that has been asked for, not yet started
        self._next_paths: set[str] | None = None  # the corpus paths it must look at (None: the whole folder)
        self._refresher: threading.Thread | None = None
        self.watching = threading.Event()  # set while the folder is watched: a change from then on is seen
        self.caught_up: Future[IndexReport] | None = None  # the start's catch-up, when it runs in the background

    def refresh_soon(self, paths: Iterable[str] | None = None) -> Future[IndexReport]:
        """A refresh that starts after this call, run by the corpus's own thread (never an answering
        one); calls made before it starts share it. `paths`: the corpus paths that changed, when the
        caller knows them (the refresh then looks at those alone); None looks at the whole folder."""
        with self._wanted:
            if self._next is None:
                self._next = Future()
                self._next_paths = None if paths is None else set(paths)
                self._wanted.notify()
            elif self._next_paths is not None:
                self._next_paths = None if paths is None else self._next_paths | set(paths)
            if self._refresher is None:
                self._refresher = threading.Thread(target=self._refresh_forever, name="corpus-refresh", daemon=True)
                self._refresher.start()
            return self._next

    def _refresh_forever(self) -> None:
        _yield_to_answers()
        while True:
            with self._wanted:
                while self._next is None:
                    self._wanted.wait()
                future, self._next = self._next, None
                paths, self._next_paths = self._next_paths, None
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self.refresh(paths))
            except BaseException as exc:  # handed to whoever waits for it
                future.set_exception(exc)

    def refresh(self, paths: Iterable[str] | None = None) -> IndexReport:
        """Index what changed in the folder (in `paths` alone, when given) and answer from it from now on."""
        with self._lock:
            report = self._indexer.run(self.corpus_dir, only=paths)
            if report.changed:
                try:
                    self._retriever.reload()
                    calibrate(self._retriever)  # when the corpus grew or shrank by a tenth since it last was
                except IndexNotBuiltError:  # the last document went: questions now say so
                    self._retriever.clear()
            return report

    def catch_up(self) -> None:
        """Index what changed while no one watched (a bot killed mid-upload, files copied meanwhile),
        unless another process is the writer (it will)."""
        try:
            _log_catch_up(self.refresh())
        except IndexBusyError as exc:
            _log_catch_up(exc)

    def catch_up_soon(self) -> Future[IndexReport]:
        """`catch_up` in the corpus's own thread, so that a bot answers from the index as it stands while
        the folder is scanned (0.3–0.7 s for 5,674 files, growing with them); `caught_up` is this refresh."""
        future = self.refresh_soon()
        future.add_done_callback(lambda done: _log_catch_up(done.exception() or done.result()))
        self.caught_up = future
        return future

    def add(self, file_name: str, data: bytes, sender: int | None = None) -> Added:
        """Store an uploaded file under a safe name in the corpus and index it; a file that cannot be
        used is removed again, and nothing else changes. With a `sender`, the upload is journalled until
        done, so that if this process dies meanwhile the next one can tell them (`interrupted_uploads`)."""
        name = safe_name(file_name)
        if not name.endswith(UPLOADABLE):
            return Added(problem=unsupported_upload())
        if len(data) > self.max_bytes:
            return Added(problem=f"the file is larger than {self.max_bytes / 1e6:g} MB")
        return self._store_and_index(self._free_path(name, data), data, sender, file_name)  # unusable: removed

    def save(self, doc_id: str, data: bytes, sender: int | None = None, label: str = "") -> Added:
        """Store `data` as the document `doc_id` (a path of our own making: a fetched page's) and index it,
        replacing what was there; if it cannot be used, what was there before comes back and nothing else
        changes. `label` (the page's address) is what the upload journal tells the sender after a restart."""
        path = self._inside(doc_id)
        if path is None:
            return Added(problem="not a place in the corpus")
        if len(data) > self.max_bytes:
            return Added(problem=f"the file is larger than {self.max_bytes / 1e6:g} MB")
        before = path.read_bytes() if path.is_file() else None
        return self._store_and_index(path, data, sender, label or doc_id, restore=before)

    def _store_and_index(
        self, path: Path, data: bytes, sender: int | None, label: str, restore: bytes | None = None
    ) -> Added:
        """Write `path` and index it now, journalled under `label` for a `sender`; a file that cannot be used
        is put back to `restore` (or removed), and the corpus indexed again as it was."""
        doc_id = path.relative_to(self._root).as_posix()
        journal = self._journal if sender is not None else None
        token = journal.begin(sender, label, doc_id) if journal is not None and sender is not None else None
        try:
            added = self._indexed(self._write(path, data), self.refresh_soon([doc_id]).result())
            if added.problem:
                if restore is None:
                    path.unlink(missing_ok=True)
                else:
                    self._write(path, restore)
                self.refresh_soon([doc_id]).result()
            return added
        finally:
            if token is not None and journal is not None:
                journal.end(token)

    def interrupted_uploads(self) -> list[tuple[PendingUpload, Added]]:
        """Uploads a previous process began and never confirmed (it was killed), with what became of each
        now that the folder has been caught up on: indexed, or not in the corpus."""
        if self._journal is None:
            return []
        left = self._journal.take_left_over()
        try:
            docs = self._retriever.manifest.docs if left else {}
        except IndexNotBuiltError:
            docs = {}
        return [
            (upload, Added(document=docs[upload.doc_id]) if upload.doc_id in docs else Added(problem=_INTERRUPTED))
            for upload in left
        ]

    def put(self, doc_id: str, data: bytes) -> Future[Added]:
        """Write (or replace) the document `doc_id` — a path of our own making, e.g. a channel post's — now,
        and index it with the next refresh; the future says how that went."""
        done: Future[Added] = Future()
        path = self._inside(doc_id)
        if path is None or len(data) > self.max_bytes:
            done.set_result(Added(problem="not a place in the corpus, or too large"))
            return done
        written = self._write(path, data)

        def indexed(refresh: Future[IndexReport]) -> None:
            try:
                done.set_result(self._indexed(written, refresh.result()))
            except Exception as exc:
                done.set_exception(exc)

        self.refresh_soon([written]).add_done_callback(indexed)
        return done

    def remove(self, name: str) -> DocumentInfo | None:
        """Remove a document (named by its file name, as /docs shows it, or by its title) from the corpus
        and the index; None if no document has that name. Only documents go: never a hidden file or a
        file outside the corpus, and for a symbolic link the link itself, not the file it points to."""
        with self._lock:
            document = self._find(name.strip())
            path = None if document is None else self._link_or_file(document.doc_id)
            if document is None or path is None:
                return None
            path.unlink()
        self.refresh_soon([document.doc_id]).result()
        return document

    def _find(self, name: str) -> DocumentInfo | None:
        """The indexed document called `name`: its id, else its title or file name if only one has it."""
        if not name or len(name) > 1000:
            return None
        try:
            docs = self._retriever.manifest.docs
        except IndexNotBuiltError:
            return None
        if name in docs:
            return docs[name]
        folded = name.casefold()
        for same in (
            lambda info: info.title.casefold() == folded,
            lambda info: PurePath(info.doc_id).name.casefold() == folded,
        ):
            found = [info for info in docs.values() if same(info)]
            if len(found) == 1:
                return found[0]
        return None

    def _link_or_file(self, doc_id: str) -> Path | None:
        """The corpus entry of `doc_id` itself (a link is not followed), if it is a visible entry inside the corpus."""
        relative = PurePath(doc_id)
        if relative.is_absolute() or any(part.startswith(".") for part in relative.parts):
            return None
        path = self._root / relative
        try:
            inside = path.parent.resolve().is_relative_to(self._root)
            return path if inside and (path.is_symlink() or path.is_file()) else None
        except OSError:
            return None

    def watch(self, stop: threading.Event, on_change: Callable[[IndexReport], None] = lambda _: None) -> None:
        """Re-index whenever files in the folder change (debounced), until `stop` is set. A folder that is
        deleted is waited for; once it is back, what it holds is indexed and watched again."""
        from watchfiles import watch

        returned = False
        while not stop.is_set():
            if not self.corpus_dir.is_dir():
                stop.wait(0.5)
                continue
            changes_seen = watch(
                self.corpus_dir,
                stop_event=stop,
                debounce=WATCH_DEBOUNCE_MS,
                step=100,
                watch_filter=_visible,
                rust_timeout=250,
                yield_on_timeout=True,  # an empty batch every 0.25 s: time to see the folder go
            )
            for changes in changes_seen:  # a batch of changes, or an empty one every 0.25 s
                self.watching.set()
                if not self.corpus_dir.is_dir():
                    self.watching.clear()
                    log.warning("the corpus folder %s is gone: the index answers as it was", self.corpus_dir)
                    returned = True
                    break
                if returned:  # indexed once the watch runs: a file written meanwhile is in one or the other
                    returned = False
                    log.info("the corpus folder %s is back: indexing it", self.corpus_dir)
                    self._reindex(on_change)
                elif changes:
                    log.info("corpus changed (%d file event(s)): re-indexing", len(changes))
                    self._reindex(on_change, self._corpus_paths(path for _, path in changes))

    def _corpus_paths(self, changed: Iterable[str]) -> set[str] | None:
        """The corpus paths of a watcher's events; None (look at everything) if one is not in the folder."""
        paths, folder = set(), self.corpus_dir.absolute()
        for path in changed:
            try:
                relative = Path(path).relative_to(folder)
            except ValueError:
                try:  # the folder as the watcher names it resolved (the entry itself is not followed)
                    relative = (Path(path).parent.resolve() / Path(path).name).relative_to(self._root)
                except (ValueError, OSError):
                    return None
            if relative == Path("."):
                return None
            paths.add(relative.as_posix())
        return paths

    def _reindex(self, on_change: Callable[[IndexReport], None], paths: set[str] | None = None) -> None:
        try:
            on_change(self.refresh_soon(paths).result())
        except IndexBusyError as exc:  # several bots on one Chroma server: another one is the writer
            log.info("not re-indexing here: %s is the writer; answering from its generation once committed", exc.holder)
            self._retriever.expect_new_generation()
        except Exception:  # a bad moment (a file half-copied) must not end the watch
            log.exception("re-indexing after a change failed; the previous index keeps answering")

    def start_watching(self, on_change: Callable[[IndexReport], None] = lambda _: None) -> threading.Event:
        """Watch in a background thread; set the returned event to stop."""
        stop = threading.Event()
        threading.Thread(target=self.watch, args=(stop, on_change), name="corpus-watch", daemon=True).start()
        return stop

    def _inside(self, doc_id: str) -> Path | None:
        """The file of `doc_id`, if that path stays inside the corpus folder."""
        path = (self._root / doc_id).resolve()
        return path if path.is_relative_to(self._root) else None

    def _write(self, path: Path, data: bytes) -> str:
        """Write `path` whole (never indexed half-written); its doc id."""
        doc_id = path.relative_to(self._root).as_posix()
        write_file(self._root, doc_id, data)
        return doc_id

    def _indexed(self, doc_id: str, report: IndexReport) -> Added:
        """What a refresh made of the document `doc_id`."""
        problem = next((s.reason for s in report.skipped if s.path == doc_id), "")
        document = None if problem else self._retriever.manifest.docs.get(doc_id)
        if document is None and not problem:
            problem = "it could not be indexed"
        elif document is not None and document.chunks == 0:
            problem = "no passage could be made of its text"
        return Added(document=document) if document is not None and not problem else Added(problem=problem)

    def _free_path(self, name: str, data: bytes) -> Path:
        """`name` in the corpus, or `name-2`, `name-3`… when another file already has it."""
        stem, suffix = os.path.splitext(name)
        for number in range(1, 1000):
            path = self._root / (name if number == 1 else f"{stem}-{number}{suffix}")
            if not path.exists() or path.read_bytes() == data:
                return path
        raise OSError(f"too many files named {name}")


def _log_catch_up(outcome: IndexReport | BaseException) -> None:
    if isinstance(outcome, IndexBusyError):
        log.info("not indexing at start: %s is the writer", outcome.holder)
    elif isinstance(outcome, BaseException):
        log.error("could not catch up on the corpus folder at start", exc_info=outcome)
    elif outcome.changed:
        log.info(
            "caught up: %d added, %d updated, %d removed",
            len(outcome.added),
            len(outcome.updated),
            len(outcome.removed),
        )


def _yield_to_answers() -> None:
    """Run this thread (and the embedding threads it starts) at the lowest CPU priority: on a busy
    machine, questions are answered first and indexing takes what is left."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # Linux: this thread only
    except (AttributeError, OSError):  # another system: indexing competes as an equal
        log.debug("could not lower the indexing thread's priority", exc_info=True)


def _visible(change: object, path: str) -> bool:
    return not any(part.startswith(".") for part in Path(path).parts)
