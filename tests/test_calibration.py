"""The relevance bars an index derives for itself (index/search/calibration.py): recorded in the manifest,
one for passages in the question's language and one for the other language's, derived again only when the
corpus changed enough."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpusbot.render import stats_text
from index.answer.answerer import QuestionAnswerer
from index.ingest.indexer import Indexer
from index.search.calibration import calibrate
from index.search.retriever import Retriever
from index.store.memory import MemoryStore
from index.tuning import RelevanceRule, RetrievalConfig
from tests.fakes import HashingEmbedder

TOPICS = {
    "harbour": "The harbour of the old town was rebuilt after the storm of the winter. The fishermen of the "
    "coast asked the council for a new pier, and the council agreed to pay for it in the spring.",
    "orchard": "The orchard on the hill gives apples and pears every autumn. The farmers of the valley "
    "sell the fruit at the market of the town, and the best of it is pressed into cider.",
    "railway": "The railway line to the mountains was opened in the summer of the year. The trains of "
    "the company carry skiers in the winter and walkers in the summer, and the station is new.",
    "library": "The library of the university holds old maps of the region and letters of the explorers. "
    "The students read them in the reading room, which is open in the evening and at the weekend.",
    "bakery": "La boulangerie du village ouvre à six heures et vend le pain de la ferme voisine. Le boulanger "
    "est aussi le maire de la commune, et il a été élu pour la troisième fois au printemps.",
    "vineyard": "Les vignes de la colline donnent un vin blanc que les vignerons de la vallée vendent à la "
    "foire de septembre. La récolte de cette année a été plus petite à cause de la grêle du mois de juin.",
}


# Documents that share most of their text (weekly bulletins of one town): a question made from one of
# them is answered nearly as well by the others, so the index derives a bar above the floor.
BULLETIN = (
    "The weekly bulletin of the town reports on the council, the market, the school and the harbour. "
    "The council met on Monday evening in the town hall and the market was held on Saturday morning. "
    "The school choir sang at the church on Sunday and the harbour master counted the boats of the week. "
    "The weather was fair for most of the week, with rain on Thursday and a strong wind on Friday night. "
    "The bus to the city runs every hour from the square, and the last one leaves at eleven in the evening."
)


def _index(corpus: Path, names: list[str], shared: bool = False) -> tuple[HashingEmbedder, MemoryStore, Indexer]:
    for name in names:
        own = TOPICS[name]
        text = f"{BULLETIN} {own.split('. ')[0]}." if shared and name != "bakery" else " ".join([own] * 3)
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    embedder, store = HashingEmbedder(), MemoryStore()
    indexer = Indexer(embedder, store, 700, 150, 10**6)
    indexer.run(corpus)
    return embedder, store, indexer


def test_the_derived_bar_is_recorded_and_counts_only_for_passages_in_the_questions_language(corpus: Path) -> None:
    embedder, store, _ = _index(corpus, ["harbour", "orchard", "railway", "library"], shared=True)
    retriever = Retriever(embedder, store)
    calibration = calibrate(retriever)
    assert calibration is not None and calibration.probes > 20
    manifest = store.read_manifest()
    assert manifest is not None and manifest.calibrated_docs == 4 and manifest.same_language_bar == calibration.bar
    extra = calibration.bar - RelevanceRule().floor(manifest.centred)
    assert extra > 0.5  # near-duplicate documents: questions about one are nearly answered by the others
    stats = QuestionAnswerer(retriever).stats()  # what `corpusbot stats` and the bot's /stats show
    assert stats.bar_derived and stats.relevance_bar == pytest.approx(calibration.bar)
    assert f"relevance bar: {calibration.bar:.2f}" in stats_text(stats) and "derived by this index" in stats_text(stats)
    blind = Retriever(embedder, store, RetrievalConfig(relevance=RelevanceRule(calibrated=False)))
    english = "When was the harbour of the old town rebuilt?"
    assert retriever.retrieve(english, 3).decision == pytest.approx(blind.retrieve(english, 3).decision - extra)
    # An index in one language has no passage of the other to probe, so it derives no bar for those: a French
    # question on its English passages faces half of what the same-language bar adds to the floor (the full
    # bar refuses translated questions, the floor alone answers those about documents the index lacks).
    assert calibration.other_bar == 0.0 and manifest.other_language_bar == 0.0
    french = "Quand le conseil de la ville s'est-il réuni ?"
    with_bar, without = retriever.retrieve(french, 3, threshold=False), blind.retrieve(french, 3, threshold=False)
    assert with_bar.passages and with_bar.passages[0].lang == "en"
    assert with_bar.decision == pytest.approx(without.decision - extra / 2)
    across = RelevanceRule().floor(manifest.centred) + extra / 2
    assert stats.other_language_bar == pytest.approx(across)
    assert f"{across:.2f} for passages in the other language" in stats_text(stats)


def test_an_index_in_two_languages_derives_a_bar_for_passages_in_the_other_language(corpus: Path) -> None:
    from dataclasses import replace

    embedder, store, _ = _index(corpus, ["harbour", "orchard", "railway", "library", "bakery", "vineyard"])
    retriever = Retriever(embedder, store)
    calibration = calibrate(retriever)
    manifest = store.read_manifest()
    floor = RelevanceRule().floor(manifest.centred)  # type: ignore[union-attr]
    assert calibration is not None and calibration.other_bar >= floor  # derived: probes met passages of both
    assert manifest is not None and manifest.other_language_bar == calibration.other_bar
    # Each bar counts against the passages of its language only.
    store.write_manifest(
        replace(
            manifest,
            same_language_bar=floor + 0.5,
            other_language_bar=floor + 1.5,
            language_bars={},
            other_language_bars={},
        )
    )
    retriever.reload()
    blind = Retriever(embedder, store, RetrievalConfig(relevance=RelevanceRule(calibrated=False)))
    english_passages = "Quand est-ce que le harbour de la old town a été rebuilt après le storm ?"  # French
    across, across_blind = retriever.retrieve(english_passages, 3, False), blind.retrieve(english_passages, 3, False)
    assert across.passages[0].lang == "en"
    assert across.decision == pytest.approx(across_blind.decision - 1.5)
    native = "Quand la boulangerie du village ouvre-t-elle ?"  # French, about a French text
    assert retriever.retrieve(native, 3).decision == pytest.approx(blind.retrieve(native, 3).decision - 0.5)
    unknown = "Harbour storm pier?"  # no word says which language: the lower bar
    assert retriever.retrieve(unknown, 3, False).decision == pytest.approx(
        blind.retrieve(unknown, 3, False).decision - 0.5
    )
    stats = QuestionAnswerer(retriever).stats()
    assert stats.other_language_bar == pytest.approx(floor + 1.5)
    assert f"relevance bar: {floor + 1.5:.2f} for passages in the other language" in stats_text(stats)


def test_a_mixed_corpus_derives_a_bar_for_each_language_and_a_passage_faces_its_own(corpus: Path) -> None:
    """English questions score higher on English text than French ones on French text, present or absent: a
    bar derived from each language's own probes holds both (mixed dev index: 4.14 and 2.92 against 3.25)."""
    from dataclasses import replace

    embedder, store, _ = _index(corpus, ["harbour", "orchard", "railway", "library", "bakery", "vineyard"])
    retriever = Retriever(embedder, store)
    calibration = calibrate(retriever)
    manifest = store.read_manifest()
    assert calibration is not None and manifest is not None
    assert set(calibration.language_bars) == {"en", "fr"} and manifest.language_bars == calibration.language_bars
    floor = RelevanceRule().floor(manifest.centred)
    bars = {"en": floor + 0.9, "fr": floor + 0.2}
    store.write_manifest(replace(manifest, same_language_bar=floor + 0.5, language_bars=bars))
    retriever.reload()
    blind = Retriever(embedder, store, RetrievalConfig(relevance=RelevanceRule(calibrated=False)))
    pooled = Retriever(embedder, store, RetrievalConfig(relevance=RelevanceRule(bar_by_language=False)))
    french, english = "Quand la boulangerie du village ouvre-t-elle ?", "When was the harbour of the old town rebuilt?"
    assert retriever.retrieve(french, 3).decision == pytest.approx(blind.retrieve(french, 3).decision - 0.2)
    assert retriever.retrieve(english, 3).decision == pytest.approx(blind.retrieve(english, 3).decision - 0.9)
    assert pooled.retrieve(english, 3).decision == pytest.approx(blind.retrieve(english, 3).decision - 0.5)
    text = stats_text(QuestionAnswerer(retriever).stats())
    assert f"relevance bar: {floor + 0.9:.2f} for passages in EN asked about in it" in text


