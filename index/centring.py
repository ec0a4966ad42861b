"""Language centring: part of each language's mean direction taken out of passage and question vectors,
so that a question is not pulled towards texts of its own language (index/ingest/centring.py measures it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Centring:
    """Per language, the mean passage and question vectors, and the share of them taken out."""

    weight: float
    passages: Mapping[str, np.ndarray]
    questions: Mapping[str, np.ndarray]

    def passage_vectors(self, vectors: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        """`vectors` (one row per passage, in `languages`) centred and of unit length; rows of a language
        without a mean (neither English nor French) are only normalised."""
        vectors = np.array(vectors, dtype=np.float32)
        for row, language in enumerate(languages):
            if language in self.passages:
                vectors[row] -= self.weight * self.passages[language]
        return _unit(vectors)

    def question_vector(self, vector: np.ndarray, language: str) -> np.ndarray:
        """A question's vector centred by its language's mean (unchanged when the language is unknown)."""
        vector = np.asarray(vector, dtype=np.float32)
        if language in self.questions:
            vector = vector - self.weight * self.questions[language]
        return _unit(vector[None, :])[0]

    def to_json(self) -> str:
        def rounded(means: Mapping[str, np.ndarray]) -> dict[str, list[float]]:
            return {language: [round(float(x), 6) for x in mean] for language, mean in means.items()}

        return json.dumps(
            {"weight": self.weight, "passages": rounded(self.passages), "questions": rounded(self.questions)}
        )

    @classmethod
    def from_json(cls, text: str) -> Centring | None:
        """The centring a manifest recorded; None for an index stored without centring."""
        if not text:
            return None
        data = json.loads(text)

        def arrays(means: Mapping[str, list[float]]) -> dict[str, np.ndarray]:
            return {language: np.asarray(mean, dtype=np.float32) for language, mean in means.items()}

        return cls(float(data["weight"]), arrays(data["passages"]), arrays(data["questions"]))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
