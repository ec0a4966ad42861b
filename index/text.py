"""Text normalisation shared by lexical search, fuzzy matching and answer extraction."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"\w+", re.UNICODE)
_REPEATS = re.compile(r"(.)\1+")
_TRANSLITERATIONS = (
    ("tch", "ch"),
    ("sh", "ch"),
    ("ou", "u"),
    ("kh", "k"),
    ("ph", "f"),
    ("ck", "k"),
    ("y", "i"),
    ("w", "v"),
    ("j", "i"),
)

STOPWORDS = frozenset(
    """
    a about after all also an and any are as at be been before being between both but by can could
    did do does doing done during each for from had has have having he her here hers him his how i
    if in into is it its itself just me more most my no nor not now of off on once only or other our
    out over own same she should so some such than that the their theirs them then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours say said says tell told get got did ever au aux avec ce ces
    cet cette dans de des du elle elles en et eux il ils je la le les leur leurs lui ma mais me meme
    mes moi mon ne nos notre nous on ou par pas pour qu que quel quelle quelles quels qui sa se ses
    son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y ete etre est sont etait ont
    avait avaient a fait faire fera sera seront comme plus si tout tous toute toutes dit dire quand
    combien comment pourquoi ou lors apres avant aussi alors donc ainsi ni soit cela ca celui celle
    """.split()
)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]+")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def clean_question(question: str) -> str:
    """A question as typed, minus what no one types on purpose: NUL and other control characters,
    undecodable bytes (surrogate escapes from a non-UTF-8 terminal), replacement characters and
    invisible formatting marks (zero-width spaces, direction marks)."""
    question = question.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(_CONTROL.sub(" ", _INVISIBLE.sub("", question)).split())


def sentence_case(question: str) -> str:
    """The question as a sentence is written, so 'when does…', 'When does…' and 'WHEN DOES…' are one
    question: first letter upper case, and an all-capitals question lowered first."""
    letters = [ch for ch in question if ch.isalpha()]
    if len(letters) > 3 and all(ch.isupper() for ch in letters):
        question = question.lower()
    return question[:1].upper() + question[1:]


# The accents of Latin letters once decomposed (U+0300-U+036F): the marks `fold` strips from most texts.
_LATIN_MARKS = {code: None for code in range(0x300, 0x370) if unicodedata.combining(chr(code))}


def fold(text: str) -> str:
    """Case-fold, strip accents, and unify typographic apostrophes and spaces."""
    text = text.replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():  # nothing to strip (most English text): no pass over each character
        return decomposed
    stripped = decomposed.translate(_LATIN_MARKS)
    if stripped.isascii():  # (a pass in C, not a Python step per character: ~0.3 ms a question)
        return stripped
    marks = {ord(ch): None for ch in set(stripped) if not ch.isascii() and unicodedata.combining(ch)}
    return stripped.translate(marks) if marks else stripped


def words(text: str) -> list[str]:
    """Folded word tokens, elided articles (l', d', qu') split off."""
    return _TOKEN.findall(fold(text).replace("_", " "))


def has_digit(word: str) -> bool:
    """Whether `word` holds a digit (a letter is never one: most words are answered without a look at each)."""
    return not word.isalpha() and any(ch.isdigit() for ch in word)


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """A spelling-insensitive key: Loukachenko/Lukashenko, Kyiv/Kiev, Sotchi/Sochi come close.

    Words with digits (numbers, identifiers, codes) are kept exactly as written."""
    if has_digit(word):
        return word
    key = word
    for source, target in _TRANSLITERATIONS:
        key = key.replace(source, target)
    key = _REPEATS.sub(r"\1", key)
    if len(key) > 4 and key[-1] in "sx":
        key = key[:-1]
    return key


# Languages whose documents are stemmed with their own Snowball rules; text in any other language takes the
# French rules (which leave most inflections of other languages alone).
_SNOWBALL = {"fr": "french", "en": "english"}
STEMMED = tuple(_SNOWBALL)


@lru_cache(maxsize=400_000)
def term(word: str, language: str = "fr") -> str:
    """The index term of a folded word in a text of `language`: its Snowball stem by that language's rules
    (French for any language but English), as a spelling-insensitive skeleton; identifiers and numbers
    stay exact."""
    if has_digit(word):
        return word
    return skeleton(_stemmer(stemming_of(language)).stemWord(word))


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(_SNOWBALL[language])


def content_words(text: str) -> list[str]:
    """The folded words of `text` that say something: stopwords and one-letter tokens dropped."""
    return [w for w in words(text) if (len(w) > 1 or w.isdigit()) and w not in STOPWORDS]


def stemming_of(language: str) -> str:
    """The Snowball rules a text in `language` is stemmed by: its own ("fr", "en"), else the French ones."""
    return language if language in _SNOWBALL else "fr"


def terms(text: str, language: str = "fr") -> list[str]:
    """Content terms of `text` in `language`: stopwords and one-letter tokens dropped, the rest stemmed
    and skeletonised."""
    return [term(w, language) for w in content_words(text)]


@lru_cache(maxsize=4096)
def term_set(text: str, language: str = "fr") -> frozenset[str]:
    """`terms` of `text` as a set, kept for the last texts asked: the relevance decision reads a passage's
    sentences, and answer extraction reads them again."""
    return frozenset(terms(text, language))


@lru_cache(maxsize=50_000)
def spellings(word: str, languages: tuple[str, ...] = STEMMED) -> tuple[str, ...]:
    """The index terms a folded word of a question may stand for, in a text of each of `languages`."""
    return tuple(dict.fromkeys(term(word, language) for language in languages))


def with_title(title: str, text: str) -> str:
    """A chunk as it is embedded and searched: its document's title gives it context."""
    return f"{title}\n{text}" if title else text
