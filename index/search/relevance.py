"""When retrieved passages count as relevant: names the corpus lacks, and dense scores on the corpus's scale."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from index.disk_cache import cached_json
from index.search.lexical import LexicalIndex
from index.text import STOPWORDS, words

# A word written with a capital letter that does not start the question (or a sentence in it).
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)(?<![\w-])([^\W\d_][\w-]*)")


# A capitalised word this common in everyday English or French (Zipf scale: 3 = once per million
# words) is no rare name: "Russian", "February", "Western" are translated rather than found as such
# in a corpus in the other language.
COMMON_WORD_ZIPF = 3.5


@dataclass(frozen=True)
class RelevanceRule:
    """When the best passage counts as relevant, on the index's own similarity scale.

    Scores are in standard deviations above how similar everyday unrelated questions are to the
    corpus (measured at index time, kept in the manifest); the lexical side adds up to the
    retriever's `lexical_weight` when every question term is found."""

    min_fused: float = 1.2
    # The same floor on an index centred by language (index/centring.py), whose scores spread wider: what
    # separated answerable from out-of-corpus questions on the seed article (bench/trust.py, docs/quality.md).
    centred_floor: float = 2.0
    # How far a passage's document background moves towards that of unrelated questions in the question's
    # own language (0: both languages' average; 1: the question's language alone).
    language_weight: float = 1.0
    # The names of the question must all stand in the document of the passage that answers, not just
    # somewhere in the corpus.
    grounded_names: bool = True
    # A passage in the question's own language must pass the bar the index derived for such passages
    # (Manifest.same_language_bar, when above `min_fused`; index/search/calibration.py).
    calibrated: bool = True
    # ...and so must a passage in the other language (on a centred index its scores are on the same scale).
    bar_every_language: bool = False
    # Capitalised everyday words of the question ("Alsace", "Titan", "the Bronx") must stand in the answering
    # document too, as written, in a close spelling or translated (the rare names always must).
    common_anchors: bool = True
    # ...up to this everyday frequency (Zipf): "Terre", "New", "Canada" are too common to be what a question
    # is about, and are often written otherwise in the answering text ("Canadian", "England").
    anchor_zipf_max: float = 4.5
    # Names are found in a document in a spelling as close as their length allows (lexical.name_cutoff), else
    # one letter off at most (rapidfuzz ratio 85).
    strict_short_names: bool = True

    def floor(self, centred: bool) -> float:
        """The least a passage must score to answer, on an index centred by language or not."""
        return self.centred_floor if centred else self.min_fused


@lru_cache(maxsize=50_000)
def is_common_word(word: str, zipf: float = COMMON_WORD_ZIPF) -> bool:
    """Whether `word` is at least this frequent (Zipf scale) in everyday English or French."""
    lowered = word.lower()
    if _plain(lowered):  # a word wordfreq reads as itself: the cached list says (same answer, no 0.6 s load)
        return lowered in _common_words(zipf)
    from wordfreq import zipf_frequency

    return max(zipf_frequency(lowered, "en"), zipf_frequency(lowered, "fr")) >= zipf


def _plain(word: str) -> bool:
    """Lower-case Latin letters only, composed as wordfreq composes them: a word it looks up as it is."""
    return (
        word.isalpha()
        and all(ord(ch) < 0x250 for ch in word)
        and word == word.casefold()
        and unicodedata.is_normalized("NFC", word)
    )


@lru_cache(maxsize=4)
def _common_words(zipf: float) -> frozenset[str]:
    """The plain words at or above `zipf` in English or French, derived once per wordfreq version."""
    key = [metadata.version("wordfreq"), zipf]
    return frozenset(cached_json("common-words", key, lambda: _derive_common_words(zipf)))


def _derive_common_words(line: float) -> list[str]:
    from wordfreq import get_frequency_dict, zipf_frequency

    found: set[str] = set()
    for language in ("en", "fr"):
        for word, frequency in get_frequency_dict(language).items():
            if not _plain(word):
                continue
            zipf = math.log10(frequency) + 9
            # wordfreq rounds frequencies to 3 digits and Zipf values to 2: near the line, ask it.
            if zipf >= line + 0.01 or (zipf > line - 0.01 and zipf_frequency(word, language) >= line):
                found.add(word)
    return sorted(found)


def prepare(rule: RelevanceRule) -> None:
    """Load the common-word lists `rule` reads now, not inside the first question that needs them."""
    is_common_word("Prepare")
    if rule.common_anchors:
        is_common_word("Prepare", rule.anchor_zipf_max)


def question_names(question: str) -> list[str]:
    """The rare capitalised words of `question` (names of people, places, things), folded."""
    return capitalised_words(question)[0]


def capitalised_words(question: str, common_up_to: float = math.inf) -> tuple[list[str], list[str]]:
    """The capitalised words of `question` that do not start it, folded: the rare ones (names), and the
    everyday ones below the Zipf frequency `common_up_to` ("Alsace", "Titan", "Russian", which a text in
    the other language may translate)."""
    rare: list[str] = []
    common: list[str] = []
    for match in _CAPITALISED.finditer(question.strip()):
        word = match.group(1)
        if not word[0].isupper():
            continue
        if not is_common_word(word):
            kept = rare
        elif _translated_as_a_whole(word) or (common_up_to < math.inf and is_common_word(word, common_up_to)):
            continue
        else:
            kept = common
        kept.extend(part for part in words(word) if len(part) > 2 and part not in STOPWORDS)
    rare = list(dict.fromkeys(rare))
    return rare, [word for word in dict.fromkeys(common) if word not in rare]


def _translated_as_a_whole(word: str) -> bool:
    """Acronyms, numerals and compounds ("OTAN" for NATO, "XVIe", "Afro-Américaine") that another language
    writes otherwise, letters reordered or words joined differently."""
    return "-" in word or sum(ch.isupper() for ch in word) > 1


def documents_naming(
    names: Sequence[str],
    lexical: LexicalIndex,
    doc_of: Sequence[str],
    translatable: Sequence[str] = (),
    cutoff: float | None = 85.0,
) -> set[str] | None:
    """The documents that hold every one of `names` (in a close spelling: `cutoff`, None for one by length)
    and every one of `translatable` (in a close spelling or translated), None when there are neither."""
    if not names and not translatable:
        return None
    found: set[str] | None = None
    for word, translated in [*((name, False) for name in names), *((word, True) for word in translatable)]:
        docs = {doc_of[position] for position in lexical.chunks_with(word, cutoff, translated)}
        found = docs if found is None else found & docs
        if not found:
            return set()
    return found


def missing_names(question: str, lexical: LexicalIndex) -> list[str]:
    """The names in `question` that appear nowhere in the corpus, in any close spelling."""
    return [name for name in question_names(question) if not lexical.knows(name)]
