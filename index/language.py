"""Which of the two languages users write in (English or French) a text or a question is in."""

from __future__ import annotations

from index.text import fold, words

LANGUAGES = ("en", "fr")

# Function words that occur in one language only (after accent folding): a handful settle a question,
# a page settles a document.
_MARKERS = {
    "en": frozenset(
        """the and of to is in that was for with as on by are were it this from which has have had
        what when where who why how did does do will would can could should its their they there
        an be been not but or at than into about after before his her him she he we you your""".split()
    ),
    "fr": frozenset(
        """le la les des du de et est dans une un pour que qui sur pas au aux ce cette il elle sont ont
        par avec son sa ses leur leurs quel quelle quels quelles quand comment pourquoi combien ou
        ete etait avait se ne lui nous vous mais plus tres entre apres avant depuis selon""".split()
    ),
}


def detect_language(text: str, default: str = "") -> str:
    """'en' or 'fr' by counting words found only in one of them; `default` when neither leads."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for word in words(fold(text[:20_000])):
        for language, markers in _MARKERS.items():
            if word in markers:
                counts[language] += 1
    english, french = counts["en"], counts["fr"]
    if english == french:
        return default
    return "en" if english > french else "fr"
