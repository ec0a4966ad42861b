"""The chunks of one loaded index generation as columns (texts end to end in one buffer), not Python objects."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from index.store.protocol import StoredChunk, chunk_id

NUMBERS = ("doc", "index", "start", "end", "paragraph", "page")
BUFFERS = ("text", "section")
OFFSETS = tuple(f"{name}_offsets" for name in BUFFERS)
COLUMNS = (*NUMBERS, *OFFSETS, *BUFFERS)  # every array of a set of columns
_NO_PAGE = -1


class ChunkColumns:
    """Chunks as columns: each one's document (a number into `doc_ids`, whose version is in `versions`), index
    in its document, span, paragraph and page, and its text and section as UTF-8 end to end in a buffer (n + 1
    offsets each). A kept copy maps these arrays from disk: every process reading it shares the pages."""

    def __init__(self, doc_ids: list[str], versions: list[str], arrays: dict[str, np.ndarray]) -> None:
        self.doc_ids = doc_ids
        self.versions = versions
        self.arrays = arrays
        self._lookup: tuple[dict[str, int], np.ndarray, np.ndarray] | None = None  # made at the first look-up

    @classmethod
    def from_chunks(cls, chunks: Iterable[StoredChunk]) -> ChunkColumns:
        """`chunks` in their order (ids as `chunk_id` makes them: document, version, index), read once: a load
        from the store never holds every chunk as an object."""
        doc_ids: list[str] = []
        versions: list[str] = []
        number: dict[str, int] = {}
        numbers = {name: array("q") for name in NUMBERS}
        texts: list[bytes] = []
        sections: list[bytes] = []
        for chunk in chunks:
            doc_id = chunk.doc_id
            if doc_id not in number:
                number[doc_id] = len(doc_ids)
                doc_ids.append(doc_id)
                versions.append(chunk.version)
            numbers["doc"].append(number[doc_id])
            numbers["index"].append(int(chunk.chunk_id.rsplit("#", 1)[1]))
            numbers["start"].append(chunk.start)
            numbers["end"].append(chunk.end)
            numbers["paragraph"].append(chunk.paragraph)
            numbers["page"].append(_NO_PAGE if chunk.page is None else chunk.page)
            texts.append(chunk.text.encode())
            sections.append(chunk.section.encode())
        arrays: dict[str, np.ndarray] = {name: np.asarray(values, np.int64) for name, values in numbers.items()}
        arrays["doc"] = arrays["doc"].astype(np.int32)
        arrays["text_offsets"], arrays["text"] = _joined(texts)
        arrays["section_offsets"], arrays["section"] = _joined(sections)
        return cls(doc_ids, versions, arrays)

    def __len__(self) -> int:
        return len(self.arrays["doc"])

    def chunk(self, row: int) -> StoredChunk:
        number = int(self.arrays["doc"][row])
        doc_id, version = self.doc_ids[number], self.versions[number]
        metadata: dict[str, Any] = {
            "doc_id": doc_id,
            "version": version,
            "start": int(self.arrays["start"][row]),
            "end": int(self.arrays["end"][row]),
            "paragraph": int(self.arrays["paragraph"][row]),
        }
        if (page := int(self.arrays["page"][row])) != _NO_PAGE:
            metadata["page"] = page
        if section := self._decoded("section", row):
            metadata["section"] = section
        return StoredChunk(self.chunk_id(row), self.text(row), metadata)

    def text(self, row: int) -> str:
        return self._decoded("text", row)

    def chunk_id(self, row: int) -> str:
        number = int(self.arrays["doc"][row])
        return chunk_id(self.doc_ids[number], self.versions[number], int(self.arrays["index"][row]))

    def doc_id(self, row: int) -> str:
        return self.doc_ids[int(self.arrays["doc"][row])]

    def _decoded(self, name: str, row: int) -> str:
        offsets = self.arrays[f"{name}_offsets"]
        return bytes(self.arrays[name][offsets[row] : offsets[row + 1]]).decode()

    def row_of(self, doc_id: str, version: str, index: int) -> int | None:
        """The row of that chunk, if these columns hold it."""
        if self._lookup is None:  # each document's number, and the (document, index) keys in order
            keys = np.asarray(self.arrays["doc"], np.int64) << 32 | np.asarray(self.arrays["index"], np.int64)
            order = np.argsort(keys, kind="stable")
            self._lookup = ({d: i for i, d in enumerate(self.doc_ids)}, keys[order], order)
        numbers, keys, order = self._lookup
        found = numbers.get(doc_id)
        if found is None or self.versions[found] != version:
            return None
        key = found << 32 | index
        at = int(np.searchsorted(keys, key))
        return int(order[at]) if at < len(keys) and keys[at] == key else None

    def then(self, other: ChunkColumns) -> ChunkColumns:
        """These rows followed by `other`'s (documents of both keep their own numbers in the result)."""
        doc_ids, versions = self.doc_ids + other.doc_ids, self.versions + other.versions
        arrays = {"doc": np.concatenate([self.arrays["doc"], np.asarray(other.arrays["doc"]) + len(self.doc_ids)])}
        arrays["doc"] = arrays["doc"].astype(np.int32)
        for name in NUMBERS[1:]:
            arrays[name] = np.concatenate([self.arrays[name], other.arrays[name]])
        for name in BUFFERS:
            offsets = self.arrays[f"{name}_offsets"]
            arrays[f"{name}_offsets"] = np.concatenate([offsets, other.arrays[f"{name}_offsets"][1:] + offsets[-1]])
            arrays[name] = np.concatenate([self.arrays[name], other.arrays[name]])
        return ChunkColumns(doc_ids, versions, arrays)


