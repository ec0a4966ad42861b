"""The English-French lexical bridge: dictd dictionaries read as Debian ships them, and query words that
find their translations."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from index.search.bridge import DICTIONARIES, load_bridge, read_dictionary
from index.search.lexical import LexicalIndex
from index.search.place_names import name_pairs
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


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """A gettext catalogue as msgfmt writes it (no hash table): what Debian's iso-codes ships per language."""
    keys = sorted(messages)
    ids = b"".join(key.encode() + b"\0" for key in keys)
    strs = b"".join(messages[key].encode() + b"\0" for key in keys)
    start = 7 * 4 + 16 * len(keys)  # the header, then both tables of (length, offset)
    offsets, position = [], 0
    for key in keys:
        offsets.append((len(key.encode()), start + position))
        position += len(key.encode()) + 1
    translations, position = [], 0
    for key in keys:
        translations.append((len(messages[key].encode()), start + len(ids) + position))
        position += len(messages[key].encode()) + 1
    header = struct.pack("7I", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    tables = b"".join(struct.pack("2I", *pair) for pair in offsets + translations)
    path.write_bytes(header + tables + ids + strs)


def test_names_the_two_languages_write_differently_come_from_iso_codes(tmp_path: Path) -> None:
    messages = {"": "Content-Type: text/plain; charset=UTF-8\n", "Cyprus": "Chypre", "Angola": "Angola"}
    write_mo(tmp_path / "iso_3166-1.mo", messages | {"United Kingdom": "Royaume-Uni"})
    write_mo(tmp_path / "iso_3166-2.mo", {"Ticino": "Tessin", "Bern": "Berne"})
    # The same name in both languages, and names of more than one word, are no pairs.
    assert sorted(name_pairs(tmp_path)) == [("bern", "berne"), ("cyprus", "chypre"), ("ticino", "tessin")]
    assert list(name_pairs(tmp_path / "missing")) == []
    (tmp_path / "iso_639-2.mo").write_bytes(b"not a catalogue")  # a damaged one is skipped, the others read
    assert len(list(name_pairs(tmp_path))) == 3
    write_dictd(tmp_path, "freedict-eng-fra", {"tank": "char"})
    write_dictd(tmp_path, "freedict-fra-eng", {})
    bridge = load_bridge.__wrapped__(tmp_path, names=tmp_path)
    assert bridge[term("cyprus", "en")] == {term("chypre", "fr")}
    assert bridge[term("tessin", "fr")] == {term("ticino", "en")}
    assert term("bern", "en") not in bridge  # stemmed alike in each language ("bern"): nothing to bridge


def test_a_name_stands_in_a_passage_in_the_other_languages_form_of_it(tmp_path: Path) -> None:
    write_mo(tmp_path / "iso_3166-1.mo", {"Cyprus": "Chypre", "Austria": "Autriche"})
    write_dictd(tmp_path, "freedict-eng-fra", {"band": "bande, groupe"})
    write_dictd(tmp_path, "freedict-fra-eng", {})
    texts = [
        "Le mois d'octobre marque la fin de l'été à Chypre.",
        "Vienne est la capitale de l'Autriche.",
        "Un groupe de rock joue à Lyon.",
    ]
    plain = LexicalIndex(texts, languages=["fr"] * 3)
    bridged = LexicalIndex(texts, bridge=load_bridge.__wrapped__(tmp_path, names=tmp_path), languages=["fr"] * 3)
    assert plain.chunks_with_cognate("cyprus").size == 0  # no spelling rule links the two
    assert list(bridged.chunks_with_cognate("cyprus")) == [0] and list(bridged.chunks_with_cognate("austria")) == [1]
    assert [hit.position for hit in bridged.search("When does summer end on Cyprus?", 2)][:1] == [0]
    # A dictionary's translation of a word is no form of a name: the "Banda" of a question is not a "groupe".
    assert list(bridged.chunks_with("band", translated=True)) == [2] and bridged.chunks_with_cognate("band").size == 0
