"""Fusion, reranking, abstention, TOP_K and snapshot refresh, on the in-memory store with fake embedders."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.answer.answerer import QuestionAnswerer
from index.ingest.indexer import Indexer
from index.models import Passage
from index.search.retriever import Overlap, Retriever, _best_first
from index.store.memory import MemoryStore
from index.tuning import AnswerConfig, RelevanceRule, RetrievalConfig
from tests.fakes import HashingEmbedder


class MeaningEmbedder:
    """A 'model' that knows synonyms: each concept is an axis, and any of its words points along it.

    Dense similarity then follows meaning, not shared words, as with a real multilingual model."""

    name = "fake-meaning"

    def __init__(self, concepts: dict[str, Sequence[str]]) -> None:
        self._concepts = list(concepts.items())
        self.dimension = len(self._concepts) + 1

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            lowered = text.lower()
            for axis, (_, words) in enumerate(self._concepts):
                vectors[row, axis] = sum(lowered.count(word) for word in words)
            vectors[row, -1] = 0.2  # everything is a little alike
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


CONCEPTS = {
    "zebra": ["zebra", "zèbre", "striped horse"],
    "train": ["train", "railway"],
    "weather": ["rain", "pluie", "umbrella"],
}


def _index(
    corpus: Path, docs: dict[str, str], embedder: object, store: MemoryStore | None = None, centre: bool = True
) -> MemoryStore:
    store = store or MemoryStore()
    for name, text in docs.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    Indexer(embedder, store, 700, 150, 1_000_000, centre_languages=centre).run(corpus)  # type: ignore[arg-type]
    return store


def _answerer(embedder: object, store: MemoryStore, **config: object) -> QuestionAnswerer:
    retrieval = RetrievalConfig(**{k: v for k, v in config.items() if k in RetrievalConfig.__dataclass_fields__})
    answers = AnswerConfig(**{k: v for k, v in config.items() if k in AnswerConfig.__dataclass_fields__})
    return QuestionAnswerer(Retriever(embedder, store, retrieval), answers)  # type: ignore[arg-type]


DOCS = {
    "zebra": "Le zèbre galope à soixante kilomètres par heure dans la savane.",
    "train": "The railway timetable lists the speed of every train on the line.",
    "weather": "La pluie tombe souvent en automne et les parapluies se vendent bien.",
}


def test_a_passage_found_only_by_meaning_is_cited(corpus: Path) -> None:
    embedder = MeaningEmbedder(CONCEPTS)
    store = _index(corpus, DOCS, embedder)
    # No word of the question is in the zebra document: only the dense side can find it.
    answer = _answerer(embedder, store, relevance=RelevanceRule(min_fused=0.0, centred_floor=0.0)).ask(
        "How fast is a striped horse?"
    )
    assert answer.answered and answer.citations[0].doc_id == "zebra.txt"


def test_shared_words_lift_a_passage_above_a_slightly_closer_meaning(corpus: Path) -> None:
    embedder = MeaningEmbedder(CONCEPTS)
    docs = {
        "meaning-only": "The zebra is an animal of the savannah.",
        "both": "The zebra can reach a top speed of sixty kilometres per hour, faster than a young zebra.",
        "words-only": "Top speed figures are published every spring.",
    }
    store = _index(corpus, docs, embedder)
    question = "What is the top speed of a striped horse?"
    anything = RelevanceRule(min_fused=-99.0, centred_floor=-99.0)
    fused = _answerer(embedder, store, relevance=anything, rerank_weight=0.0, focus_weight=0.0, top_k=3).ask(question)
    assert fused.citations[0].doc_id == "both.txt"
    # Dense alone prefers the passage whose meaning is a shade closer, sharing no word with the question.
    dense = _answerer(
        embedder, store, relevance=anything, lexical_weight=0.0, rerank_weight=0.0, focus_weight=0.0, top_k=3
    )
    assert dense.ask(question).citations[0].doc_id == "meaning-only.txt"


def test_the_relevance_floor_refuses_weak_matches_and_lets_strong_ones_through(corpus: Path) -> None:
    embedder = HashingEmbedder()
    store = _index(corpus, DOCS, embedder)
    question = "What does the railway timetable list?"
    assert _answerer(embedder, store).ask(question).answered
    refused = _answerer(embedder, store, relevance=RelevanceRule(min_fused=50.0, centred_floor=50.0)).ask(question)
    assert not refused.answered and refused.citations == ()


def test_a_passage_is_judged_against_its_own_kind_of_document_not_the_corpus_mix(corpus: Path) -> None:
    # Thirty manuals full of everyday how-to words (which unrelated questions resemble) and one article.
    concepts = {
        "zebra": ["zèbre", "striped horse"],
        "howto": ["comment", "mot de passe", "imprimante", "batterie", "how do i", "password", "printer", "battery"],
        "weather": ["rain", "pluie"],
    }
    embedder = MeaningEmbedder(concepts)
    docs = {"zebra": "Le zèbre galope à soixante kilomètres par heure dans la savane."}
    for i in range(30):
        docs[f"manual-{i}"] = f"Comment installer l'imprimante {i} : comment changer le mot de passe, la batterie."
    # Without language centring: this fake's axes are concepts, its language means would be the how-to axis.
    store = _index(corpus, docs, embedder, centre=False)
    manifest = store.read_manifest()
    assert manifest is not None
    zebra, manual = manifest.docs["zebra.txt"].background, manifest.docs["manual-0.txt"].background
    assert zebra is not None and manual is not None and zebra < manifest.similarity_mean < manual

    # (No word of the question is in the article, as across languages without a dictionary: the focus rule,
    # tested on its own below, is off.)
    scale_only = RelevanceRule(min_fused=1.6, centred_floor=1.6, unfocused_penalty=0.0)
    answerer = _answerer(embedder, store, relevance=scale_only, language_shift=0.0)
    question = "How fast does a striped horse run?"
    best = answerer.retriever.retrieve(question, 1, threshold=False).passages[0]
    assert best.doc_id == "zebra.txt" and best.score < 1.6  # on the corpus-wide scale, it would be refused
    assert answerer.ask(question).answered
    assert not answerer.ask("Will it rain on the savanna tomorrow?").answered


def test_a_passage_that_scatters_the_questions_words_counts_less_than_one_sentence_holding_them(corpus: Path) -> None:
    """The corpus lacks the document about the fire; one passage holds each word of the question in another
    sentence (a question about a document left out of an index finds such passages)."""
    embedder = HashingEmbedder()
    docs = {
        "valley": "Ostrander walked to the valley at dawn. The old mill was painted red. Barns burn easily in dry "
        "summers. Trains stop here.",
        "rain": "Rain fell on the farms for a week.",
        "train": "A train crossed the river at noon.",
        "market": "The market sells bread and cheese.",
    }
    store = _index(corpus, docs, embedder)
    question = "When did the Ostrander mill burn down?"
    floor = {"min_fused": 2.8, "centred_floor": 2.8}
    assert _answerer(embedder, store, relevance=RelevanceRule(unfocused_penalty=0.0, **floor)).ask(question).answered
    assert not _answerer(embedder, store, relevance=RelevanceRule(**floor)).ask(question).answered

    store = _index(corpus, docs | {"fire": "The Ostrander mill burned down in 1887, after a dry summer."}, embedder)
    answer = _answerer(embedder, store, relevance=RelevanceRule(**floor)).ask(question)
    assert answer.answered and answer.citations[0].doc_id == "fire.txt" and "1887" in answer.text


def test_a_passage_holding_the_questions_names_counts_more_where_its_sentence_is_about_them(corpus: Path) -> None:
    """A short question about a name matches little of its passage besides the name; a passage that holds
    the name but scatters the rest of the question (one about a document the index lacks), or holds it as an
    everyday word, gains nothing."""
    embedder = HashingEmbedder()
    docs = {
        "birds": "Johannes Leche came from Turku and counted the birds of the coast every spring.",
        "valley": "Ostrander walked to the valley at dawn. The old mill was painted red. Barns burn easily in dry "
        "summers. Trains stop here.",
        "market": "The market sells bread and cheese.",
        "garden": "The gardener sharpened the trimmer before cutting the hedge.",
    }
    store = _index(corpus, docs, embedder)
    with_names = _answerer(embedder, store).retriever
    without = _answerer(embedder, store, relevance=RelevanceRule(named_passage_bonus=0.0)).retriever
    bonus = RelevanceRule().named_passage_bonus
    assert bonus > 0

    def decision(retriever: Retriever, question: str) -> float:
        return retriever.retrieve(question, 3, threshold=False).decision

    named = "Where was Johannes Leche from?"
    assert decision(with_names, named) == pytest.approx(decision(without, named) + bonus)
    scattered = "When did the Ostrander mill burn down?"
    assert decision(with_names, scattered) == pytest.approx(decision(without, scattered))
    unnamed = "Where does the market sell cheese?"
    assert decision(with_names, unnamed) == pytest.approx(decision(without, unnamed))
    # A name the passage writes in lower case is an everyday word there, not what the question names.
    lower_case = _answerer(embedder, store, relevance=RelevanceRule(named_in_capitals=False)).retriever
    everyday = "What did Trimmer sharpen?"
    assert decision(lower_case, everyday) == pytest.approx(decision(without, everyday) + bonus)
    assert decision(with_names, everyday) == pytest.approx(decision(without, everyday))


def test_a_name_the_corpus_never_mentions_is_refused(corpus: Path) -> None:
    embedder = HashingEmbedder()
    store = _index(corpus, DOCS, embedder)
    answerer = _answerer(embedder, store, relevance=RelevanceRule(min_fused=-99.0, centred_floor=-99.0))
    assert not answerer.ask("What did Museveni say about the railway timetable?").answered
    assert answerer.ask("What did the railway timetable say about the train?").answered


def test_answer_cues_move_the_passage_holding_a_date_up(corpus: Path) -> None:
    embedder = HashingEmbedder()
    docs = {
        "vague": "The deployment of the new tanks will start soon, officials said about the deployment.",
        "dated": "The deployment of the new tanks will start on 7 July, officials said.",
    }
    store = _index(corpus, docs, embedder)
    question = "When does the deployment of the new tanks start?"
    without = _answerer(embedder, store, rerank_weight=0.0, top_k=2).ask(question)
    with_cues = _answerer(embedder, store, rerank_weight=5.0, top_k=2).ask(question)
    assert without.citations[0].doc_id == "vague.txt"  # more shared words: first on retrieval alone
    assert with_cues.citations[0].doc_id == "dated.txt" and "7 July" in with_cues.text


def test_a_passage_with_one_sentence_about_the_whole_question_moves_above_a_slightly_closer_one(
    corpus: Path,
) -> None:
    """Retrieval scores whole passages: the journal is a shade closer in meaning, but no sentence of it is about
    the Ostrander mill burning; one sentence of the other passage holds every word of the question."""
    embedder = MeaningEmbedder({"mill": ["mill"], "fire": ["burn", "fire"], "rain": ["rain"], "train": ["train"]})
    docs = {
        "journal": "Ostrander kept a journal about the valley. The mill feared fire above all, the journal says.",
        "ostrander": "The Ostrander mill, the biggest mill, the busiest mill of the county, burned down in 1887.",
        "rain": "Rain fell on the valley.",
        "train": "A train crossed the valley.",
    }
    store = _index(corpus, docs, embedder)
    question = "When did the Ostrander mill burn down?"
    config: dict[str, object] = {
        "relevance": RelevanceRule(min_fused=-99.0, centred_floor=-99.0),
        "lexical_weight": 1.0,
    }
    retrieved = _answerer(embedder, store, **config).retriever.search(question, 2, threshold=False)
    assert [p.doc_id for p in retrieved] == ["journal.txt", "ostrander.txt"]
    unfocused = _answerer(embedder, store, focus_weight=0.0, **config).ask(question)
    assert unfocused.citations[0].doc_id == "journal.txt"
    answer = _answerer(embedder, store, **config).ask(question)
    assert answer.citations[0].doc_id == "ostrander.txt" and "1887" in answer.text


def test_a_sentence_that_only_restates_the_question_does_not_stand_alone_as_the_answer(corpus: Path) -> None:
    """The first sentence holds most of the question's words and nothing else; the answer is in the next."""
    embedder = HashingEmbedder()
    docs = {
        "resistance": "The Alphonse Buckmaster network of the resistance was formed. Its members sabotaged the "
        "Salorges warehouses near the port in 1943, and the cranes."
    }
    store = _index(corpus, docs, embedder)
    answer = _answerer(embedder, store, top_k=1).ask("Which warehouses did the Alphonse Buckmaster network sabotage?")
    assert answer.answered and "Salorges" in answer.text


