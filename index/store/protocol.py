"""What retrieval and indexing need from a vector store: the `VectorStore` protocol and its rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from index.store.manifest import Manifest


@dataclass(frozen=True)
class StoredChunk:
    """One row of the store: id, text and metadata."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]


class VectorStore(Protocol):
    """A collection of embedded chunks plus the manifest; `ChromaStore` and `MemoryStore` implement it."""

    description: str
    # Whether its chunks outlive the process (a loaded generation is then worth keeping on disk).
    durable: bool

    def read_manifest(self) -> Manifest | None: ...

    def write_manifest(self, manifest: Manifest) -> None: ...

    def upsert(
        self, ids: Sequence[str], embeddings: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None: ...

    def vectors(self, ids: Sequence[str]) -> np.ndarray: ...

    def keyed_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def stored(self, ids: Sequence[str]) -> set[str]: ...

    def delete_where(self, where: dict[str, Any]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def count(self) -> int: ...

    def query(self, embedding: np.ndarray, n_results: int) -> list[tuple[str, float]]: ...

    def iter_chunks(self, page_size: int = 5000) -> Iterator[StoredChunk]: ...

    def chunks_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        """The stored chunks of the documents `doc_ids` (text and metadata, no vectors)."""
        ...

    def lock_for_writing(self) -> None: ...

    def drop(self) -> None: ...

    def close(self) -> None: ...
