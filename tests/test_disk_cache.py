"""Tables derived from installed data are kept on disk and give the very answers derived afresh."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from index.disk_cache import cache_folder, cached_json, cached_object


def test_a_table_is_derived_once_and_read_back_by_later_runs(tmp_path: Path) -> None:
    calls: list[int] = []

    def build() -> dict[str, list[str]]:
        calls.append(1)
        return {"char": ["tank"], "été": ["summer"]}

    first = cached_json("bridge", ["v1"], build)
    assert cached_json("bridge", ["v1"], build) == first == {"char": ["tank"], "été": ["summer"]}
    assert len(calls) == 1 and cache_folder() == tmp_path / "cache" / "corpusbot"
    cached_json("bridge", ["v2"], build)  # other inputs: derived again
    assert len(calls) == 2


def test_a_damaged_copy_is_derived_again_and_an_unwritable_folder_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_json("words", [1], lambda: ["a"])
    folder = cache_folder()
    assert folder is not None
    (saved,) = folder.glob("words-*.json")
    saved.write_text('["a", ', encoding="utf-8")
    assert cached_json("words", [1], lambda: ["b"]) == ["b"]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert cached_json("words", [1], lambda: ["c"]) == ["c"]


def test_the_cached_common_words_answer_as_wordfreq_does() -> None:
    from wordfreq import zipf_frequency

    from index.search.relevance import is_common_word
    from index.tuning import COMMON_WORD_ZIPF
    from tests.conftest import SEED_CORPUS

    seed = " ".join(path.read_text(encoding="utf-8") for path in SEED_CORPUS.glob("*.txt"))
    words = {word.strip(".,;:!?()«»\"'’") for word in seed.split()} | {
        "Russian", "February", "Poutine", "Loukachenko", "Sotchi", "Museveni", "Élysée", "ÉTÉ", "Œuvre",
        "Straße", "Москва", "Biélorussie", "Jean-Pierre", "COVID-19", "Yoweri",
    }  # fmt: skip
    for word in filter(None, words):
        lowered = word.lower()
        expected = max(zipf_frequency(lowered, "en"), zipf_frequency(lowered, "fr")) >= COMMON_WORD_ZIPF
        assert is_common_word(word) == expected, word


def test_a_cache_folder_that_is_not_absolute_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # relative to wherever the command runs: not used
    monkeypatch.chdir(tmp_path)
    assert cached_json("words", [1], lambda: ["d"]) == ["d"]
    assert not (tmp_path / "relative").exists() and not any(tmp_path.rglob("words-*.json"))


def test_a_copy_that_cannot_be_written_whole_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    import index.disk_cache as disk_cache

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(disk_cache.json, "dump", full_disk)
    folder = cache_folder()
    assert folder is not None
    before = sorted(folder.glob("*"))  # the tables this test starts with (tests/conftest.py)
    assert cached_json("words", [2], lambda: ["e"]) == ["e"]
    assert sorted(folder.glob("*")) == before


def test_a_kept_object_comes_back_whole_and_a_changed_copy_cannot_run_code(tmp_path: Path) -> None:
    from collections import OrderedDict
    from fractions import Fraction

    calls: list[int] = []

    def build() -> OrderedDict[str, Fraction]:
        calls.append(1)
        return OrderedDict(half=Fraction(1, 2))

    allowed = frozenset({("fractions", "Fraction")})
    first = cached_object("table", [1], build, allowed)
    assert cached_object("table", [1], build, allowed) == first == OrderedDict(half=Fraction(1, 2))
    assert len(calls) == 1
    # The same copy read by a caller that does not allow its class: derived again, never rebuilt from the file.
    assert cached_object("table", [1], build, frozenset()) == first and len(calls) == 2
    folder = cache_folder()
    assert folder is not None
    (saved,) = folder.glob("table-*.pickle")
    witness = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {witness}",))

    saved.write_bytes(pickle.dumps(Payload()))
    assert cached_object("table", [1], build, allowed) == first and len(calls) == 3
    assert not witness.exists()
    saved.write_bytes(pickle.dumps(getattr))  # the way from an allowed class to any function
    assert cached_object("table", [1], build, allowed) == first and len(calls) == 4