def test_the_sentence_after_the_one_naming_what_is_asked_about_answers_with_it(corpus: Path) -> None:
    """The answer refers back ("His story…") to the sentence that names Carlos Hurd, and holds only an everyday
    word of the question; the sentence after it, as weak, stays out."""
    embedder = HashingEmbedder()
    docs = {
        "titanic": "The first press reports of the sinking came out in New York on the evening of 18 April. The "
        "luckiest reporter was Carlos Hurd, who had sailed on the Carpathia. His story reached his newsroom and "
        "appeared in the Evening World. Many reporters waited on the quays.",
        # the question's everyday words are common in the corpus: its names are what it is about
        **{f"press-{n}": f"Reporter {n} wrote a story that the newspaper printed on page {n}." for n in range(6)},
    }
    store = _index(corpus, docs, embedder)
    answer = _answerer(embedder, store, top_k=1).ask("Which newspaper printed the story of the reporter Carlos Hurd?")
    assert answer.answered and answer.citations[0].doc_id == "titanic.txt"
    assert "Evening World" in answer.text and "quays" not in answer.text


@pytest.mark.parametrize("top_k", [1, 3, 8])
def test_top_k_gives_that_many_citations(corpus: Path, top_k: int) -> None:
    embedder = HashingEmbedder()
    docs = {f"reactor-{n}": f"Reactor {n} of the alpha plant was inspected." for n in range(10)}
    store = _index(corpus, docs, embedder)
    answer = _answerer(embedder, store, top_k=top_k).ask("alpha plant reactor inspected")
    assert answer.answered and len(answer.citations) == top_k


