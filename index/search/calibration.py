"""The relevance bars an index derives for itself: questions made from its own passages, asked with and
without the document they come from, say how high a passage in the question's language, and one in the
other language, must score."""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, replace

import numpy as np

from index.search.retriever import Retriever
from index.sentences import split_sentences
from index.tuning import HIDDEN_QUANTILE, LANGUAGE_SHARE, PRESENT_SHARE, PROBE_WORDS, PROBES, RECALIBRATE_CHANGE

log = logging.getLogger(__name__)

# Raised when the rule the probes are scored with changes (what the names of a question must find in the
# answering document, say): an index derived under another version derives its bar again.
# 4: a bar per language; 5: names bridged (place_names.py); 6: by their texts' own stemming; 7: a bar across
# languages per question language
CALIBRATION_VERSION = 7


@dataclass(frozen=True)
class Calibration:
    """What the probes found: the derived bars for passages in the question's language and in the other one
    (0 when there is too little to derive one from), and the probe scores they come from."""

    bar: float
    other_bar: float
    # The bar of each language whose probes alone were enough to derive one (a mixed corpus): passages in it
    # asked about in it face that one instead of `bar`.
    language_bars: dict[str, float]
    # The bar across languages of each language whose probes alone were enough to derive one (a mixed corpus):
    # its questions face that one on the other language's passages instead of `other_bar`.
    other_language_bars: dict[str, float]
    probes: int
    present_decile: float
    absent_quantile: float
    other_absent_quantile: float
    seconds: float


