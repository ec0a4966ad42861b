"""Hybrid retrieval: fuzzy name matching across spellings, answer extraction cues, abstention."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from index.answer.answerer import build
from index.answer.extraction import Expect, expected_answer, fold_keep_case, type_match
from index.search.lexical import LexicalIndex, _distinct
from index.search.postings import Postings, segment_of
from index.settings import Settings
from index.text import fold
from tests.fakes import HashingEmbedder

DOCS = {
    "meeting": "Loukachenko et Poutine se sont rencontrés à Sotchi. Ils ont parlé de missiles.",
    "speech": "Le président Zelenskiy a parlé à Kiev. Il a remercié les troupes.",
    "weather": "Il pleut beaucoup en automne. Les parapluies se vendent bien.",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Lukashenko", "meeting"), ("Sochi", "meeting"), ("Zelensky", "speech"), ("Kyiv", "speech")],
)
def test_lexical_matches_names_across_spellings(query: str, expected: str) -> None:
    names = list(DOCS)
    index = LexicalIndex(DOCS.values())
    hits = index.search(query, 3)
    assert hits and names[hits[0].position] == expected


def test_spelling_lookups_agree_whichever_runs_first_and_at_any_likeness() -> None:
    """Query expansion, names and cognates share one comparison of a word with the corpus's spellings: each
    finds what it finds on its own, in whatever order they run; a looser expansion than any of them
    (below the shared line) still finds its looser spellings."""
    words = ["lukashenko", "sochi", "poutine", "troupe", "zelenskyi"]
    expansion_first, names_first = LexicalIndex(DOCS.values()), LexicalIndex(DOCS.values())
    for word in words:
        expanded = expansion_first.expand(word)
        named, cognate = expansion_first.chunks_with(word, None), expansion_first.chunks_with_cognate(word)
        assert names_first.chunks_with_cognate(word).tolist() == cognate.tolist()
        assert names_first.chunks_with(word, None).tolist() == named.tolist()
        assert names_first.expand(word) == expanded
    loose = LexicalIndex(DOCS.values(), fuzzy_cutoff=60)
    assert dict(loose.expand("poutine")) == {"putin": 1.0, "pleut": 0.36}
    assert dict(expansion_first.expand("poutine")) == {"putin": 1.0}


def test_folding_strips_accents_in_any_script_and_keeps_letters_it_cannot_split() -> None:
    assert fold("Élysée’s\u00a0CAFÉ") == "elysee's cafe"
    assert fold("Cœur de la Straße") == "cœur de la strasse"  # no accent to strip: letters of their own
    assert fold("Слово\u0483 и кра\u0301сная") == "слово и красная"  # marks outside the Latin block too
    assert fold_keep_case("près d’Édimbourg") == "pres d'Édimbourg"  # capitals as written: a place follows


def test_lexical_ignores_stopwords_and_unknown_words() -> None:
    index = LexicalIndex(DOCS.values())
    assert index.search("what is the of and", 3) == []
    assert index.search("xylophone quantum", 3) == []


def test_words_in_a_script_the_corpus_never_uses_do_not_count_against_a_question() -> None:
    index = LexicalIndex(DOCS.values())
    plain = index.search("Where did Lukashenko meet Putin?", 3)
    with_arabic = index.search("Where did Lukashenko meet Putin? أين التقى الرئيسان", 3)
    assert plain and [h.coverage for h in with_arabic] == [h.coverage for h in plain]
    missing = index.search("Where did Lukashenko meet Xylophonist?", 3)  # an unknown word in its script does
    assert missing[0].coverage < plain[0].coverage


def test_dense_candidates_are_scored_by_the_common_words_they_hold() -> None:
    """Words found in very many chunks only add to chunks found otherwise (by a rare word, or the dense
    search's candidates): a candidate holding a common word of the question scores by it; one holding none
    does not appear; the chunks found by the rare word score the same with or without candidates."""
    texts = [f"The river flows past farm number {n}." for n in range(300)]  # "river": in more than 256 chunks
    texts += ["The river bridge was painted green.", "A bridge of stone stands alone.", "Mountains rise far away."]
    index = LexicalIndex(texts)
    alone = {hit.position: hit.score for hit in index.search("river bridge", 10)}
    assert set(alone) == {300, 301}
    with_candidates = {hit.position: hit.score for hit in index.search("river bridge", 10, [5, 302, 300])}
    assert set(with_candidates) == {300, 301, 5}
    assert with_candidates[300] == alone[300] and with_candidates[301] == alone[301]
    assert 0 < with_candidates[5] < with_candidates[300]


def test_question_types() -> None:
    assert expected_answer("When does the deployment start?") is Expect.DATE
    assert expected_answer("Quand commence le déploiement ?") is Expect.DATE
    assert expected_answer("How many brigades?") is Expect.NUMBER
    assert expected_answer("Combien de véhicules ?") is Expect.NUMBER
    assert expected_answer("Who is Ben Barry?") is Expect.PERSON
    assert expected_answer("Where did they meet?") is Expect.PLACE
    # The question word that comes first says what is asked for, whatever verbs follow it.
    assert expected_answer("Who will start the negotiations?") is Expect.PERSON
    assert expected_answer("Qui a commencé la guerre ?") is Expect.PERSON
    assert expected_answer("Dans quelle ville les présidents se sont-ils vus ?") is Expect.PLACE
    assert expected_answer("Combien de soldats qui ont été formés ?") is Expect.NUMBER
    assert expected_answer("Où les deux présidents se sont-ils rencontrés ?") is Expect.PLACE
    assert expected_answer("The deployment will start?") is Expect.DATE
    assert expected_answer("What did Putin say about the plan?") is Expect.QUOTE
    # A share or a rank is a number; a question asking what something is called asks for a proper name.
    assert expected_answer("What percent of Armenia speaks Russian?") is Expect.NUMBER
    assert expected_answer("À quel rang l'aéroport figure-t-il ?") is Expect.NUMBER
    assert expected_answer("Comment s'appelle la capitale des Samoa ?") is Expect.NAME
    assert expected_answer("What do Samoans call the day of the demonstration?") is Expect.NAME
    # The kind of thing asked about, also after an adjective in English: a club or a company has a name.
    assert expected_answer("Which Italian club has won more titles than Inter?") is Expect.NAME
    assert expected_answer("Quelle entreprise détient 40 % d'OTE ?") is Expect.NAME
    assert expected_answer("Which Japanese executive is paid more than Satoru Iwata?") is Expect.PERSON
    # A length or a duration is a number; "what's" is "what is"; an area is a place, a university has a name.
    assert expected_answer("How long is the Suez Canal?") is Expect.NUMBER
    assert expected_answer("How long will a patient stay contagious?") is Expect.NUMBER
    assert expected_answer("What's the name of Samoa's capital?") is Expect.NAME
    assert expected_answer("In what area are most of Alaska's cities?") is Expect.PLACE
    assert expected_answer("Dans quelle zone se trouvent la plupart des villes ?") is Expect.PLACE
    assert expected_answer("Which university did Turing attend?") is Expect.NAME
    assert expected_answer("What group of people adds to the stigma?") is Expect.ANY
    assert type_match(Expect.DATE, "Les installations seront prêtes les 7 et 8 juillet.") == 1.0
    assert type_match(Expect.NUMBER, "Ils ont abattu quatre des six missiles.") == 1.0
    assert type_match(Expect.DATE, "Il pleut beaucoup.") == 0.0
    # History is dated too: years before 1900, eras, centuries and decades, in both languages.
    assert type_match(Expect.DATE, "The museum, established in 1881, is one of the oldest.") == 1.0
    assert type_match(Expect.DATE, "It flourished from 3300 BCE.") == 1.0
    assert type_match(Expect.DATE, "L'abbaye date du XIIe siècle.") == 1.0
    assert type_match(Expect.DATE, "Rock music spread in the 1960s.") == 1.0


def test_a_which_question_asks_for_the_kind_of_thing_it_names() -> None:
    assert expected_answer("Quel est le nom du créateur de la robe ?") is Expect.PERSON
    assert expected_answer("What is the name of the city where he died?") is Expect.PLACE
    assert expected_answer("Quel âge avait-il ?") is Expect.NUMBER
    assert expected_answer("What is the population of Lyon?") is Expect.NUMBER
    assert expected_answer("Quelle est l'année de sa mort ?") is Expect.DATE
    assert expected_answer("Quel navire remplace le Naronic ?") is Expect.NAME  # le Cevic: ships have names
    assert expected_answer("Quel type de campagne a contribué à la route de la soie ?") is Expect.ANY
    assert expected_answer("Quel est le nom de la coentreprise de Shell et Cosan ?") is Expect.NAME
    assert type_match(Expect.NAME, "Shell et Cosan forment une coentreprise.", frozenset({"shell", "cosan"})) == 0.0
    assert type_match(Expect.NAME, "Shell et Cosan forment Raízen.", frozenset({"shell", "cosan"})) == 1.0
    # "qui" after a "quel" is a relative pronoun: the question asks for foundations, not a person.
    assert expected_answer("Quels sont les deux fondements qui caractérisent une relation ?") is Expect.ANY
    assert expected_answer("Comment est nommée l'évolution qui est arrivée ensuite ?") is Expect.ANY


def test_what_the_question_already_holds_is_not_what_it_asks_for() -> None:
    asked = frozenset({"de", "combien", "serait", "reduit", "l", "effectif", "la", "9e", "division"})
    assert type_match(Expect.NUMBER, "La 9e division est rentrée.", asked) == 0.0
    assert type_match(Expect.NUMBER, "La 9e division compte 30 000 hommes.", asked) == 1.0
    asked = frozenset({"where", "did", "putin", "and", "lukashenko", "meet"})
    assert type_match(Expect.PLACE, "Il a rencontré Loukachenko à Sotchi.", asked) == 1.0


@pytest.fixture
def fuzzy_index(settings: Settings, corpus: Path) -> Settings:
    for name, text in DOCS.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    build(settings, embedder=HashingEmbedder()).indexer().run(corpus)
    return settings


def test_answer_cites_passage_found_through_a_different_spelling(fuzzy_index: Settings) -> None:
    answer = build(fuzzy_index, embedder=HashingEmbedder()).answerer().ask("Where did Lukashenko meet Putin?")
    assert answer.answered
    assert answer.citations[0].doc_id == "meeting.txt"
    assert "Sotchi" in answer.text
    citation = answer.citations[0]
    assert citation.title == "Meeting" and citation.location.startswith("¶ 1")
    raw = (fuzzy_index.corpus_dir / "meeting.txt").read_text(encoding="utf-8")
    assert raw[citation.start : citation.end] == citation.passage


def test_nothing_relevant_is_an_answer_not_a_random_passage(fuzzy_index: Settings) -> None:
    # The fake embedder's similarities mean nothing, so this checks the rule that needs no model:
    # a question naming something the corpus never mentions (the real model's scores are tested
    # in test_quality and test_external_quality).
    answerer = build(fuzzy_index, embedder=HashingEmbedder()).answerer()
    answer = answerer.ask("What did Museveni say to Poutine in Sotchi?")
    assert not answer.answered and answer.citations == () and answer.text == ""
    assert answerer.search("Where does Chelidonium majus grow near Kiev?") == []
    assert answerer.ask("What did Loukachenko say to Poutine in Sotchi?").answered


def test_names_are_rare_capitalised_words_and_other_spellings_count() -> None:
    from index.search.relevance import missing_names, question_names

    assert question_names("Sur qui Yoweri Museveni a fait une thèse ?") == ["yoweri", "museveni"]
    assert question_names("Which city did Russian forces capture in February?") == []  # common words
    assert question_names("Museveni a-t-il parlé ?") == []  # the first word may be capitalised anyway
    index = LexicalIndex(DOCS.values())
    assert missing_names("Where did Lukashenko meet Putin in Sochi?", index) == []
    assert missing_names("Did Zelensky visit Transnistria?", index) == ["transnistria"]


def test_identifiers_and_numbers_match_exactly_never_fuzzily() -> None:
    texts = [f"Repère docmarker{number:05d} du dossier." for number in (1137, 1370, 1371, 1372, 1373, 11370)]
    index = LexicalIndex(texts)
    hits = index.search("docmarker01137", 10)
    assert [texts[h.position] for h in hits] == ["Repère docmarker01137 du dossier."]
    assert index.expand("docmarker01137") == (("docmarker01137", 1.0),)


def test_top_k_above_five_gives_that_many_citations(settings: Settings, corpus: Path) -> None:
    for number in range(10):
        (corpus / f"reactor-{number}.txt").write_text(f"Reactor {number} of the alpha plant was inspected.")
    build(settings, embedder=HashingEmbedder()).indexer().run(corpus)
    answerer = build(settings.model_copy(update={"top_k": 8}), embedder=HashingEmbedder()).answerer()
    answer = answerer.ask("alpha plant reactor inspected")
    assert answer.answered and len(answer.citations) == 8


def test_each_document_is_stemmed_by_its_own_languages_rules() -> None:
    texts = ["She studied law and economics in Lyon.", "Elle a étudié les lois de la physique à Lyon."]
    # French rules leave "studied" and "studies" apart; English rules make both "studi".
    french_only = LexicalIndex(texts)
    by_language = LexicalIndex(texts, languages=["en", "fr"])
    assert [hit.position for hit in french_only.search("Which studies?", 2)] == []
    hits = by_language.search("Which studies?", 2)
    assert [hit.position for hit in hits] == [0]
    assert hits[0].coverage == by_language.search("Who studied?", 2)[0].coverage  # as good as the word itself
    # A question word stands for its stem by each language's rules: "études" finds the French text.
    assert [hit.position for hit in by_language.search("Quelles études ?", 2)] == [1]
    assert by_language.knows("studies") and not french_only.knows("studies")


def test_a_short_name_is_found_only_as_written_a_long_one_also_one_letter_off() -> None:
    from index.search.lexical import name_cutoff

    index = LexicalIndex(["Tri des déchets à Burg.", "Alexandre Loukachenko à Sotchi.", "Le Brazil Café."])
    assert index.chunks_with("trimmer").size == 1  # "trim" is one letter from "tri": the loose rule takes it
    assert index.chunks_with("trimmer", cutoff=None).size == 0
    assert list(index.chunks_with("lukashenko", cutoff=None)) == [1]  # a transliteration, folded alike
    assert index.chunks_with("brazzaville", cutoff=None).size == 0
    # A long name may be a letter or two off ("Habsbourg", "Habsburg"), not another word with its letters.
    devices = LexicalIndex(
        ["The transistor replaced the valve.", "Charles Quint, un Habsburg."], languages=["en", "fr"]
    )
    assert devices.chunks_with("transnistria", cutoff=None).size == 0
    assert list(devices.chunks_with("habsbourg", cutoff=None)) == [1]
    # The other language's form of a name starts with most of its letters, not merely its first five.
    crossings = LexicalIndex(["The transit of goods.", "The battle of Mogadishu."], languages=["en", "en"])
    assert crossings.chunks_with_cognate("transnistrie").size == 0
    assert list(crossings.chunks_with_cognate("mogadiscio")) == [1]
    kiev = LexicalIndex(["Kiev a déclaré que son principal effort n'avait pas commencé."])
    assert kiev.chunks_with("kyiv", cutoff=None).size == 1  # Kyiv and Kiev: an "e" after an "i" apart
    assert name_cutoff("tri") == 100.0 and name_cutoff("lukachenko") == 85.0
    # An acronym's English plural keeps its "s" through stemming: it is the same name.
    places = LexicalIndex(["Cities and census-designated places (CDPs) of Alaska."], languages=["en"])
    assert list(places.chunks_with("cdp", cutoff=None)) == [0] and places.chunks_with("cd", cutoff=None).size == 0


def test_a_name_is_found_in_a_text_by_that_texts_own_stemming() -> None:
    """French rules stem "Banda" as "band": in an English text "band" is another word (a rock band), in a
    French one it is the name as French text stems it."""
    index = LexicalIndex(
        ["The band played in Leeds.", "La Banda Oriental se soulève.", "The Banda Oriental rose."],
        languages=["en", "fr", "en"],
    )
    assert list(index.chunks_with("banda", cutoff=None)) == [1, 2]
    assert list(index.chunks_with("bands", cutoff=None)) == [0, 1]  # "band" by both rules: a match in each
    french_only = LexicalIndex(["The band played in Leeds.", "La Banda Oriental se soulève."])
    assert list(french_only.chunks_with("banda", cutoff=None)) == [0, 1]  # one set of rules for every text


def test_near_spellings_ruled_out_by_their_letters_could_not_have_been_that_alike() -> None:
    """A query term is compared (rapidfuzz) only with the corpus terms whose letters leave room for the likeness
    asked: every term that alike is still among them, in its order, whatever the letters (repeated, accented,
    digits, another script), and in an index of two segments (live updates) too."""
    rng = random.Random(7)
    letters = "aabcdeeeéilmnoorsstuy1-ж"
    vocabulary = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(3000)})
    row = (np.array([0], np.int32), np.array([1.0], np.float32))
    loaded = segment_of(dict.fromkeys(vocabulary[:2000], row), 1)
    added = segment_of(dict.fromkeys(vocabulary[1500:], row), 1)
    queries = rng.sample(vocabulary, 150) + [
        "".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(150)
    ]
    for index in (Postings([loaded]), Postings([loaded, added])):
        compared = everything = 0
        for query in queries:
            near = index.near(query)
            for cutoff in (60.0, 70.0, 80.0, 85.0, 100.0):
                kept = index.near(query, cutoff)
                assert kept == [term for term in near if term in set(kept)]
                assert {term for term in near if fuzz.ratio(query, term) >= cutoff} <= set(kept)
                compared, everything = compared + len(kept), everything + len(near)
        assert compared < everything / 2  # most are ruled out without a comparison


def test_a_pool_of_postings_is_made_distinct_as_numpy_would() -> None:
    rng = np.random.default_rng(3)
    for runs in (0, 1, 7):
        pool = np.concatenate(
            [np.sort(rng.choice(5000, size=int(rng.integers(0, 400)), replace=False)) for _ in range(runs)]
            or [np.zeros(0, dtype=np.int64)]
        ).astype(np.int32)
        chunks, inverse = _distinct(pool)
        expected_chunks, expected_inverse = np.unique(pool, return_inverse=True)
        assert np.array_equal(chunks, expected_chunks) and chunks.dtype == expected_chunks.dtype
        assert np.array_equal(inverse, expected_inverse)