def test_a_new_generation_is_picked_up_after_the_refresh_interval_only(corpus: Path) -> None:
    embedder = HashingEmbedder()
    store = _index(corpus, DOCS, embedder)
    patient = _answerer(embedder, store, refresh_seconds=3600.0)
    eager = _answerer(embedder, store, refresh_seconds=0.0)
    question = "Which submarine cable was repaired at Plouguerneau?"
    assert not patient.ask(question).answered and not eager.ask(question).answered
    _index(corpus, {"cable": "The submarine cable near Plouguerneau was repaired in May."}, embedder, store)
    assert eager.ask(question).citations[0].doc_id == "cable.txt"
    assert not patient.ask(question).answered  # still on its snapshot
    patient.retriever.reload()
    assert patient.ask(question).citations[0].doc_id == "cable.txt"


def test_a_process_told_another_is_indexing_looks_for_its_generation_at_every_question(corpus: Path) -> None:
    """A bot whose file change was indexed by another bot (one Chroma server) answers from the new generation
    as soon as it is committed, not after the refresh interval; then it is patient again."""
    embedder = HashingEmbedder()
    store = _index(corpus, DOCS, embedder)
    bot = _answerer(embedder, store, refresh_seconds=3600.0)
    cable, lighthouse = "Which submarine cable was repaired at Plouguerneau?", "Who painted the Kerbrat lighthouse?"
    assert not bot.ask(cable).answered
    bot.retriever.expect_new_generation()
    assert not bot.ask(cable).answered  # nothing committed yet
    _index(corpus, {"cable": "The submarine cable near Plouguerneau was repaired in May."}, embedder, store)
    assert bot.ask(cable).citations[0].doc_id == "cable.txt"
    _index(corpus, {"lighthouse": "The Kerbrat lighthouse was painted by Anouk Le Gall."}, embedder, store)
    assert _answerer(embedder, store).ask(lighthouse).answered  # answerable from the latest generation...
    assert not bot.ask(lighthouse).answered  # ...but the awaited one came: back to the interval


