"""What retrieval and indexing need from a vector store: the `VectorStore` protocol and its rows (their ids
and metadata are written and read here only)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from index.models import Chunk, DocumentInfo
from index.store.manifest import Manifest


def chunk_id(doc_id: str, version: str, index: int) -> str:
    """The id of chunk `index` of version `version` of a document."""
    return f"{doc_id}#{version}#{index}"


def document_of(chunk_id: str) -> str:
    """The id of the document a chunk id belongs to."""
    return chunk_id.rsplit("#", 2)[0]


def moved_chunk_id(old_chunk_id: str, version: str) -> str:
    """The id of the same chunk under another version of its document."""
    doc_id, _, index = old_chunk_id.rsplit("#", 2)
    return chunk_id(doc_id, version, int(index))


def chunk_row(doc_id: str, version: str, chunk: Chunk) -> dict[str, Any]:
    """A chunk's metadata in the store; document-level fields (title, date, url) live once, in the manifest."""
    metadata: dict[str, Any] = {
        "doc_id": doc_id,
        "version": version,
        "start": chunk.start,
        "end": chunk.end,
        "paragraph": chunk.paragraph,
    }
    if chunk.page is not None:
        metadata["page"] = chunk.page
    if chunk.section:
        metadata["section"] = chunk.section
    return metadata


@dataclass(frozen=True)
class StoredChunk:
    """One row of the store: id, text and metadata (as `chunk_row` wrote it)."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]

    @property
    def doc_id(self) -> str:
        return str(self.metadata.get("doc_id", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    @property
    def start(self) -> int:
        return int(self.metadata.get("start", 0))

    @property
    def end(self) -> int:
        return int(self.metadata.get("end", 0))

    @property
    def paragraph(self) -> int:
        return int(self.metadata.get("paragraph", 0))

    @property
    def page(self) -> int | None:
        page = self.metadata.get("page")
        return int(page) if page is not None else None

    @property
    def section(self) -> str:
        return str(self.metadata.get("section", ""))

    def belongs_to(self, docs: Mapping[str, DocumentInfo]) -> bool:
        """Whether this chunk is of a document version `docs` (a manifest's) holds; else an orphan (an
        unfinished re-index's, a renamed document's)."""
        info = docs.get(self.doc_id)
        return info is not None and info.version == self.version


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

    def upgrade(self) -> None:
        """Bring a store made by an earlier corpusbot up to date (by the writer, once it holds the lock)."""
        ...

    def drop(self) -> None: ...

    def close(self) -> None: ...