def derive_bar(
    retriever: Retriever,
    floor: float,
    probes: int = PROBES,
    hidden_quantile: float = HIDDEN_QUANTILE,
    present_share: float = PRESENT_SHARE,
) -> Calibration:
    """Ask `probes` questions made from the loaded index's own sentences (of documents in English or
    French, asked in their document's language) and derive both bars from their scores: what questions
    about a document the index lacks reach on the passages of each language, never above what most
    questions about a document it holds reach."""
    started = time.perf_counter()
    manifest = retriever.manifest
    chunks = retriever.chunk_table()
    # Each document's chunk positions, in order; a chunk's text is read only when a probe is made from it.
    order = np.argsort(chunks.doc_numbers, kind="stable")
    numbers = chunks.doc_numbers[order]
    by_doc: dict[str, np.ndarray] = {}
    for group in np.split(order, np.flatnonzero(np.diff(numbers)) + 1) if len(order) else []:
        doc_id = chunks.doc_ids[int(chunks.doc_numbers[group[0]])]
        if manifest.docs[doc_id].lang in ("en", "fr"):
            by_doc[doc_id] = group
    if len(by_doc) < 2:
        return Calibration(0.0, 0.0, {}, {}, 0, math.nan, math.nan, math.nan, time.perf_counter() - started)
    rng = random.Random(len(by_doc))
    docs = sorted(by_doc)
    present: list[float] = []
    absent_same: list[float] = []
    absent_other: list[float] = []
    languages: list[str] = []
    for number in range(probes):
        # Spread over the documents in id order (a corpus in one folder per language gets probes of both).
        doc_id = docs[number * len(docs) // probes] if len(docs) >= probes else rng.choice(docs)
        question = _probe(chunks.text(int(rng.choice(by_doc[doc_id]))), rng)
        if not question:
            continue
        scores = retriever.probe(question, doc_id)
        if scores.language != manifest.docs[doc_id].lang:
            continue
        present.append(scores.present)
        absent_same.append(scores.absent_same_language)
        absent_other.append(scores.absent_other_language)
        languages.append(scores.language)
    present_decile = _quantile(present, 0.1)
    same_quantile, other_quantile = _quantile(absent_same, hidden_quantile), _quantile(absent_other, hidden_quantile)

    def bar(absent_quantile: float, enough: bool, present_decile: float = present_decile) -> float:
        if math.isnan(present_decile) or math.isnan(absent_quantile) or not enough:
            return 0.0
        return max(floor, min(absent_quantile, present_share * present_decile))

    def bar_across(scores: list[float]) -> float:
        """The bar across languages from probes' scores on the other language's passages (when enough met one)."""
        met = sum(math.isfinite(value) for value in scores)
        return bar(_quantile(scores, hidden_quantile), met >= max(5, probes // 10))

    by_language: dict[str, float] = {}
    other_by_language: dict[str, float] = {}
    if len(set(languages)) > 1:  # each language's own probes, where they are enough to derive from
        for language in sorted(set(languages)):
            own = [number for number, probed in enumerate(languages) if probed == language]
            if len(own) >= probes // LANGUAGE_SHARE:
                own_present = _quantile([present[number] for number in own], 0.1)
                own_absent = _quantile([absent_same[number] for number in own], hidden_quantile)
                by_language[language] = bar(own_absent, True, own_present)
                other_by_language[language] = bar_across([absent_other[number] for number in own])
    return Calibration(
        bar(same_quantile, len(absent_same) >= probes // 3),
        bar_across(absent_other),
        {language: value for language, value in by_language.items() if value},
        {language: value for language, value in other_by_language.items() if value},
        len(present),
        present_decile,
        same_quantile,
        other_quantile,
        time.perf_counter() - started,
    )


def calibrate(retriever: Retriever, force: bool = False) -> Calibration | None:
    """Derive the bar for the loaded generation and record it in the store's manifest (and the retriever's),
    unless it was derived at a similar corpus size; None when nothing was done."""
    store = retriever.store
    recorded = store.read_manifest()  # decided before the chunks are loaded: a run that changed little is free
    if recorded is None or not recorded.docs:
        return None
    floor = retriever.config.relevance.floor(recorded.centred)
    known = recorded.calibrated_docs
    current = recorded.calibration_version == CALIBRATION_VERSION
    if not force and current and known and abs(len(recorded.docs) - known) <= RECALIBRATE_CHANGE * known:
        return None
    manifest = retriever.manifest
    documents = len(manifest.docs)
    calibration = derive_bar(retriever, floor)
    stored = store.read_manifest()
    if stored is None or stored.generation != manifest.generation:  # a newer generation came meanwhile
        return calibration
    updated = replace(
        stored,
        same_language_bar=calibration.bar,
        other_language_bar=calibration.other_bar,
        language_bars=calibration.language_bars,
        other_language_bars=calibration.other_language_bars,
        calibrated_docs=documents,
        calibration_version=CALIBRATION_VERSION,
    )
    store.write_manifest(updated)
    retriever.adopt(updated)
    log.info(
        "relevance bars: %.2f for passages in the question's language (%s), %.2f in the other one (%s; %d "
        "probes, present decile %.2f, absent quantiles %.2f / %.2f, %.1f s)",
        calibration.bar,
        ", ".join(f"{language} {value:.2f}" for language, value in calibration.language_bars.items()) or "all",
        calibration.other_bar,
        ", ".join(f"{language} {value:.2f}" for language, value in calibration.other_language_bars.items()) or "all",
        calibration.probes,
        calibration.present_decile,
        calibration.absent_quantile,
        calibration.other_absent_quantile,
        calibration.seconds,
    )
    return calibration


def _probe(text: str, rng: random.Random) -> str:
    """A window of `PROBE_WORDS` words from one sentence of `text` (sentences of 8 words or more first)."""
    sentences = [text[start:end] for start, end in split_sentences(text)]
    long_enough = [s for s in sentences if len(s.split()) >= 8] or sentences
    if not long_enough:
        return ""
    words = rng.choice(long_enough).split()
    start = rng.randrange(0, max(1, len(words) - PROBE_WORDS))
    return " ".join(words[start : start + PROBE_WORDS])


def _quantile(values: list[float], share: float) -> float:
    """The value `share` of the way up the finite `values` (interpolated), NaN for fewer than five."""
    finite = sorted(v for v in values if math.isfinite(v))
    if len(finite) < 5:
        return math.nan
    position = share * (len(finite) - 1)
    low = int(position)
    high = min(low + 1, len(finite) - 1)
    return finite[low] + (finite[high] - finite[low]) * (position - low)