@pytest.mark.parametrize("overlap", [Overlap.SEARCH, Overlap.ENCODING_AND_SEARCH])
def test_the_terms_scored_beside_the_vector_search_or_before_it_give_the_same_passages(
    corpus: Path, overlap: Overlap
) -> None:
    embedder = HashingEmbedder()
    store = _index(corpus, DOCS, embedder)
    questions = ["How fast does the zebra run?", "Quand la pluie tombe-t-elle ?", "What does the timetable list?"]
    one, other = Retriever(embedder, store, overlap=overlap), Retriever(embedder, store, overlap=Overlap.NOTHING)
    for question in questions:
        first, second = one.retrieve(question, 5, threshold=False), other.retrieve(question, 5, threshold=False)
        assert first.passages and first.passages == second.passages
        assert first.decision == second.decision


def test_a_generation_replaced_is_freed_without_the_cycle_collector(corpus: Path) -> None:
    """The retriever keeps loaded generations out of the cycle collector (gc.freeze): one it no longer answers
    from must go with the last reference to it, or every live change would keep the one before."""
    embedder = HashingEmbedder()
    store = _index(corpus, DOCS, embedder)
    retriever = Retriever(embedder, store)
    answerer = QuestionAnswerer(retriever)
    answerer.ask("How fast does the zebra run?")
    old = retriever._current()
    parts = [weakref.ref(part) for part in (old, old.lexical, old.chunks, old.manifest)]
    del old
    gc.collect()
    gc.disable()
    try:
        _index(corpus, {"bridge": "The beta bridge was painted blue in May."}, embedder, store)
        retriever.reload()
        assert answerer.ask("Who painted the beta bridge?").citations[0].doc_id == "bridge.txt"
        assert [part() for part in parts] == [None] * len(parts)
    finally:
        gc.enable()


