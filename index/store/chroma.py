"""The Chroma vector store, embedded or server: the `VectorStore` corpusbot runs on."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, suppress
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.errors import CorpusbotError, IndexDamagedError, StoreUnavailableError
from index.settings import Settings
from index.store import locking
from index.store.manifest import Manifest
from index.store.protocol import StoredChunk
from index.tuning import SEARCH_EF

log = logging.getLogger(__name__)

T = TypeVar("T")


class ChromaStore:
    """A single Chroma collection; reconnects lazily so a restarted server is picked up again."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        collection: str,
        description: str,
        writer_lock: Callable[[], None] = lambda: None,
        unlock: Callable[[], None] = lambda: None,
        folder: Path | None = None,
    ) -> None:
        self._unlock = unlock
        # The embedded store's folder; None for a server. A failing embedded store is damaged, not
        # "temporarily unavailable": there is no server to come back.
        self._folder = folder
        self._client_factory = client_factory
        self._writer_lock = writer_lock
        self._client: Any = None
        self._connecting = threading.Lock()
        self._handle: tuple[Any, Any] | None = None
        self._name = collection
        self.description = description
        self.durable = True

    @classmethod
    def from_settings(cls, settings: Settings) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)

        def lock() -> None:
            locking.acquire(settings.index_dir, settings.index_lock_wait)

        def connect() -> Any:
            if settings.chroma_host:
                return chromadb.HttpClient(
                    host=settings.chroma_host,
                    port=settings.chroma_port,
                    ssl=settings.chroma_ssl,
                    settings=chroma_settings,
                )
            # Embedded Chroma is one process's store (even reads may write its files): hold the lock first.
            lock()
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)

        return cls(
            connect,
            settings.collection,
            settings.store_description,
            writer_lock=lock,
            unlock=lambda: locking.release(settings.index_dir),
            folder=None if settings.chroma_host else settings.chroma_path,
        )

    def close(self) -> None:
        """This process is done with the index: close the client and let go of the index lock."""
        self._forget_client()
        self._unlock()

    def lock_for_writing(self) -> None:
        """One writer at a time: the embedded store is locked on connect; a server's writers lock here."""
        self._writer_lock()

    def upgrade(self) -> None:
        """Bring an index made with Chroma's shallower default search up to `SEARCH_EF` (the writer does)."""
        try:
            self._call(self._deepen_search)
        except CorpusbotError as exc:  # a damaged store: `--rebuild` drops it next; anything else says so itself
            log.debug("search depth left as it is: %s", exc)

    def _deepen_search(self, client: Any) -> None:
        try:
            collection = self._collection(client, fresh=True)
        except Exception as exc:
            if _is_missing_collection(exc):
                return  # created with SEARCH_EF when the first chunks are written
            raise
        hnsw = (getattr(collection, "configuration_json", None) or {}).get("hnsw") or {}
        if int(hnsw.get("ef_search") or 0) < SEARCH_EF:
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            self._handle = None

    def _call(self, action: Callable[[Any], T]) -> T:
        """Run `action(client)`, turning connection failures into `StoreUnavailableError`."""
        client = self._client
        if client is None:
            with self._connecting:  # one client per process, whichever thread asks first (retrieval uses two)
                if self._client is None:
                    self._client = self._connect()
                client = self._client
        try:
            return action(client)
        except CorpusbotError:
            raise
        except Exception as exc:
            self._handle = None
            if _is_missing_collection(exc):
                raise
            self._client = None
            log.warning("vector store call failed: %s", exc, exc_info=True)
            raise self._failure(exc) from exc

    def _connect(self) -> Any:
        try:
            return self._client_factory()
        except CorpusbotError:
            raise
        except Exception as exc:
            log.warning("cannot open the vector store: %s", exc, exc_info=True)
            raise self._failure(exc) from exc

    def _failure(self, exc: Exception) -> CorpusbotError:
        if self._folder is None:
            return StoreUnavailableError()
        return IndexDamagedError(self._folder, f"{type(exc).__name__}: {str(exc)[:200]}")

    def _collection(self, client: Any, create: bool = False, fresh: bool = False) -> Any:
        """The collection handle, fetched once per client (a lookup costs a round trip)."""
        if not fresh and self._handle is not None and self._handle[0] is client:
            return self._handle[1]
        if create:
            collection = client.get_or_create_collection(
                self._name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
            )
        else:
            collection = client.get_collection(self._name, embedding_function=None)
        self._handle = (client, collection)
        return collection

    def read_manifest(self) -> Manifest | None:
        def read(client: Any) -> Manifest | None:
            try:
                collection = self._collection(client, fresh=True)  # metadata may have changed elsewhere
            except Exception as exc:
                if _is_missing_collection(exc):
                    return None
                raise
            return Manifest.from_metadata(collection.metadata)

        return self._call(read)

    def write_manifest(self, manifest: Manifest) -> None:
        self._call(lambda client: self._collection(client, create=True).modify(metadata=manifest.to_metadata()))

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        def write(client: Any) -> None:
            collection = self._collection(client, create=True)
            step = max(1, min(5000, int(client.get_max_batch_size())))
            for i in range(0, len(ids), step):
                collection.upsert(
                    ids=list(ids[i : i + step]),
                    embeddings=embeddings[i : i + step],
                    documents=list(texts[i : i + step]),
                    metadatas=list(metadatas[i : i + step]),
                )

        if ids:
            self._call(write)

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of `ids` (those that exist), in no particular order."""
        found = list(self.keyed_vectors(ids).values())
        return np.vstack(found) if found else np.zeros((0, 0), dtype=np.float32)

    def keyed_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vector of each of `ids` that exists, by id."""

        def get(client: Any) -> dict[str, np.ndarray]:
            result = self._collection(client).get(ids=list(ids), include=["embeddings"])
            embeddings = result.get("embeddings")
            rows = np.asarray(embeddings if embeddings is not None else [], dtype=np.float32)
            return dict(zip(result["ids"], rows))

        return self._call(get) if ids else {}

    def stored(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are already in the store (the work of an interrupted run, say)."""

        def get(client: Any) -> set[str]:
            try:
                collection = self._collection(client)
            except Exception as exc:
                if _is_missing_collection(exc):
                    return set()
                raise
            found: set[str] = set()
            for start in range(0, len(ids), 5000):
                found.update(collection.get(ids=list(ids[start : start + 5000]), include=[])["ids"])
            return found

        return self._call(get) if ids else set()

    def delete_where(self, where: dict[str, Any]) -> None:
        """Delete what `where` matches; a long `$in` list goes in parts (SQLite binds at most 32,766 values)."""
        parts = [where]
        if len(where) == 1:
            [(key, condition)] = where.items()
            if isinstance(condition, dict) and list(condition) == ["$in"]:
                listed = list(condition["$in"])
                parts = [{key: {"$in": listed[i : i + 5000]}} for i in range(0, len(listed), 5000)]
        for part in parts:

            def delete(client: Any, part: dict[str, Any] = part) -> None:
                self._collection(client, create=True).delete(where=part)

            self._call(delete)

    def delete(self, ids: Sequence[str]) -> None:
        def delete(client: Any) -> None:
            collection = self._collection(client, create=True)
            for start in range(0, len(ids), 5000):
                collection.delete(ids=list(ids[start : start + 5000]))

        if ids:
            self._call(delete)

    def count(self) -> int:
        def count(client: Any) -> int:
            try:
                return int(self._collection(client).count())
            except Exception as exc:
                if _is_missing_collection(exc):
                    return 0
                raise

        return self._call(count)

    def query(self, embedding: np.ndarray, n_results: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the nearest chunks; texts come from the caller's snapshot."""

        def query(client: Any) -> list[tuple[str, float]]:
            result = self._collection(client).query(
                query_embeddings=[embedding], n_results=n_results, include=["distances"]
            )
            return [
                (chunk_id, 1.0 - float(distance))
                for chunk_id, distance in zip(result["ids"][0], result["distances"][0])
            ]

        return self._call(query)

    def chunks_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        """The stored chunks of the documents `doc_ids` (text and metadata, no vectors), read by document."""
        found: list[StoredChunk] = []
        for start in range(0, len(doc_ids), 500):

            def get(client: Any, some: tuple[str, ...] = tuple(doc_ids[start : start + 500])) -> dict[str, Any]:
                where = {"doc_id": {"$in": list(some)}}
                return dict(self._collection(client).get(where=where, include=["documents", "metadatas"]))

            batch = self._call(get)
            found.extend(
                StoredChunk(chunk_id, text or "", dict(meta or {}))
                for chunk_id, text, meta in zip(batch["ids"], batch["documents"], batch["metadatas"])
            )
        return found

    def iter_chunks(self, page_size: int = 5000) -> Iterator[StoredChunk]:
        """Every stored chunk (text and metadata, no vectors), page by page."""
        offset = 0
        while True:

            def page(client: Any, offset: int = offset) -> dict[str, Any]:
                return dict(
                    self._collection(client).get(include=["documents", "metadatas"], limit=page_size, offset=offset)
                )

            batch = self._call(page)
            for chunk_id, text, meta in zip(batch["ids"], batch["documents"], batch["metadatas"]):
                yield StoredChunk(chunk_id, text or "", dict(meta or {}))
            if len(batch["ids"]) < page_size:
                return
            offset += page_size

    def drop(self) -> None:
        """Delete the collection. Embedded, its segment folders go too (Chroma leaves them behind), and
        a store too damaged to open is removed whole, so a rebuild always starts clean."""
        if self._folder is None:
            self._call(self._delete_collection)
            return
        self.lock_for_writing()
        try:
            segments = self._segment_folders()
            self._call(self._delete_collection)
        except (CorpusbotError, sqlite3.Error) as exc:
            log.warning("the index at %s is damaged (%s): removing it whole", self._folder, exc)
            self._forget_client()
            _forget_embedded_system(self._folder)
            shutil.rmtree(self._folder, ignore_errors=True)
            return
        self._forget_client()  # the segment files may be open in this process's Chroma
        for segment in segments:
            shutil.rmtree(segment, ignore_errors=True)

    def _delete_collection(self, client: Any) -> None:
        self._handle = None
        try:
            client.delete_collection(self._name)
        except Exception as exc:
            if not _is_missing_collection(exc):
                raise

    def _forget_client(self) -> None:
        client, self._client, self._handle = self._client, None, None
        if client is not None and hasattr(client, "close"):
            client.close()

    def _segment_folders(self) -> list[Path]:
        """The folders of this collection's segments in the embedded store (read from its SQLite)."""
        assert self._folder is not None
        database = self._folder / "chroma.sqlite3"
        if not database.exists():
            return []
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                "SELECT segments.id FROM segments JOIN collections ON segments.collection = collections.id "
                "WHERE collections.name = ?",
                (self._name,),
            ).fetchall()
        return [self._folder / str(row[0]) for row in rows if (self._folder / str(row[0])).is_dir()]


def _forget_embedded_system(folder: Path) -> None:
    """Drop Chroma's per-process cache entry for an embedded store that failed to open: Chroma keeps
    the half-built system and would hand it out again for the same path."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
        SharedSystemClient._identifier_to_refcount.pop(str(folder), None)
        if system is not None:
            with suppress(Exception):
                system.stop()
    except ImportError:  # pragma: no cover - another Chroma layout: nothing cached to forget
        pass


def _is_missing_collection(exc: Exception) -> bool:
    """Chroma 1.x raises `NotFoundError` (chromadb.errors) for a collection that is not there; a server of
    another version may only say so in its message."""
    name = type(exc).__name__
    return name == "NotFoundError" or ("does not exist" in str(exc) and "ollection" in str(exc))
