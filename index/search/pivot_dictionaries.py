"""French-English word pairs composed from Apertium's bilingual dictionaries through Spanish and Catalan.

Debian packs no large French-English dictionary besides FreeDict's (index/search/bridge.py), but Apertium's
translation data pairs each of French and English with Spanish and with Catalan (`apertium-fr-es`,
`apertium-eng-spa`, `apertium-fra-cat`, `apertium-eng-cat`; GPL, installed by the product's setup as root with
`lttoolbox-dev`, whose `lt-print` reads their compiled dictionaries; read where Debian puts them, never copied
into the product). A French and an English word that translate to the same Spanish or Catalan word of the same
part of speech make a pair: ~28,000 one-word pairs. Without the packages there are none."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

APERTIUM = Path("/usr/share/apertium")
# For each pivot language, the compiled bilingual dictionaries that pair it with French and with English
# (package folder, file, whether French or English is the dictionary's first language). Both directions of a
# pair are read: each holds entries the other restricts away.
PIVOTS: dict[str, tuple[tuple[tuple[str, str, bool], ...], tuple[tuple[str, str, bool], ...]]] = {
    "es": (
        (("apertium-fr-es", "fr-es.autobil.bin", True), ("apertium-fr-es", "es-fr.autobil.bin", False)),
        (("apertium-eng-spa", "eng-spa.autobil.bin", True), ("apertium-eng-spa", "spa-eng.autobil.bin", False)),
    ),
    "ca": (
        (("apertium-fra-cat", "fra-cat.autobil.bin", True), ("apertium-fra-cat", "cat-fra.autobil.bin", False)),
        (("apertium-eng-cat", "eng-cat.autobil.bin", True), ("apertium-eng-cat", "cat-eng.autobil.bin", False)),
    ),
}
# The parts of speech paired: nouns, adjectives, verbs, adverbs (names are paired by index/search/place_names.py,
# and Apertium's name lists keep the pivot language's forms: "Homère" would become "Homero").
PARTS_OF_SPEECH = frozenset({"<n>", "<adj>", "<vblex>", "<adv>"})
_ENTRY = re.compile(r"^([^<]+)(<[^>]+>)")
_EPSILON = "ε"


def dictionary_paths(folder: Path = APERTIUM) -> list[Path]:
    """Every compiled dictionary the pairs are read from (installed or not)."""
    return [
        folder / package / name
        for french_side, english_side in PIVOTS.values()
        for package, name, _ in (*french_side, *english_side)
    ]


def transducer_paths(att: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(input, output) of every path of a transducer printed by `lt-print` (AT&T text, sections apart by
    "--"), through symbols that can spell a word or name its tags: the patterns of numbers and codes, which
    loop, are left out."""
    sections: list[tuple[dict[int, list[tuple[int, str, str]]], set[int]]] = []
    arcs: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    finals: set[int] = set()
    for line in att:
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "--":
            sections.append((arcs, finals))
            arcs, finals = defaultdict(list), set()
        elif len(fields) >= 4 and fields[1]:
            arcs[int(fields[0])].append((int(fields[1]), fields[2], fields[3]))
        elif fields[0]:
            finals.add(int(fields[0]))
    sections.append((arcs, finals))
    for arcs, finals in sections:
        yield from _simple_paths(arcs, finals)


def _simple_paths(arcs: dict[int, list[tuple[int, str, str]]], finals: set[int]) -> Iterator[tuple[str, str]]:
    """Depth first from state 0, never through a state twice on one path."""
    if 0 in finals:
        yield "", ""
    on_path = {0}
    stack = [(0, "", "", iter(arcs.get(0, ())))]
    while stack:
        state, said, written, pending = stack[-1]
        for target, symbol_in, symbol_out in pending:
            if target in on_path or not _spells(symbol_in):
                continue
            longer_said = said + ("" if symbol_in == _EPSILON else symbol_in)
            longer_written = written + ("" if symbol_out == _EPSILON else symbol_out)
            if target in finals:
                yield longer_said, longer_written
            on_path.add(target)
            stack.append((target, longer_said, longer_written, iter(arcs.get(target, ()))))
            break
        else:
            stack.pop()
            on_path.discard(state)