def test_memory_store_filters_like_chroma() -> None:
    store = MemoryStore()
    vectors = np.eye(3, dtype=np.float32)
    store.upsert(["a", "b", "c"], vectors, ["A", "B", "C"], [{"version": "1"}, {"version": "2"}, {"version": "3"}])
    store.delete_where({"version": {"$nin": ["1", "3"]}})
    assert sorted(c.chunk_id for c in store.iter_chunks()) == ["a", "c"]
    assert [chunk_id for chunk_id, _ in store.query(np.array([0, 0, 1.0]), 1)] == ["c"]
    store.delete_where({"version": {"$ne": ""}})
    assert store.count() == 0 and store.query(np.ones(3), 5) == []


# A researcher, a race and the weather: documents for the questions about names.
SPORT_AND_WEATHER = {
    "halvorson": "Lars Halvorson studies land warfare at an institute in London.",
    "tour": "The Tour de France was won in July by a young cyclist after a long mountain stage.",
    "rain": "Autumn rain fills the reservoirs of the valley every year.",
}


def test_a_question_is_answered_only_from_a_document_that_holds_its_names(corpus: Path) -> None:
    """'Halvorsen' is a letter away from a name in one article; the passage that would answer comes from
    another, which never mentions him: that is no answer about him."""
    embedder = HashingEmbedder()
    store = _index(corpus, SPORT_AND_WEATHER, embedder)
    question = "Which Tour de France stage was won by Lars Halvorsen?"
    assert _answerer(embedder, store, relevance=RelevanceRule(grounded_names=False)).ask(question).answered
    assert not _answerer(embedder, store).ask(question).answered
    answer = _answerer(embedder, store).ask("What does Lars Halvorsen study in London?")
    assert answer.answered and answer.citations[0].doc_id == "halvorson.txt"


def test_a_name_counts_in_the_other_languages_form_of_it_only_across_languages(corpus: Path) -> None:
    """'Mogadiscio' is how French writes Mogadishu: a French question about it may be answered from an
    English article that says Mogadishu, not an English question, and a name that merely starts alike is
    no such form ('Mogador')."""
    embedder = HashingEmbedder()
    docs = {
        "somalia": "The battle of Mogadishu in 1993 left eighteen American soldiers dead in the city.",
        "rain": "Autumn rain fills the reservoirs of the valley every year in the north.",
        "pluie": "La pluie d'automne remplit les réservoirs de la vallée chaque année.",
    }
    store = _index(corpus, docs, embedder, centre=False)
    french = "Combien de soldats américains sont morts à Mogadiscio en 1993 ?"
    strict = _answerer(embedder, store, relevance=RelevanceRule(cognate_names=False)).retriever
    cognates = _answerer(embedder, store).retriever
    assert strict.retrieve(french, 3, threshold=False).decision == float("-inf")
    assert cognates.retrieve(french, 3, threshold=False).decision > float("-inf")
    assert cognates.retrieve(french, 3, threshold=False).passages[0].doc_id == "somalia.txt"
    english = "How many American soldiers died in Mogadiscio in 1993?"
    assert cognates.retrieve(english, 3, threshold=False).decision == float("-inf")  # same language: as written
    unrelated = "Combien de soldats américains sont morts à Mogador en 1993 ?"
    assert cognates.retrieve(unrelated, 3, threshold=False).decision == float("-inf")


