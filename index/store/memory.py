"""An in-memory `VectorStore` for fast tests and small corpora."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from index.store.manifest import Manifest
from index.store.protocol import StoredChunk


def _matches(metadata: dict[str, Any], where: dict[str, Any]) -> bool:
    """The subset of Chroma's `where` filters corpusbot uses: equality, $eq, $ne, $in, $nin."""
    for key, condition in where.items():
        value = metadata.get(key)
        if not isinstance(condition, dict):
            condition = {"$eq": condition}
        for operator, operand in condition.items():
            if operator == "$eq" and value != operand:
                return False
            if operator == "$ne" and value == operand:
                return False
            if operator == "$in" and value not in operand:
                return False
            if operator == "$nin" and value in operand:
                return False
            if operator not in {"$eq", "$ne", "$in", "$nin"}:
                raise ValueError(f"unsupported filter {operator}")
    return True


class MemoryStore:
    """A `VectorStore` in a dict: exact cosine search, nothing on disk, one process."""

    def __init__(self, description: str = "in-memory store") -> None:
        self.description = description
        self.durable = False
        self._manifest: Manifest | None = None
        self._rows: dict[str, tuple[np.ndarray, StoredChunk]] = {}

    def read_manifest(self) -> Manifest | None:
        return self._manifest

    def write_manifest(self, manifest: Manifest) -> None:
        self._manifest = manifest

    def upsert(
        self, ids: Sequence[str], embeddings: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        for chunk_id, vector, text, metadata in zip(ids, embeddings, texts, metadatas, strict=True):
            unit = np.asarray(vector, dtype=np.float32)
            unit = unit / max(float(np.linalg.norm(unit)), 1e-12)
            self._rows[chunk_id] = (unit, StoredChunk(chunk_id, text, dict(metadata)))

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        found = list(self.keyed_vectors(ids).values())
        return np.vstack(found) if found else np.zeros((0, 0), dtype=np.float32)

    def keyed_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {chunk_id: self._rows[chunk_id][0] for chunk_id in ids if chunk_id in self._rows}

    def stored(self, ids: Sequence[str]) -> set[str]:
        return {chunk_id for chunk_id in ids if chunk_id in self._rows}

    def delete_where(self, where: dict[str, Any]) -> None:
        for chunk_id in [i for i, (_, chunk) in self._rows.items() if _matches(chunk.metadata, where)]:
            del self._rows[chunk_id]

    def delete(self, ids: Sequence[str]) -> None:
        for chunk_id in ids:
            self._rows.pop(chunk_id, None)

    def count(self) -> int:
        return len(self._rows)

    def query(self, embedding: np.ndarray, n_results: int) -> list[tuple[str, float]]:
        if not self._rows:
            return []
        ids = list(self._rows)
        matrix = np.vstack([self._rows[chunk_id][0] for chunk_id in ids])
        query = np.asarray(embedding, dtype=np.float32)
        similarities = matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
        best = np.argsort(-similarities, kind="stable")[:n_results]
        return [(ids[i], float(similarities[i])) for i in best]

    def iter_chunks(self, page_size: int = 5000) -> Iterator[StoredChunk]:
        for _, chunk in list(self._rows.values()):
            yield chunk

    def chunks_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        wanted = set(doc_ids)
        return [chunk for _, chunk in list(self._rows.values()) if chunk.doc_id in wanted]

    def lock_for_writing(self) -> None:
        """One process owns it: nothing to lock."""

    def upgrade(self) -> None:
        """Made by this code: nothing to bring up to date."""

    def drop(self) -> None:
        self._manifest = None
        self._rows.clear()

    def close(self) -> None:
        """Nothing to release."""
