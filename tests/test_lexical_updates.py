"""A lexical index changed in place (live updates: chunks removed, others added) finds what an index built from
scratch over the same chunks finds, scores them the same, and keeps as arrays what rebuilds it."""

from __future__ import annotations

import random

import numpy as np
import pytest

from index.search import postings
from index.search.lexical import LexicalIndex

WORDS = (
    "reactor bridge tunnel dam crew inspected painted opened closed alpha beta gamma delta Okafor Halvorsen "
    "Ostrander Vatrenko pont barrage équipe inspecté repeint ouvert fermé semaine mars avril mai juin"
).split()
QUESTIONS = [
    "Who inspected the alpha reactor?",
    "Quand le barrage delta a-t-il été ouvert ?",
    "Halvorsen painted bridge",
    "Ostranderr crew",  # a near spelling
    "Vatrenko repeint pont semaine",
]


def _texts(rng: random.Random, count: int) -> list[tuple[str, str]]:
    return [
        (" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + ".", rng.choice(["en", "fr"]))
        for _ in range(count)
    ]


def _same(changed: LexicalIndex, texts: list[tuple[str, str]]) -> None:
    fresh = LexicalIndex((t for t, _ in texts), languages=(lang for _, lang in texts))
    assert changed.size == fresh.size == len(texts) and changed.vocabulary == fresh.vocabulary
    for question in QUESTIONS:
        mine, theirs = changed.search(question, 10), fresh.search(question, 10)
        assert [(h.position, round(h.score, 6), round(h.coverage, 6)) for h in mine] == [
            (h.position, round(h.score, 6), round(h.coverage, 6)) for h in theirs
        ]
    for word in ("okafor", "ostrander", "vatrenko", "reactor", "barrage", "zzz"):
        assert np.array_equal(changed.chunks_with(word), fresh.chunks_with(word))
        assert changed.rarity(word) == pytest.approx(fresh.rarity(word))
    rebuilt = LexicalIndex.from_arrays(changed.arrays())
    assert [h.position for h in rebuilt.search(QUESTIONS[0], 10)] == [
        h.position for h in fresh.search(QUESTIONS[0], 10)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_live_updates_leave_the_index_as_if_built_from_scratch(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "BLOCK", 5 * seed)  # postings written out a few at a time, as a large index's are
    rng = random.Random(seed)
    texts = _texts(rng, 120)
    index = LexicalIndex((t for t, _ in texts), languages=(lang for _, lang in texts))
    # Small updates (postings left in place, what they add kept beside), then a large one (made one again).
    for removed_count, added_count in [(3, 2), (0, 4), (5, 0), (2, 3), (40, 30), (1, 1)]:
        removed = sorted(rng.sample(range(len(texts)), removed_count))
        added = _texts(rng, added_count)
        index = index.with_changes(removed, (t for t, _ in added), (lang for _, lang in added))
        texts = [text for i, text in enumerate(texts) if i not in set(removed)] + added
        _same(index, texts)


def test_a_word_whose_every_chunk_went_is_unknown_again() -> None:
    index = LexicalIndex(
        ["The Okafor crew inspected the reactor.", "The bridge was painted."] * 10, languages=["en"] * 20
    )
    assert index.knows("okafor")
    gone = index.with_changes(list(range(0, 20, 2)), ["Another bridge."], ["en"])
    assert not gone.knows("okafor") and not gone.chunks_with("okafor").size
    assert gone.rarity("okafor") == pytest.approx(gone.rarity("neverseen"))