def test_an_everyday_capitalised_word_must_stand_in_the_answering_document_too(corpus: Path) -> None:
    """'Titan' and 'Alsace' are everyday words, no rare names; still, a question about Titan is not answered
    from an article about Jupiter's moons that never names it."""
    embedder = HashingEmbedder()
    docs = {
        "moons": "The Galilean moons of Jupiter have densities that grow towards the planet.",
        "lune": "La Lune tourne autour de la Terre en un peu moins d'un mois.",
        "rain": "Autumn rain fills the reservoirs of the valley every year.",
    }
    store = _index(corpus, docs, embedder)
    question = "Which Galilean moons have a density similar to Titan?"
    assert _answerer(embedder, store, relevance=RelevanceRule(common_anchors=False)).ask(question).answered
    assert not _answerer(embedder, store).ask(question).answered
    answer = _answerer(embedder, store).ask("Which Galilean moons of Jupiter have the highest density?")
    assert answer.answered and answer.citations[0].doc_id == "moons.txt"


def test_everyday_capitalised_words_are_kept_apart_from_names() -> None:
    from index.search.relevance import capitalised_words

    assert capitalised_words("Which Galilean moons are similar to Titan?", 4.5) == (["galilean"], ["titan"])
    # Too common to say what a question is about, or written otherwise in another language: not required.
    assert capitalised_words("Combien de Polonais vivent sur Terre ?", 4.5) == ([], ["polonais"])
    assert capitalised_words("Où est la composante canadienne de l'OTAN ?", 4.5) == ([], [])
    assert capitalised_words("Quand est-elle devenue la première Afro-Américaine ?", 4.5) == ([], [])
    # A French century or millennium is a number ("the 2nd millennium BC" in English), a regnal one a name's.
    assert capitalised_words("Qui est arrivé aux Marshall au IIe millénaire av. J.-C. ?", 4.5) == ([], ["marshall"])
    assert capitalised_words("Qui régnait au XVIe siècle sur les Habsbourg ?", 4.5)[0] == ["habsbourg"]
    assert capitalised_words("Quand François Ier est-il né ?", 4.5) == ([], ["ier"])
    # A brand written with its capital inside is as much what a question is about.
    assert capitalised_words("Quelle est la capacité de stockage de l'iPod Touch ?", 4.5) == ([], ["ipod"])
    assert capitalised_words("Who sold it on eBay?", 4.5) == ([], ["ebay"])


def test_a_new_generation_is_loaded_from_the_last_one_as_if_from_scratch(corpus: Path) -> None:
    """A live update reads and stems only the documents that changed; what it answers is what a process
    loading the new generation from scratch answers, after an addition, an edit, a rename and a deletion."""
    embedder = HashingEmbedder()
    docs = {f"plant-{n}": f"Reactor {n} of the alpha plant was inspected in week {n} by crew {n}." for n in range(8)}
    store = _index(corpus, docs, embedder)
    live = Retriever(embedder, store)
    assert len(live.manifest.docs) == 8
    full_reads: list[int] = []
    read_docs: list[list[str]] = []
    iter_chunks, chunks_of = store.iter_chunks, store.chunks_of

    def counting_iter(page_size: int = 5000):  # type: ignore[no-untyped-def]
        full_reads.append(1)
        return iter_chunks(page_size)

    def counting_of(doc_ids):  # type: ignore[no-untyped-def]
        read_docs.append(sorted(doc_ids))
        return chunks_of(doc_ids)

    store.iter_chunks, store.chunks_of = counting_iter, counting_of  # type: ignore[method-assign]
    questions = ["When was reactor 3 inspected?", "Which crew inspected the beta bridge?", "Where is the gamma dam?"]
    steps = [
        lambda: (corpus / "bridge.txt").write_text("The beta bridge was painted blue in May by crew 9.", "utf-8"),
        lambda: (corpus / "plant-3.txt").write_text("Reactor 3 of the alpha plant was closed in week 12.", "utf-8"),
        lambda: (corpus / "plant-5.txt").rename(corpus / "dam.txt"),
        lambda: (corpus / "plant-6.txt").unlink(),
    ]
    for step, expected_reads in zip(steps, (["bridge.txt"], ["plant-3.txt"], ["dam.txt"], [])):
        step()
        Indexer(embedder, store, 700, 150, 1_000_000).run(corpus)
        full_reads.clear()
        live.reload()
        assert read_docs[-1] == expected_reads and not full_reads  # only what changed was read
        store.iter_chunks = iter_chunks  # type: ignore[method-assign]
        fresh = Retriever(embedder, store)
        store.iter_chunks = counting_iter  # type: ignore[method-assign]
        assert sorted(c.chunk_id for c in live._current().chunks) == sorted(c.chunk_id for c in fresh._current().chunks)
        for question in questions:
            mine, theirs = live.retrieve(question, 5, False), fresh.retrieve(question, 5, False)
            assert {(p.chunk_id, round(p.score, 6)) for p in mine.passages} == {
                (p.chunk_id, round(p.score, 6)) for p in theirs.passages
            }
            assert mine.decision == pytest.approx(theirs.decision) and mine.relevant == theirs.relevant