class ChunkTable:
    """The chunks of a generation at positions 0..n-1, as the lexical index numbers them: rows of a base set of
    columns (loaded, or mapped from a kept copy) and, after live updates, of the columns of the chunks they
    added. An update re-maps positions to rows instead of copying the base: a million chunks' texts are not
    copied to add one document."""

    def __init__(self, base: ChunkColumns, extra: ChunkColumns | None = None, rows: np.ndarray | None = None) -> None:
        self.base = base
        self.extra = extra
        # Position p is base row rows[p] when >= 0, else extra row -rows[p] - 1; None: position p is base row p.
        self.rows = rows
        if rows is None:
            self.doc_numbers = np.asarray(base.arrays["doc"], np.int64)
            self.doc_ids = base.doc_ids
        else:
            assert extra is not None
            self.doc_ids = base.doc_ids + extra.doc_ids
            in_base, row = self._sources()
            numbers = np.empty(len(rows), np.int64)
            numbers[in_base] = base.arrays["doc"][row[in_base]]
            numbers[~in_base] = np.asarray(extra.arrays["doc"])[row[~in_base]] + len(base.doc_ids)
            self.doc_numbers = numbers
        self._positions: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_chunks(cls, chunks: Iterable[StoredChunk]) -> ChunkTable:
        return cls(ChunkColumns.from_chunks(chunks))

    def __len__(self) -> int:
        return len(self.doc_numbers)

    def _sources(self) -> tuple[np.ndarray, np.ndarray]:
        """For each position: whether its row is the base's, and the row in its set of columns."""
        assert self.rows is not None
        in_base = self.rows >= 0
        return in_base, np.where(in_base, self.rows, -self.rows - 1)

    def _row(self, position: int) -> tuple[ChunkColumns, int]:
        if self.rows is None:
            return self.base, position
        row = int(self.rows[position])
        if row >= 0:
            return self.base, row
        assert self.extra is not None
        return self.extra, -row - 1

    def __getitem__(self, position: int) -> StoredChunk:
        columns, row = self._row(position)
        return columns.chunk(row)

    def __iter__(self) -> Iterator[StoredChunk]:
        return (self[i] for i in range(len(self)))

    def text(self, position: int) -> str:
        columns, row = self._row(position)
        return columns.text(row)

    def doc_id(self, position: int) -> str:
        return self.doc_ids[int(self.doc_numbers[position])]

    def chunk_id(self, position: int) -> str:
        columns, row = self._row(position)
        return columns.chunk_id(row)

    def position(self, chunk_id_: str) -> int | None:
        """Where the chunk of this id is, if this generation holds it (its document at that version)."""
        doc_id, version, index = chunk_id_.rsplit("#", 2)
        if not index.isdigit():
            return None
        if self.rows is None:
            return self.base.row_of(doc_id, version, int(index))
        base_position, extra_position = self._inverse()
        assert self.extra is not None
        row = self.extra.row_of(doc_id, version, int(index))
        if row is not None and extra_position[row] >= 0:
            return int(extra_position[row])
        row = self.base.row_of(doc_id, version, int(index))
        if row is not None and base_position[row] >= 0:
            return int(base_position[row])
        return None

    def _inverse(self) -> tuple[np.ndarray, np.ndarray]:
        """Each base row's position and each extra row's (-1: not in this generation)."""
        if self._positions is None:
            assert self.rows is not None and self.extra is not None
            base, extra = np.full(len(self.base), -1, np.int64), np.full(len(self.extra), -1, np.int64)
            in_base, row = self._sources()
            where = np.arange(len(self.rows))
            base[row[in_base]] = where[in_base]
            extra[row[~in_base]] = where[~in_base]
            self._positions = (base, extra)
        return self._positions

    def changed(self, keep: np.ndarray, added: Sequence[StoredChunk]) -> ChunkTable:
        """This table without the positions where `keep` is False, and with `added` after the others."""
        rows = np.arange(len(self), dtype=np.int64) if self.rows is None else self.rows
        new = ChunkColumns.from_chunks(added)
        extra = new if self.extra is None else self.extra.then(new)
        first = len(extra) - len(new)
        added_rows = -(first + np.arange(len(new), dtype=np.int64)) - 1
        return ChunkTable(self.base, extra, np.concatenate([rows[keep], added_rows]))

    def columns(self) -> tuple[list[str], list[str], dict[str, np.ndarray], dict[str, list[np.ndarray]]]:
        """The generation's chunks as one set of columns, in position order (what a kept copy holds): its
        documents, their versions, the numeric columns and offsets, and each buffer as pieces to write end to
        end (runs of consecutive rows: a table after a few live updates is a few runs, not a copy)."""
        if self.rows is None:
            numeric = {name: self.base.arrays[name] for name in (*NUMBERS, *OFFSETS)}
            return self.base.doc_ids, self.base.versions, numeric, {b: [self.base.arrays[b]] for b in BUFFERS}
        assert self.extra is not None
        in_base, row = self._sources()
        used = np.unique(self.doc_numbers)
        renumber = np.full(len(self.doc_ids), -1, np.int64)
        renumber[used] = np.arange(len(used))
        versions = self.base.versions + self.extra.versions
        arrays: dict[str, np.ndarray] = {"doc": renumber[self.doc_numbers].astype(np.int32)}
        for name in NUMBERS[1:]:
            out = np.empty(len(row), np.int64)
            out[in_base] = self.base.arrays[name][row[in_base]]
            out[~in_base] = np.asarray(self.extra.arrays[name])[row[~in_base]]
            arrays[name] = out
        # Runs of consecutive rows of one set of columns.
        continued = (in_base[1:] == in_base[:-1]) & (row[1:] == row[:-1] + 1)
        starts = np.concatenate([[0], np.flatnonzero(~continued) + 1]) if len(row) else np.zeros(0, np.int64)
        ends = np.append(starts[1:], len(row))
        pieces: dict[str, list[np.ndarray]] = {}
        for name in BUFFERS:
            sizes = np.empty(len(row), np.int64)
            for part, where in ((self.base, in_base), (self.extra, ~in_base)):
                sizes[where] = np.diff(part.arrays[f"{name}_offsets"])[row[where]]
            offsets = np.zeros(len(row) + 1, np.int64)
            np.cumsum(sizes, out=offsets[1:])
            arrays[f"{name}_offsets"] = offsets
            pieces[name] = []
            for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
                part = self.base if in_base[first] else self.extra
                bounds = part.arrays[f"{name}_offsets"]
                pieces[name].append(part.arrays[name][bounds[row[first]] : bounds[row[last - 1] + 1]])
        return [self.doc_ids[i] for i in used], [versions[i] for i in used], arrays, pieces


def _joined(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """`parts` end to end, and where each starts (n + 1 offsets)."""
    offsets = np.zeros(len(parts) + 1, np.int64)
    if parts:
        np.cumsum([len(part) for part in parts], out=offsets[1:])
    return offsets, np.frombuffer(b"".join(parts), np.uint8)
