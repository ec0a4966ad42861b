"""The English-French lexical bridge: dictd dictionaries read as Debian ships them, and query words that
find their translations."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from index.search.bridge import DICTIONARIES, load_bridge, read_dictionary
from index.search.lexical import LexicalIndex
from index.text import term

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(number: int) -> str:
    digits = ""
    while True:
        digits = _B64[number % 64] + digits
        number //= 64
        if not number:
            return digits


def write_dictd(folder: Path, name: str, entries: dict[str, str]) -> None:
    """A dictd dictionary as dictfmt writes it: a gzipped body and a tab-separated index of base64 offsets."""
    body, index = b"", []
    for headword, text in entries.items():
        entry = f"{headword} /pron/\n{text}\n".encode()
        index.append(f"{headword}\t{_b64(len(body))}\t{_b64(len(entry))}")
        body += entry
    (folder / f"{name}.dict.dz").write_bytes(gzip.compress(body))
    (folder / f"{name}.index").write_text("\n".join(index) + "\n", encoding="utf-8")


def test_single_word_translations_are_read_both_ways(tmp_path: Path) -> None:
    write_dictd(tmp_path, "freedict-eng-fra", {"tank": "1. citerne\n2. char, tank", "meet": "1. réunir\n2. se réunir"})
    write_dictd(tmp_path, "freedict-fra-eng", {"chars": "tanks", "arme": "weapon, arm", "the": "le"})
    table = read_dictionary(tmp_path, "freedict-eng-fra")
    assert table[term("tank")] == {term("citerne"), term("char")}  # itself left out
    assert table[term("meet")] == {term("reunir")}  # "se réunir" is two words: not a term's translation
    bridge = load_bridge(tmp_path)
    assert term("weapon") in bridge[term("arme")] and term("the") not in bridge  # stopwords are no headwords
    # Each side is stemmed by its own language's rules, as the documents it is to find are.
    write_dictd(tmp_path, "freedict-fra-eng", {"chars": "tanks", "mettre": "meeting"})
    assert load_bridge.__wrapped__(tmp_path)[term("mettre", "fr")] == {term("meeting", "en")}
    assert load_bridge.__wrapped__(tmp_path, by_language=False)[term("mettre")] == {term("meeting", "fr")}


def test_a_query_word_finds_its_translation_only_with_the_bridge(tmp_path: Path) -> None:
    write_dictd(tmp_path, "freedict-eng-fra", {"tank": "char", "seen": "vu"})
    write_dictd(tmp_path, "freedict-fra-eng", {})
    texts = ["Des chars Leopard ont été vus près de Tokmak.", "La récolte de blé a été bonne cette année."]
    plain = LexicalIndex(texts)
    bridged = LexicalIndex(texts, bridge=load_bridge(tmp_path), bridge_weight=0.5)
    assert [hit.position for hit in plain.search("Which tank was seen?", 2)] == []
    hits = bridged.search("Which tank was seen?", 2)
    assert [hit.position for hit in hits] == [0] and 0 < hits[0].coverage < 1


def test_no_dictionaries_means_no_bridge(tmp_path: Path) -> None:
    assert load_bridge(tmp_path / "missing") == {}


@pytest.mark.skipif(
    not (DICTIONARIES / "freedict-eng-fra.index").exists(), reason="Debian's dict-freedict-* not installed"
)
def test_debians_dictionaries_bridge_english_and_french() -> None:
    bridge = load_bridge()
    assert term("char") in bridge[term("tank")] and term("weapon") in bridge[term("arme")]
    assert len(bridge) > 8000