def test_the_answer_comes_from_a_passage_about_what_the_question_names(corpus: Path) -> None:
    """A passage that matches the rest of the question better but never names Halvorsen is no answer about
    him, whether or not another passage decides that the question is answered: only those that do are cited."""
    embedder = HashingEmbedder()
    docs = {
        "halvorsen": "Lars Halvorsen grew up in Bergen, studied engineering in Oslo and won a stage in July.",
        "tour": "The mountain stage of the Tour de France in July was won by a young cyclist from the Alps.",
        "rain": "Autumn rain fills the reservoirs of the valley every year.",
    }
    store = _index(corpus, docs, embedder)
    question = "Which mountain stage of the Tour de France in July was won by Lars Halvorsen?"
    answerer = _answerer(embedder, store)
    unchecked = answerer.retriever.retrieve(question, 3, threshold=False)  # a search shows the best passages
    assert unchecked.relevant and [p.doc_id for p in unchecked.passages][:2] == ["tour.txt", "halvorsen.txt"]
    answer = answerer.ask(question)
    assert answer.answered and [c.doc_id for c in answer.citations] == ["halvorsen.txt"]
    assert "Halvorsen" in answer.text


def test_a_question_that_names_nothing_rare_faces_a_higher_bar(corpus: Path) -> None:
    """With no name to find in the answering document, nothing but the match says the corpus holds the answer:
    such a question counts `unnamed_margin` less on passages in its language; one with a rare name does not,
    nor do passages in the other language (they face the bar across languages already), nor the calibration
    probes (the bars they derive stay what they were)."""
    embedder = HashingEmbedder()
    store = _index(corpus, SPORT_AND_WEATHER, embedder)
    level = _answerer(embedder, store, relevance=RelevanceRule(unnamed_margin=0.0)).retriever
    margin = _answerer(embedder, store, relevance=RelevanceRule(unnamed_margin=0.25)).retriever
    unnamed, named = "What was won after a long mountain stage in July?", "What does Lars Halvorson study?"
    assert margin.retrieve(unnamed, 3).decision == pytest.approx(level.retrieve(unnamed, 3).decision - 0.25)
    assert margin.retrieve(named, 3).decision == pytest.approx(level.retrieve(named, 3).decision)
    assert margin.probe(unnamed, "tour.txt") == level.probe(unnamed, "tour.txt")
    french = corpus / "fr"
    french.mkdir()
    docs = {
        "tour": "Le Tour de France a été gagné en juillet par un jeune cycliste après une longue étape de montagne.",
        "pluie": "La pluie d'automne remplit les réservoirs de la vallée chaque année.",
    }
    store = _index(french, docs, embedder)
    level = _answerer(embedder, store, relevance=RelevanceRule(unnamed_margin=0.0)).retriever
    margin = _answerer(embedder, store, relevance=RelevanceRule(unnamed_margin=0.25)).retriever
    assert margin.retrieve(unnamed, 3, False).decision == pytest.approx(level.retrieve(unnamed, 3, False).decision)
    asked_in_french = "Qu'a-t-on gagné après une longue étape de montagne en juillet ?"
    assert margin.retrieve(asked_in_french, 3, False).decision == pytest.approx(
        level.retrieve(asked_in_french, 3, False).decision - 0.25
    )


