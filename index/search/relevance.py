"""When retrieved passages count as relevant: names the corpus lacks, and dense scores on the corpus's scale."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

import numpy as np
from rapidfuzz import fuzz

from index.disk_cache import cached_json
from index.models import Passage
from index.search.lexical import LexicalIndex, WordEvidence
from index.sentences import split_sentences
from index.text import STOPWORDS, content_words, fold, stemming_of, term_set, words
from index.tuning import COGNATE_RATIO, COMMON_WORD_ZIPF, NAME_RATIO, RelevanceRule

# A word written with a capital letter that does not start the question (or a sentence in it).
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)(?<![\w-])([^\W\d_][\w-]*)")
# A century or millennium in French ("XVIe siècle", "IIe millénaire"): a number, which the other language
# writes otherwise ("16th century"), not a name. ("François Ier" keeps its "Ier": part of the name.)
_ORDINAL_NUMERAL = re.compile(r"[MDCLXVI]+(?:e|ème|eme)")
_WORD = re.compile(r"[^\W\d_]+")
_APOSTROPHES = frozenset("'’")


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


def prepare_word_frequencies() -> None:
    """Load wordfreq's own tables (~0.6 s), which a word outside the cached lists needs ("F-16", "Ostrander3"):
    a long-running process does it at start, not inside the first question with such a word (which made
    the replies to 20 users at once wait 0.7 s, bench.run)."""
    from wordfreq import zipf_frequency

    zipf_frequency("warm-up", "en")
    zipf_frequency("warm-up", "fr")


def question_names(question: str) -> list[str]:
    """The rare capitalised words of `question` (names of people, places, things), folded."""
    return capitalised_words(question)[0]


def capitalised_words(question: str, common_up_to: float = math.inf) -> tuple[list[str], list[str]]:
    """The capitalised words of `question` that do not start it (a capital anywhere: "iPod"), folded: the
    rare ones (names), and the everyday ones below the Zipf frequency `common_up_to` ("Alsace", "Titan",
    "Russian", which a text in the other language may translate)."""
    rare: list[str] = []
    common: list[str] = []
    for match in _CAPITALISED.finditer(question.strip()):
        word = match.group(1)
        # A capital anywhere: "Tokmak", and the brands written "iPod", "eBay"; not a century ("XVIe").
        if not any(ch.isupper() for ch in word) or _ORDINAL_NUMERAL.fullmatch(word):
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


@dataclass(frozen=True)
class Naming:
    """Where a question's names stand: the documents that hold every one of them, and the chunk positions
    that hold every rare one together (a passage about what the question names; empty without rare names)."""

    documents: set[str]
    chunks: frozenset[int]


def documents_naming(
    names: Sequence[str],
    lexical: LexicalIndex,
    doc_numbers: np.ndarray,
    doc_ids: Sequence[str],
    translatable: Sequence[str] = (),
    cutoff: float | None = NAME_RATIO,
    cognates: bool = False,
) -> Naming | None:
    """Where `names` stand (in a close spelling: `cutoff`, None for one by length; or, with `cognates`, as the
    other language may write it) with every one of `translatable` (in a close spelling or translated), None
    when there are neither. `doc_numbers` gives each chunk position's document as an index into `doc_ids`."""
    if not names and not translatable:
        return None
    found = np.ones(len(doc_ids), dtype=bool)
    together: np.ndarray | None = None
    for word, translated in [*((name, False) for name in names), *((word, True) for word in translatable)]:
        positions = lexical.chunks_with(word, cutoff, translated)
        if cognates and not translated:
            positions = np.union1d(positions, lexical.chunks_with_cognate(word))
        if not translated:
            together = positions if together is None else np.intersect1d(together, positions)
        holding = np.zeros(len(doc_ids), dtype=bool)
        holding[doc_numbers[positions]] = True
        found &= holding
        if not found.any():
            return Naming(set(), frozenset())
    chunks = frozenset() if together is None else frozenset(int(position) for position in together)
    return Naming({doc_ids[int(number)] for number in np.flatnonzero(found)}, chunks)


def written_as_names(names: Sequence[str], text: str) -> bool:
    """Whether each of `names` (folded) stands in `text` as a word with a capital letter, in a spelling that
    starts alike ("Mogadishu" for "mogadiscio"): a name there, not an everyday word ("trimmer", "nightingales"
    for a question about Sarah Trimmer or a ship called Nightingale)."""
    written = {fold(word) for word in set(_WORD.findall(text)) if word.lower() != word}
    return all(
        any(word[:3] == name[:3] and fuzz.ratio(word, name) >= COGNATE_RATIO for word in written) for name in names
    )


def weighted_overlap(question_words: Set[str], present: Set[str], evidence: Callable[[str], WordEvidence]) -> float:
    """The share of the question's words, each weighed by its rarity in the corpus, that a sentence's terms
    (`present`, stemmed as the index stems its document's language) hold in some form (`evidence`): a
    sentence with the question's rare words, not only its everyday ones."""
    total = found = 0.0
    for word in question_words:
        known = evidence(word)
        total += known.weight
        found += known.weight * max((share for term, share in known.shares.items() if term in present), default=0.0)
    return found / total if total else 0.0


def passage_focus(question: str, passage: Passage, lexical: LexicalIndex) -> float:
    """The focus of `passage`'s best sentence on `question`: the share of the question's rarity it holds
    (`weighted_overlap`), 1 when one sentence holds every word of it, in some spelling or translated (and
    when the question has no word to hold)."""
    asked = set(content_words(question))
    if not asked:
        return 1.0
    stemming = stemming_of(passage.lang)
    return max(
        (
            weighted_overlap(asked, term_set(passage.text[start:end], stemming), lexical.evidence)
            for start, end in split_sentences(passage.text)
        ),
        default=0.0,
    )


def unknown_words(question: str, lexical: LexicalIndex) -> list[str]:
    """The rare lower-case words of `question` (below everyday use in English and French) that the corpus holds
    in no form: not as written, in a close spelling, translated, nor as the other language's form of them. A
    question about what the corpus lacks asks with them ("chtokavien", "serbo-croate", "cubisme"), where its
    names would be written with a capital (missing_names)."""
    unknown: list[str] = []
    for match in _WORD.finditer(question):
        word = match.group(0)
        if len(word) < 4 or word != word.lower() or question[match.end() : match.end() + 1] in _APOSTROPHES:
            continue  # short, a name (missing_names), or elided ("quelqu'un", "aujourd'hui")
        if is_common_word(word):
            continue
        folded = fold(word)
        if folded in STOPWORDS or folded in unknown:
            continue
        if lexical.chunks_with(folded, None, translated=True).size or lexical.chunks_with_cognate(folded).size:
            continue
        unknown.append(folded)
    return unknown


def missing_names(question: str, lexical: LexicalIndex) -> list[str]:
    """The names in `question` that appear nowhere in the corpus, in any close spelling."""
    return [name for name in question_names(question) if not lexical.knows(name)]