def test_a_mixed_corpus_derives_a_bar_across_languages_for_each_languages_questions(corpus: Path) -> None:
    """French questions score lower on English text than English ones on French text, about a present document
    or an absent one (mixed dev index, probes about a left-out document: 3.58 against 3.98): each language's
    questions face a bar across languages derived from their own probes."""
    from dataclasses import replace

    embedder, store, _ = _index(corpus, ["harbour", "orchard", "railway", "library", "bakery", "vineyard"])
    retriever = Retriever(embedder, store)
    calibration = calibrate(retriever)
    manifest = store.read_manifest()
    assert calibration is not None and manifest is not None
    assert set(calibration.other_language_bars) == {"en", "fr"}
    assert manifest.other_language_bars == calibration.other_language_bars
    floor = RelevanceRule().floor(manifest.centred)
    store.write_manifest(
        replace(
            manifest,
            same_language_bar=floor,
            language_bars={},
            other_language_bar=floor + 1.5,
            other_language_bars={"fr": floor + 0.3},
        )
    )
    retriever.reload()
    blind = Retriever(embedder, store, RetrievalConfig(relevance=RelevanceRule(calibrated=False)))
    pooled = Retriever(embedder, store, RetrievalConfig(relevance=RelevanceRule(bar_by_language=False)))
    french_on_english = "Quand est-ce que le harbour de la old town a été rebuilt après le storm ?"
    english_on_french = "When does the boulangerie du village open its doors?"

    def lowered(question: str, by: Retriever = retriever) -> float:
        found, level = by.retrieve(question, 3, False), blind.retrieve(question, 3, False)
        assert found.passages[0].lang != ("fr" if question is french_on_english else "en")
        return level.decision - found.decision

    assert lowered(french_on_english) == pytest.approx(0.3)
    assert lowered(english_on_french) == pytest.approx(1.5)  # no bar of its own: the one for both
    assert lowered(french_on_english, pooled) == pytest.approx(1.5)
    text = stats_text(QuestionAnswerer(retriever).stats())
    assert f"relevance bar: {floor + 0.3:.2f} for passages in the other language asked about in FR" in text


