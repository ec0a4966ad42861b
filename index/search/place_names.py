"""Names that English and French write differently (Slovakia/Slovaquie, Ticino/Tessin, Cyprus/Chypre),
from the French translations of Debian's `iso-codes`: countries, their regions, languages and scripts.

The package (LGPL; installed by the product's setup as root with the dictionaries, read where Debian puts
it, never copied into the product) gives ~550 one-word pairs that no spelling rule links. Without it there
are none, and names are linked by their spelling alone (index/search/lexical.py, cognates)."""

from __future__ import annotations

import gettext
import struct
from collections.abc import Iterator
from pathlib import Path

from index.text import fold, words

LOCALE = Path("/usr/share/locale/fr/LC_MESSAGES")
# The iso-codes catalogues whose English names are translated into French: countries, their subdivisions
# (regions, provinces, cantons), languages and scripts.
CATALOGUES = ("iso_3166-1", "iso_3166-2", "iso_639-2", "iso_15924")


def catalogue_paths(folder: Path = LOCALE) -> list[Path]:
    """Where each catalogue stands in `folder` (installed or not)."""
    return [folder / f"{name}.mo" for name in CATALOGUES]


def name_pairs(folder: Path = LOCALE) -> Iterator[tuple[str, str]]:
    """(English, French) folded one-word names that differ, from every catalogue found in `folder`."""
    for path in catalogue_paths(folder):
        try:
            with path.open("rb") as file:
                catalogue = gettext.GNUTranslations(file)._catalog  # type: ignore[attr-defined]
        except (OSError, ValueError, struct.error):  # not installed or unreadable: no pairs from it
            continue
        for english, french in catalogue.items():
            if not isinstance(english, str) or not english:  # the header, plural forms
                continue
            english_words, french_words = words(fold(english)), words(fold(french))
            if len(english_words) == 1 and len(french_words) == 1 and english_words != french_words:
                yield english_words[0], french_words[0]
