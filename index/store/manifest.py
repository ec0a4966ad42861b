"""The manifest: how an index was built (model, chunking, background) and which document versions it holds."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Protocol

from index.errors import ModelMismatchError
from index.models import DocumentInfo


class _Named(Protocol):
    name: str
    dimension: int


CHUNKER_VERSION = 3  # 2: chunks carry their document's title; 3: short paragraphs share a chunk
_MANIFEST_KEYS = (
    "model",
    "dimension",
    "chunk_size",
    "chunk_overlap",
    "chunker_version",
    "generation",
    "similarity_mean",
    "similarity_std",
    "same_language_bar",
    "other_language_bar",
    "calibrated_docs",
    "calibration_version",
    "centring",
)


@dataclass(frozen=True)
class Manifest:
    """How the index was built, and which version of each document it holds (the commit point)."""

    model: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    chunker_version: int = CHUNKER_VERSION
    generation: int = 0
    # How similar everyday unrelated questions are to this corpus's chunks under this model (mean and
    # spread, measured at index time, see index/ingest/background.py): retrieval puts dense scores on this scale.
    similarity_mean: float = 0.0
    similarity_std: float = 1.0
    # The relevance bars for a passage in the question's own language and in the other one, derived from
    # this index by index/search/calibration.py (0: not derived; the fixed floor applies), and how many
    # documents the index held when they were derived.
    same_language_bar: float = 0.0
    other_language_bar: float = 0.0
    calibrated_docs: int = 0
    # The version of the relevance rule the bar was derived under (index/search/calibration.py).
    calibration_version: int = 0
    # The bar for a passage in the question's own language, by language, where the probes of that language
    # were enough to derive one of its own (a mixed corpus); `same_language_bar` (all probes) otherwise.
    language_bars: dict[str, float] = field(default_factory=dict)
    # The bar for passages in the other language than a question's, of each language whose questions' probes were
    # enough to derive one (a mixed corpus): a question in it faces that one there instead of `other_language_bar`.
    other_language_bars: dict[str, float] = field(default_factory=dict)
    # The language means the stored vectors were centred with (index/centring.py, as JSON); "" for an
    # index whose vectors are the model's own.
    centring: str = ""
    docs: dict[str, DocumentInfo] = field(default_factory=dict)

    @property
    def centred(self) -> bool:
        """Whether the stored vectors are centred by language (scores then spread wider: another floor)."""
        return bool(self.centring)

    def same_bar(self, language: str) -> float:
        """The derived bar for a passage in `language` asked about in `language` (0: none derived)."""
        return self.language_bars.get(language, self.same_language_bar)

    @cached_property
    def chunks_by_language(self) -> Counter[str]:
        """How many chunks the index holds in each language (read once per manifest: a snapshot keeps its own)."""
        counts: Counter[str] = Counter()
        for info in self.docs.values():
            counts[info.lang] += info.chunks
        return counts

    @property
    def live_versions(self) -> frozenset[str]:
        return frozenset(info.version for info in self.docs.values())

    def to_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {key: getattr(self, key) for key in _MANIFEST_KEYS}
        # Field by field rather than dataclasses.asdict, which deep-copies: 0.40 -> 0.05 s for 5,678 documents.
        metadata["language_bars"] = json.dumps(self.language_bars)
        metadata["other_language_bars"] = json.dumps(self.other_language_bars)
        metadata["docs"] = _DOCUMENTS.dumps(self.docs)
        return metadata

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any] | None) -> Manifest | None:
        if not metadata or "model" not in metadata:
            return None
        docs = _DOCUMENTS.loads(str(metadata.get("docs", "{}")))
        return cls(
            model=str(metadata["model"]),
            dimension=int(metadata["dimension"]),
            chunk_size=int(metadata["chunk_size"]),
            chunk_overlap=int(metadata["chunk_overlap"]),
            chunker_version=int(metadata.get("chunker_version", 0)),
            generation=int(metadata.get("generation", 0)),
            similarity_mean=float(metadata.get("similarity_mean", 0.0)),
            similarity_std=float(metadata.get("similarity_std", 1.0)),
            same_language_bar=float(metadata.get("same_language_bar", 0.0)),
            other_language_bar=float(metadata.get("other_language_bar", 0.0)),
            calibrated_docs=int(metadata.get("calibrated_docs", 0)),
            calibration_version=int(metadata.get("calibration_version", 0)),
            centring=str(metadata.get("centring", "")),
            language_bars=_bars(metadata.get("language_bars")),
            other_language_bars=_bars(metadata.get("other_language_bars")),
            docs=docs,
        )


def _bars(text: Any) -> dict[str, float]:
    """Bars by language from the JSON object `to_metadata` writes (none in an index that predates them)."""
    return {str(k): float(v) for k, v in json.loads(str(text or "{}")).items()}


_DOCUMENT_FIELDS = tuple(f.name for f in fields(DocumentInfo))


class _DocumentsJson:
    """The manifest's documents as JSON with one document a line, each line made and parsed once per process.

    A live corpus commits a generation per change and every process on the index reads it again: at 70,038
    documents, writing them all took 0.46 s and parsing them 0.52 s, for one document that changed. A line
    is cached under its document (writing) and under its text (reading), so a commit costs what changed
    plus a join and a split. Still one JSON object: a manifest written on one line (older versions) reads
    too. JSON escapes line breaks inside strings, so a line break only ever ends a document."""

    def __init__(self) -> None:
        self._lines: dict[str, tuple[DocumentInfo, str]] = {}  # doc id -> the info and its line, as written last
        self._parsed: dict[str, tuple[str, DocumentInfo]] = {}  # a line -> its doc id and info, as read last
        self._last: tuple[str, dict[str, DocumentInfo]] = ("", {})  # the whole text read or written last

    def dumps(self, docs: dict[str, DocumentInfo]) -> str:
        known, lines = self._lines, {}
        for doc_id, info in docs.items():
            kept = known.get(doc_id)
            if kept is None or (kept[0] is not info and kept[0] != info):
                kept = (info, f"{json.dumps(doc_id)}: {json.dumps(_fields(info))}")
            lines[doc_id] = kept
        self._lines = lines
        if not lines:
            return "{}"
        text = "{\n" + ",\n".join(line for _, line in lines.values()) + "\n}"
        # What this process wrote, it need not parse back (its own reload reads it next).
        self._parsed = {line: (doc_id, info) for doc_id, (info, line) in lines.items()}
        self._last = (text, dict(docs))
        return text

    def loads(self, text: str) -> dict[str, DocumentInfo]:
        """The documents of a manifest's JSON, as a dict of the caller's own (the entries are frozen)."""
        seen, docs = self._last
        if text == seen:
            return dict(docs)
        if not (text.startswith("{\n") and text.endswith("\n}")):
            docs = {doc_id: DocumentInfo(**info) for doc_id, info in json.loads(text).items()}
        else:
            known, parsed = self._parsed, {}
            for line in text[2:-2].split("\n"):
                line = line.removesuffix(",")
                entry = known.get(line)
                if entry is None:
                    ((doc_id, info),) = json.loads("{" + line + "}").items()
                    entry = (doc_id, DocumentInfo(**info))
                parsed[line] = entry
            self._parsed = parsed
            docs = dict(parsed.values())
        self._last = (text, docs)
        return dict(docs)


_DOCUMENTS = _DocumentsJson()


def _fields(info: DocumentInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in _DOCUMENT_FIELDS}


def check_model(manifest: Manifest | None, embedder: _Named) -> None:
    """Refuse to mix vectors of two models in one index."""
    if manifest is None:
        return
    if manifest.model != embedder.name or manifest.dimension != embedder.dimension:
        raise ModelMismatchError(
            f"The index was built with model '{manifest.model}' ({manifest.dimension} dimensions) but "
            f"EMBEDDING_MODEL is '{embedder.name}' ({embedder.dimension} dimensions).",
            index_model=manifest.model,
        )