def test_one_document_derives_nothing_and_the_floor_applies(corpus: Path) -> None:
    embedder, store, _ = _index(corpus, ["harbour"])
    calibration = calibrate(Retriever(embedder, store))
    assert calibration is not None and calibration.bar == 0.0
    manifest = store.read_manifest()
    assert manifest is not None and manifest.same_language_bar == 0.0
    stats = QuestionAnswerer(Retriever(embedder, store)).stats()
    assert not stats.bar_derived and stats.relevance_bar == RelevanceRule().floor(manifest.centred)


def test_derived_again_only_when_the_corpus_changed_by_a_tenth(corpus: Path) -> None:
    embedder, store, indexer = _index(corpus, ["harbour", "orchard", "railway", "library"])
    retriever = Retriever(embedder, store)
    first = calibrate(retriever)
    assert first is not None
    assert calibrate(retriever) is None  # the same corpus: nothing to do
    (corpus / "bakery.txt").write_text(TOPICS["bakery"] * 3, encoding="utf-8")
    indexer.run(corpus)
    carried = store.read_manifest()
    assert carried is not None and carried.same_language_bar == first.bar  # a new generation keeps the last bar
    retriever.reload()
    again = calibrate(retriever)  # 4 -> 5 documents
    assert again is not None and store.read_manifest().calibrated_docs == 5  # type: ignore[union-attr]


def test_a_bar_derived_under_an_earlier_rule_is_derived_again(corpus: Path) -> None:
    from dataclasses import replace

    from index.search.calibration import CALIBRATION_VERSION

    embedder, store, _ = _index(corpus, ["harbour", "orchard", "railway", "library"])
    retriever = Retriever(embedder, store)
    assert calibrate(retriever) is not None
    manifest = store.read_manifest()
    assert manifest is not None and manifest.calibration_version == CALIBRATION_VERSION
    store.write_manifest(replace(manifest, calibration_version=CALIBRATION_VERSION - 1))  # an older corpusbot
    retriever.reload()
    assert calibrate(retriever) is not None  # the same corpus, but the rule changed since
    assert store.read_manifest().calibration_version == CALIBRATION_VERSION  # type: ignore[union-attr]


def test_stats_read_the_manifest_without_loading_a_chunk(corpus: Path) -> None:
    embedder, store, _ = _index(corpus, ["harbour", "orchard"])
    read: list[int] = []
    iter_chunks = store.iter_chunks

    def counting(page_size: int = 5000):  # type: ignore[no-untyped-def]
        read.append(1)
        return iter_chunks(page_size)

    store.iter_chunks = counting  # type: ignore[method-assign]
    stats = QuestionAnswerer(Retriever(embedder, store)).stats()
    assert stats.documents == 2 and stats.chunks > 0 and not read