def test_the_decision_reads_whether_a_passage_names_them_only_where_that_could_change_its_best_passages() -> None:
    """The best passages by score, a passage that may take the named-passage bonus counting it only once its text
    is read and holds the names: the same order as scoring every passage first (ties in their order), with the
    texts of passages that could not reach the first places with the bonus left unread."""
    scores = [3.0, 2.5, 2.5, 1.0, 0.4, 0.2]
    passages = [Passage(f"c{n}", "d", "", "", "", "d", f"text {n}", 0, 1, 1, None, 0.0) for n in range(len(scores))]
    may_name = {"c1", "c3", "c5"}
    writes_them = {"c3"}  # c1 and c5 hold the names' letters, not the names
    read: list[str] = []

    def names_them(passage: Passage) -> bool:
        read.append(passage.chunk_id)
        return passage.chunk_id in writes_them

    every = sorted(
        ((score + (1.0 if p.chunk_id in writes_them else 0.0), p) for score, p in zip(scores, passages, strict=True)),
        key=lambda pair: pair[0],
        reverse=True,
    )
    for count in range(1, len(scores) + 1):
        read.clear()
        best, named = _best_first(scores, passages, 1.0, may_name, names_them, count)
        assert [(score, p.chunk_id) for score, p in best] == [(score, p.chunk_id) for score, p in every[:count]]
        assert named == {p.chunk_id for _, p in best} & writes_them
    read.clear()
    _best_first(scores, passages, 1.0, may_name, names_them, 2)
    assert read == ["c1"]  # c3 (2.0 with the bonus) and c5 (1.2) cannot reach the first two


def test_a_rare_word_the_corpus_holds_in_no_form_counts_against_the_answer(corpus: Path) -> None:
    """A question about what the corpus lacks often asks with a rare lower-case word ("shtokavian"), where a
    name would have a capital: the decision counts `unknown_word_penalty` less. A rare word the corpus holds
    costs nothing; nor does an everyday word, nor a calibration probe; nor any word where the index holds too
    little of the question's language for its words to be expected there."""
    embedder = HashingEmbedder()
    docs = {
        "estonian": "In Estonian the adjectives stand before the noun.",
        "zebra": "Zebras graze the savanna in herds and flee from lions.",
        "rain": "Autumn rain fills the reservoirs of the valley every year.",
    }
    store = _index(corpus, docs, embedder)
    level = _answerer(embedder, store, relevance=RelevanceRule(unknown_word_penalty=0.0)).retriever
    penalised = _answerer(embedder, store, relevance=RelevanceRule(unknown_word_min_chunks=3)).retriever
    penalty = RelevanceRule().unknown_word_penalty
    assert penalty > 0

    def difference(question: str, retriever: Retriever | None = None) -> float:
        decision = (retriever or penalised).retrieve(question, 3, False).decision
        return level.retrieve(question, 3, False).decision - decision

    asked = "Where do the adjectives stand in shtokavian?"
    assert difference(asked) == pytest.approx(penalty)
    assert difference("Where do the adjectives stand in Estonian?") == pytest.approx(0.0)
    assert difference("Where do the adjectives stand in the noun phrase?") == pytest.approx(0.0)
    assert penalised.probe(asked, "estonian.txt") == level.probe(asked, "estonian.txt")
    # Three chunks in English are too few to expect a word there (the default asks for many more)...
    assert difference(asked, _answerer(embedder, store).retriever) == pytest.approx(0.0)
    # ...and a French question on an index with no French text has its words translated or not at all.
    assert difference("Où se placent les adjectifs en chtokavien ?") == pytest.approx(0.0)

    docs["estonian"] += " The shtokavian dialect has no such rule."  # the corpus now holds the word
    store = _index(corpus, docs, embedder, MemoryStore())
    level = _answerer(embedder, store, relevance=RelevanceRule(unknown_word_penalty=0.0)).retriever
    penalised = _answerer(embedder, store, relevance=RelevanceRule(unknown_word_min_chunks=3)).retriever
    assert difference(asked) == pytest.approx(0.0)
