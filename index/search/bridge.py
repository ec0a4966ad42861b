"""A lexical bridge between English and French: the single-word translations of the FreeDict dictionaries.

Debian's `dict-freedict-eng-fra` and `dict-freedict-fra-eng` (GPL, installed by the product's setup as
root, read where Debian puts them; never copied into the product) give ~17,000 headwords, and the names
the two languages write differently (index/search/place_names.py) ~550 more; words neither knows take the
pairs composed from Apertium's dictionaries through Spanish and Catalan (index/search/pivot_dictionaries.py).
A query word also stands for its translations, so "tanks" finds "chars" in a French passage and "Cyprus"
"Chypre". Without the packages there is no bridge and the lexical side is what it was."""

from __future__ import annotations

import gzip
import logging
import re
from collections import defaultdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from index.disk_cache import cached_json, file_key
from index.search.pivot_dictionaries import APERTIUM, dictionary_paths, pivot_pairs, printer
from index.search.place_names import LOCALE, catalogue_paths, name_pairs
from index.text import STOPWORDS, term, words

log = logging.getLogger(__name__)

DICTIONARIES = Path("/usr/share/dictd")
# Each dictionary, with the languages of its headwords and of their translations.
PAIRS = {"freedict-eng-fra": ("en", "fr"), "freedict-fra-eng": ("fr", "en")}
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Names (place_names.py) also stand under this prefix, apart from the dictionaries' translations: a name of
# a question may be found in the other language's form of it, never in a word a dictionary gives for it
# ("Banda" is no "gang").
NAME = "name:"
FORMAT = 3  # of the table kept on disk: 2 with the names, 3 with the pairs through Spanish and Catalan
_NUMBERED = re.compile(r"^\s*(?:\d+\.\s*)?(.*)$")


def _number(encoded: str) -> int:
    value = 0
    for ch in encoded:
        value = value * 64 + _B64.index(ch)
    return value


def _one_word(text: str) -> str | None:
    """`text` folded, when it is one word worth translating (not a stopword, three letters or more); else None."""
    tokens = words(text)
    return tokens[0] if len(tokens) == 1 and tokens[0] not in STOPWORDS and len(tokens[0]) > 2 else None


def _translations(entry: str) -> list[str]:
    """The one-word translations of a dictd entry: its lines after the headword, split at commas."""
    found: list[str] = []
    for line in entry.splitlines()[1:]:
        text = _NUMBERED.match(line)
        for part in (text.group(1) if text else "").split(","):
            if word := _one_word(part.strip()):
                found.append(word)
    return found


def read_dictionary(folder: Path, name: str, source: str = "fr", target: str = "fr") -> dict[str, set[str]]:
    """Index term -> index terms of its translations, from one dictd dictionary (empty if missing); its
    headwords are stemmed by the rules of language `source`, their translations by those of `target`."""
    index, data_path = folder / f"{name}.index", folder / f"{name}.dict.dz"
    try:
        lines = index.read_text(encoding="utf-8").splitlines()
        data = gzip.decompress(data_path.read_bytes())
    except OSError:
        return {}
    table: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        fields = line.split("\t")
        if len(fields) != 3 or fields[0].startswith("00database"):
            continue
        headword = words(fields[0])
        if len(headword) != 1 or headword[0] in STOPWORDS:
            continue
        entry = data[_number(fields[1]) : _number(fields[1]) + _number(fields[2])].decode("utf-8", "replace")
        key = term(headword[0], source)
        table[key].update(term(word, target) for word in _translations(entry) if term(word, target) != key)
    return dict(table)


@lru_cache(maxsize=4)
def load_bridge(
    folder: Path = DICTIONARIES, by_language: bool = True, names: Path = LOCALE, apertium: Path = APERTIUM
) -> dict[str, frozenset[str]]:
    """Both directions in one table (a term is looked up whatever its language); {} without the packages.
    Terms are stemmed by their own language's rules (`by_language`), else all by the French ones. The
    table is derived once per installed dictionary and kept on disk (index.disk_cache)."""
    dictionaries = [file_key(folder / f"{name}{suffix}") for name in PAIRS for suffix in (".index", ".dict.dz")]
    if all(size < 0 for _, size, _ in dictionaries):
        log.info("no English-French dictionary in %s: the lexical side has no bridge between languages", folder)
        return {}
    names_read = [file_key(path) for path in catalogue_paths(names)]
    # (lt-print installed after the dictionaries makes the table again, with their pairs)
    pivots_read = [file_key(path) for path in dictionary_paths(apertium)] + [printer() is not None]
    key = [FORMAT, dictionaries, names_read, pivots_read, by_language, metadata.version("PyStemmer")]
    table = cached_json(
        "bridge", key, lambda: {k: sorted(v) for k, v in _merged(folder, by_language, names, apertium).items()}
    )
    return {key: frozenset(translations) for key, translations in table.items()}


def _merged(folder: Path, by_language: bool, names: Path, apertium: Path = APERTIUM) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = defaultdict(set)
    for name, (source, target) in PAIRS.items():
        languages = (source, target) if by_language else ("fr", "fr")
        for key, values in read_dictionary(folder, name, *languages).items():
            merged[key].update(values)
    english, french = ("en", "fr") if by_language else ("fr", "fr")
    for english_name, french_name in name_pairs(names):
        english_term, french_term = term(english_name, english), term(french_name, french)
        if english_term != french_term:
            for key, value in ((english_term, french_term), (french_term, english_term)):
                merged[key].add(value)
                merged[name_key(key)].add(value)
    # Words FreeDict does not know (nor the names) take the pairs composed through Spanish and Catalan, which
    # are looser (a pivot word's other senses come along: "conseil" -> "tip"): the mixed dev index's French
    # questions on English documents, hit@1 0.780 -> 0.800 and 18 -> 16 false refusals with them for these
    # words only, 0.807 and 15 but one out-of-corpus question answered more with them for every word
    # (docs/quality.md, stop 37).
    known = set(merged)
    for french_lemma, english_lemma in pivot_pairs(apertium):
        french_word, english_word = _one_word(french_lemma), _one_word(english_lemma)
        if french_word is None or english_word is None:
            continue
        french_term, english_term = term(french_word, french), term(english_word, english)
        if french_term == english_term:
            continue
        for key, value in ((french_term, english_term), (english_term, french_term)):
            if key not in known:
                merged[key].add(value)
    return merged


def name_key(term: str) -> str:
    """The bridge's key for the other language's forms of a name (not its dictionary translations)."""
    return f"{NAME}{term}"