def _spells(symbol: str) -> bool:
    return symbol == _EPSILON or symbol.startswith("<") or symbol.isalpha() or symbol in " -'"


def lemma_pairs(paths: Iterable[tuple[str, str]], first_is_ours: bool) -> dict[tuple[str, str], set[str]]:
    """(our language's one-word lemma, its part of speech) -> the pivot language's one-word lemmas, from a
    dictionary's paths (`first_is_ours`: our language is the dictionary's first)."""
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for said, written in paths:
        ours, theirs = (said, written) if first_is_ours else (written, said)
        mine, other = _ENTRY.match(ours), _ENTRY.match(theirs)
        if not mine or not other or mine.group(2) not in PARTS_OF_SPEECH or other.group(2) != mine.group(2):
            continue
        if " " in mine.group(1) or " " in other.group(1):
            continue
        pairs[(mine.group(1), mine.group(2))].add(other.group(1))
    return pairs


def compose(french: dict[tuple[str, str], set[str]], english: dict[tuple[str, str], set[str]]) -> set[tuple[str, str]]:
    """(French, English) lemmas that share a pivot lemma of the same part of speech."""
    by_pivot: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (lemma, part), pivots in english.items():
        for pivot in pivots:
            by_pivot[(pivot, part)].add(lemma)
    return {
        (lemma, english_lemma)
        for (lemma, part), pivots in french.items()
        for pivot in pivots
        for english_lemma in by_pivot.get((pivot, part), ())
    }


def printer() -> str | None:
    """Where `lt-print` is (lttoolbox-dev), None when it is not installed: then no pairs can be read."""
    return shutil.which("lt-print")


@lru_cache(maxsize=2)
def pivot_pairs(folder: Path = APERTIUM) -> frozenset[tuple[str, str]]:
    """(French, English) one-word lemmas through every pivot whose dictionaries are installed in `folder`;
    empty without them or without `lt-print`. Derived in ~15 s (index/search/bridge.py keeps its table)."""
    reader = printer()
    installed = [path for path in dictionary_paths(folder) if path.exists()]
    if reader is None:
        if installed:
            log.info("Apertium's dictionaries are installed but not lt-print (lttoolbox-dev): no pairs from them")
        return frozenset()
    pairs: set[tuple[str, str]] = set()
    with ThreadPoolExecutor(max_workers=2) as pool:  # lt-print runs beside the reading of what it printed
        printing = {path: pool.submit(_printed, reader, path) for path in installed}
        for french_side, english_side in PIVOTS.values():
            sides = [_read_side(folder, side, printing) for side in (french_side, english_side)]
            if all(sides):
                pairs |= compose(*sides)
    return frozenset(pairs)


def _printed(reader: str, path: Path) -> list[str]:
    """The lines `lt-print` prints for the compiled dictionary at `path`; none if it cannot."""
    try:
        done = subprocess.run([reader, str(path)], capture_output=True, text=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("could not read %s with lt-print: %s", path, error)
        return []
    return done.stdout.splitlines()


def _read_side(
    folder: Path, side: tuple[tuple[str, str, bool], ...], printing: dict[Path, Future[list[str]]]
) -> dict[tuple[str, str], set[str]]:
    """Our language's lemmas -> the pivot's, from one side's dictionaries (each printed text let go once read)."""
    merged: dict[tuple[str, str], set[str]] = defaultdict(set)
    for package, name, first_is_ours in side:
        future = printing.pop(folder / package / name, None)
        lines = future.result() if future is not None else []
        if lines:
            for key, values in lemma_pairs(transducer_paths(lines), first_is_ours).items():
                merged[key] |= values
    return merged
