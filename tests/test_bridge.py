"""The English-French lexical bridge: dictd dictionaries read as Debian ships them, and query words that
find their translations."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
from pathlib import Path

import pytest

import index.search.bridge as bridge_module
from index.search.bridge import DICTIONARIES, load_bridge, read_dictionary
from index.search.lexical import LexicalIndex
from index.search.pivot_dictionaries import compose, dictionary_paths, lemma_pairs, transducer_paths
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
    bridge = load_bridge(tmp_path, apertium=tmp_path)
    assert term("weapon") in bridge[term("arme")] and term("the") not in bridge  # stopwords are no headwords
    # Each side is stemmed by its own language's rules, as the documents it is to find are.
    write_dictd(tmp_path, "freedict-fra-eng", {"chars": "tanks", "mettre": "meeting"})
    assert load_bridge.__wrapped__(tmp_path, apertium=tmp_path)[term("mettre", "fr")] == {term("meeting", "en")}
    assert load_bridge.__wrapped__(tmp_path, by_language=False, apertium=tmp_path)[term("mettre")] == {
        term("meeting", "fr")
    }


def test_a_query_word_finds_its_translation_only_with_the_bridge(tmp_path: Path) -> None:
    write_dictd(tmp_path, "freedict-eng-fra", {"tank": "char", "seen": "vu"})
    write_dictd(tmp_path, "freedict-fra-eng", {})
    texts = ["Des chars Leopard ont été vus près de Tokmak.", "La récolte de blé a été bonne cette année."]
    plain = LexicalIndex(texts)
    bridged = LexicalIndex(texts, bridge=load_bridge(tmp_path, apertium=tmp_path), bridge_weight=0.5)
    assert [hit.position for hit in plain.search("Which tank was seen?", 2)] == []
    hits = bridged.search("Which tank was seen?", 2)
    assert [hit.position for hit in hits] == [0] and 0 < hits[0].coverage < 1


def test_no_dictionaries_means_no_bridge(tmp_path: Path) -> None:
    assert load_bridge(tmp_path / "missing", apertium=tmp_path / "missing") == {}


# CI installs the dictionaries (.ci/run sets CORPUSBOT_REQUIRE_DICTIONARIES): there these tests must run, not skip.
REQUIRED = bool(os.environ.get("CORPUSBOT_REQUIRE_DICTIONARIES"))


@pytest.mark.skipif(
    not (DICTIONARIES / "freedict-eng-fra.index").exists() and not REQUIRED,
    reason="Debian's dict-freedict-* not installed",
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
    bridge = load_bridge.__wrapped__(tmp_path, names=tmp_path, apertium=tmp_path)
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
    bridged = LexicalIndex(
        texts, bridge=load_bridge.__wrapped__(tmp_path, names=tmp_path, apertium=tmp_path), languages=["fr"] * 3
    )
    assert plain.chunks_with_cognate("cyprus").size == 0  # no spelling rule links the two
    assert list(bridged.chunks_with_cognate("cyprus")) == [0] and list(bridged.chunks_with_cognate("austria")) == [1]
    assert [hit.position for hit in bridged.search("When does summer end on Cyprus?", 2)][:1] == [0]
    # A dictionary's translation of a word is no form of a name: the "Banda" of a question is not a "groupe".
    assert list(bridged.chunks_with("band", translated=True)) == [2] and bridged.chunks_with_cognate("band").size == 0


# A bilingual transducer as lt-print prints it: "chat<n>" -> "gato<n>", "grand<adj>" -> "gran<adj>" (ε: no
# symbol), numbers in a loop (left out), and a second section.
_TRANSDUCER = """
0 1 c g
1 2 h a
2 3 a t
3 4 t o
4 5 <n> <n>
0 6 1 1
6 6 2 2
6 7 <num> <num>
0 8 z z
8 8 z z
8 9 <n> <n>
5
7
9
--
0 1 g g
1 2 r r
2 3 a a
3 4 n n
4 5 d ε
5 6 <adj> <adj>
6
"""
# (its columns apart by tabs, a weight after each arc and final state, a tab after each arc's weight)
PRINTED = [
    line if line == "--" else "\t".join([*line.split(), "0.000000"]) + ("\t" if " " in line else "")
    for line in _TRANSDUCER.strip().splitlines()
]


def test_a_printed_transducers_words_are_read_and_its_number_loops_left_out() -> None:
    paths = sorted(transducer_paths(PRINTED))
    # "zz…" loops on one state: read once through it, never round it.
    assert paths == [("chat<n>", "gato<n>"), ("grand<adj>", "gran<adj>"), ("z<n>", "z<n>")]


def test_french_and_english_words_pair_through_a_pivot_word_of_the_same_part_of_speech() -> None:
    french = lemma_pairs([("chat<n>", "gato<n>"), ("Paris<np>", "París<np>"), ("pomme de terre<n>", "patata<n>")], True)
    assert french == {("chat", "<n>"): {"gato"}}  # names and words of several words are not paired
    english = lemma_pairs(
        [("gato<n>", "cat<n>"), ("gato<n>", "tomcat<n>"), ("gato<vblex>", "jack<vblex>"), ("gato<n>", "jack<vblex>")],
        False,
    )
    assert english == {("cat", "<n>"): {"gato"}, ("tomcat", "<n>"): {"gato"}, ("jack", "<vblex>"): {"gato"}}
    assert compose(french, english) == {("chat", "cat"), ("chat", "tomcat")}  # not the verb "jack"


def test_pivot_pairs_bridge_only_the_words_freedict_does_not_know(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dictd(tmp_path, "freedict-eng-fra", {})
    write_dictd(tmp_path, "freedict-fra-eng", {"chat": "cat"})
    pairs = {("chat", "tomcat"), ("kyste", "cyst"), ("le", "the"), ("île", "isle"), ("ou", "or")}
    monkeypatch.setattr(bridge_module, "pivot_pairs", lambda folder: pairs)
    bridge = load_bridge.__wrapped__(tmp_path, names=tmp_path, apertium=tmp_path / "pivots")
    assert bridge[term("chat", "fr")] == {term("cat", "en")}  # FreeDict's word keeps FreeDict's translations
    assert bridge[term("kyste", "fr")] == {term("cyst", "en")} and bridge[term("cyst", "en")] == {term("kyste", "fr")}
    assert bridge[term("ile", "fr")] == {term("isle", "en")}
    assert term("the", "en") not in bridge and term("or", "en") not in bridge  # stopwords and two-letter words


def test_installing_lt_print_after_the_dictionaries_brings_their_pairs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dictd(tmp_path, "freedict-eng-fra", {})
    write_dictd(tmp_path, "freedict-fra-eng", {"chat": "cat"})
    # (as pivot_pairs does: nothing without lt-print)
    monkeypatch.setattr(
        bridge_module, "pivot_pairs", lambda folder: {("kyste", "cyst")} if bridge_module.printer() else set()
    )
    monkeypatch.setattr(bridge_module, "printer", lambda: None)
    assert term("kyste", "fr") not in load_bridge.__wrapped__(tmp_path, names=tmp_path, apertium=tmp_path / "pivots")
    monkeypatch.setattr(bridge_module, "printer", lambda: "/usr/bin/lt-print")  # the table kept is not used again
    assert load_bridge.__wrapped__(tmp_path, names=tmp_path, apertium=tmp_path / "pivots")[term("kyste", "fr")]


@pytest.mark.skipif(
    not (all(path.exists() for path in dictionary_paths()) and shutil.which("lt-print")) and not REQUIRED,
    reason="Debian's apertium-fr-es, -eng-spa, -fra-cat, -eng-cat and lttoolbox-dev not installed",
)
def test_apertiums_dictionaries_bridge_words_freedict_lacks(tmp_path: Path) -> None:
    bridge, freedict_only = load_bridge(), load_bridge(apertium=tmp_path)
    assert term("kyste", "fr") not in freedict_only
    assert term("cyst", "en") in bridge[term("kyste", "fr")] and term("kyste", "fr") in bridge[term("cyst", "en")]
    assert len(bridge) > len(freedict_only) + 8000
