"""The chunks of a loaded generation as columns (index/search/chunk_table.py): every chunk reads back as stored,
by position and by id, after live updates too, and a kept copy's columns hold the same chunks in order."""

from __future__ import annotations

import numpy as np

from index.search.chunk_table import ChunkColumns, ChunkTable
from index.store.protocol import StoredChunk, chunk_id


def _chunk(doc_id: str, version: str, index: int, text: str, page: int | None = None, section: str = "") -> StoredChunk:
    metadata: dict[str, object] = {"doc_id": doc_id, "version": version, "start": index * 10, "end": index * 10 + 9}
    metadata["paragraph"] = index
    if page is not None:
        metadata["page"] = page
    if section:
        metadata["section"] = section
    return StoredChunk(chunk_id(doc_id, version, index), text, metadata)


def _doc(doc_id: str, version: str, count: int) -> list[StoredChunk]:
    return [
        _chunk(
            doc_id, version, i, f"{doc_id} chunk {i} — été", page=i if i % 2 else None, section="Intro" * (i % 3 == 0)
        )
        for i in range(count)
    ]


def test_chunks_read_back_as_stored_by_position_and_by_id() -> None:
    chunks = _doc("a.txt", "v1", 3) + _doc("b/c.pdf", "v2", 4)
    table = ChunkTable.from_chunks(chunks)
    assert list(table) == chunks
    for position, chunk in enumerate(chunks):
        assert table.position(chunk.chunk_id) == position and table.text(position) == chunk.text
    assert table.position(chunk_id("a.txt", "old", 0)) is None  # another version of the document
    assert table.position(chunk_id("a.txt", "v1", 9)) is None
    assert table.position(chunk_id("z.txt", "v1", 0)) is None


def test_live_updates_remap_positions_and_a_kept_copy_holds_the_same_chunks() -> None:
    chunks = _doc("a.txt", "v1", 3) + _doc("b.txt", "v1", 2) + _doc("c.txt", "v1", 3)
    table = ChunkTable.from_chunks(chunks)
    for doc_id, version, count in [("b.txt", "v2", 3), ("d.txt", "v1", 2), ("a.txt", "v2", 1)]:
        keep = np.asarray([chunk.doc_id != doc_id for chunk in chunks])
        added = _doc(doc_id, version, count)
        table = table.changed(keep, added)
        chunks = [chunk for chunk, stays in zip(chunks, keep, strict=True) if stays] + added
        assert list(table) == chunks
        assert [table.position(chunk.chunk_id) for chunk in chunks] == list(range(len(chunks)))
        assert [table.doc_ids[n] for n in table.doc_numbers] == [chunk.doc_id for chunk in chunks]
        doc_ids, versions, numeric, pieces = table.columns()
        arrays = {**numeric, **{name: np.concatenate(parts) for name, parts in pieces.items()}}
        assert list(ChunkTable(ChunkColumns(doc_ids, versions, arrays))) == chunks
    assert table.position(chunk_id("b.txt", "v1", 0)) is None  # the version that was replaced
