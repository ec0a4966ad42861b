"""Answer extraction: pick the sentence(s) in the retrieved passages that answer the question."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, replace
from enum import Enum
from itertools import pairwise

from index.models import Answer, Passage
from index.search.lexical import WordEvidence
from index.search.relevance import weighted_overlap
from index.sentences import split_sentences
from index.text import content_words, fold, spellings, stemming_of, term_set, terms, words
from index.tuning import EXTRA_SENTENCE_SHARE, NEW_TERMS_FULL_CREDIT, PREVIOUS_FOCUS_CARRY, SENTENCE_WEIGHTS


class Expect(Enum):
    """What kind of answer a question asks for."""

    DATE = "date"
    NUMBER = "number"
    PERSON = "person"
    PLACE = "place"
    NAME = "name"  # "what is the name of…": a proper name the question does not hold
    QUOTE = "quote"  # "what did he say?": a statement, in quotation marks in news text
    ANY = "any"


_QUOTE_QUESTION = re.compile(
    r"\bwhat (else )?(did|does|has|have) [\w ]{1,30}(say|said|tell|told|declare)\b|"
    r"\bqu'(a|ont|a-t-il|a-t-elle|ont-ils|ont-elles)( \w+){0,3} (dit|declare)\b|\bque dit\b"
)
# The words that ask for a kind of thing, in English and French (accents folded). The one that comes first
# in the question is what it asks for: "Who will start the talks?" asks for a person, not a date.
_ASKS_FOR: tuple[tuple[Expect, re.Pattern[str]], ...] = (
    (
        Expect.NUMBER,
        re.compile(
            r"\b(how (many|much|long)|combien|quel nombre|what (number|percentage|percent|share|proportion|rank)|"
            r"(a )?quel(le)? (rang|proportion|part)|which rank)\b"
        ),
    ),
    (
        Expect.DATE,
        re.compile(
            r"\b(when|quand|what (date|day|year|time)|quel(le)? (date|annee|jour|heure)|depuis quand|"
            r"a quel moment|how soon|(in|on) (what|which) (year|day|date))\b"
        ),
    ),
    (Expect.PERSON, re.compile(r"\b(who|whom|whose|qui|by whom|par qui)\b")),
    (
        Expect.PLACE,
        re.compile(
            r"\b(where|d'ou|^ou|ou (se|a|est|sont|ont|ils|elles|il|elle|les|la|le)|"
            r"(dans|de|pres de|vers) quel(le)? (ville|pays|endroit|region|lieu)|quel(le)? (ville|pays|region)|"
            r"(in|near|from|to) (which|what) (city|country|place|town|region)|which (city|country|town|region))\b"
        ),
    ),
)
# "Comment s'appelle…", "What is it called?", "What do Samoans call…", "Quel nom donnait-on…": a proper name.
_ASKS_FOR_A_NAME = re.compile(
    r"\b(comment (s'appel\w*|appel\w+|nomm\w+)|quel nom|what (name|\w+ (is|was|are|were) (it |they )?called)|"
    r"what (do|did|does) [\w' ]{1,40} call\b|how (is|was|are|were) [\w' ]{1,40} called)"
)
# "Which/what (is the) X…", "Quel(le) (est le nom du) X…": the question asks for an X; the kind of thing X is
# says what kind of answer is wanted ("Quel est le nom du créateur…" asks for a person).
_SUBJECT = re.compile(
    r"\b(?:quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|which|what)\s+"
    r"(?:(?:est|sont|etait|etaient|fut|furent|is|was|are|were)\s+)?(?:(?:le|la|les|un|une|the|a|an)\s+|l'\s*)?"
    r"((?:nom|name|prenom)\s+(?:(?:de|du|des|of)\s+|d'\s*)(?:(?:la|les|the|a|an)\s+|l'\s*)?)?(\w+)(?:\s+(\w+))?"
)
_SUBJECT_KINDS = {
    Expect.PERSON: """personne personnes homme femme auteur autrice ecrivain createur createurs fondateur fondatrice
        president presidente roi reine empereur imperatrice pape eveque joueur joueuse entraineur pilote chanteur
        chanteuse acteur actrice artiste peintre compositeur architecte ministre chef dirigeant inventeur
        scientifique philosophe poete musicien realisateur vainqueur gagnant gagnante champion championne heros
        pere mere fils fille frere soeur epouse mari successeur predecesseur person people man woman author
        writer creator founder king queen emperor empress pope bishop player coach driver singer actor actress
        artist painter composer architect minister leader inventor scientist philosopher poet musician director
        winner hero heroine father mother son daughter brother sister wife husband successor predecessor
        pdg journaliste soldat officier explorateur navigateur prince princesse duc amiral capitaine commandant
        professeur dieu deesse executive journalist reporter soldier officer explorer navigator princess duke
        admiral captain commander professor god goddess""",
    Expect.NAME: """entreprise compagnie firme marque club equipe chaine journal roman film livre album chanson navire
        company firm brand club team chain newspaper novel film movie book album song ship ecole universite
        parti organisation institution school university party organization""",
    Expect.PLACE: """ville villes pays region province lieu endroit ile iles continent fleuve riviere lac montagne
        departement commune etat capitale quartier village city cities country countries place town island
        islands river lake mountain state capital zone territoire district area territory""",
    Expect.DATE: "annee jour date mois siecle epoque decennie year day month century era decade",
    Expect.NUMBER: """nombre pourcentage population taille superficie hauteur altitude longueur largeur profondeur
        distance age prix montant cout poids vitesse temperature somme number percentage size height length
        width depth price amount cost weight speed sum""",
}
_SUBJECT_KIND = {word: kind for kind, nouns in _SUBJECT_KINDS.items() for word in nouns.split()}
# A question word that asks for no kind in particular: before a typed one, it is the question's own ("Quels
# sont les fondements qui…" asks for foundations, not for the person "qui" would ask for).
_ANY_QUESTION = re.compile(
    r"\b(quel(le)?s?|lequel|laquelle|lesquel(le)?s|que|qu'|quoi|comment|pourquoi|which|what|how|why)\b"
)
# "What's the name…", "Where's…": the question word and its verb, written out.
_CONTRACTED = re.compile(r"\b(what|who|where|when|which|how)'s\b")
# Asked about the start of something without a question word for time ("the deployment will start…?").
_STARTS = re.compile(r"\b(start|begin|commencer?a?i?t?)\b")
_MONTHS = (
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre january february "
    "march april may june july august september october november december"
)
_DATE_CUES = re.compile(
    rf"\b(\d{{1,2}}(er)?( et \d{{1,2}})? ({'|'.join(_MONTHS.split())})|({'|'.join(_MONTHS.split())})\b|"
    r"(1\d|20)\d\ds?\b|\d+ (bc|bce|ad|av\. j\.-c\.|avant j\.-c\.)\b|"
    r"\d+(st|nd|rd|th|e|eme) (century|siecle)|\b[xvi]+e siecle|annees \d\d|"
    r"immediatement|immediately|aujourd'hui|today|yesterday|hier|demain|tomorrow|"
    r"(dans|within|in) (quelques|a few|\d+) (jours|semaines|mois|days|weeks|months)|"
    r"(last|next|la semaine|le mois|l'annee) ?(week|month|year|derniere|dernier|prochaine|prochain)?|"
    r"overnight|last night|tonight|(pendant|durant|dans) la nuit|cette nuit)"
)
_NUMBER_WORDS = (
    "un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente cent cents mille "
    "million millions milliard one two three four five six seven eight nine ten eleven twelve fifteen twenty "
    "thirty hundred thousand million billion dozen dozens douzaine"
)
_NUMBER_CUES = re.compile(rf"\w*\d\w*|\b({'|'.join(_NUMBER_WORDS.split())})\b")
_PERSON_CUES = re.compile(
    r"\b(president|presidente|minister|ministre|chercheur|researcher|general|porte-parole|spokesman|"
    r"spokesperson|analyst|analyste|directeur|director|chef|leader|m\.|mr|mme|mrs|dr)\b"
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+)+")
# A capitalised word that does not start the sentence: a proper name, or part of one.
_CAPITALISED_WORD = re.compile(r"(?<![.!?]\s)(?<!^)(?<![\w-])[A-Z\u00c0-\u00de][\w-]*")
_QUOTE_MARKS = re.compile(r"[«»“”]|\"\w")
_PLACE_CUES = re.compile(r"\b(a|en|au|aux|near|in|at|pres de|dans) [A-Z][\w-]*")


def expected_answer(question: str) -> Expect:
    """The kind of answer `question` asks for, from its first question word: a typed one ("when", "combien"),
    else the kind of thing a "which/quel …" asks about, else any (an untyped question word comes first)."""
    folded = _CONTRACTED.sub(r"\1 is", fold(question))
    if _QUOTE_QUESTION.search(folded):
        return Expect.QUOTE
    # (position, precedence at one position, kind): "quelle année" is a date, "quel type" anything.
    found = [(hit.start(), 0, expect) for expect, pattern in _ASKS_FOR if (hit := pattern.search(folded))]
    if subject := _SUBJECT.search(folded):
        # "which Italian club": English puts an adjective before the noun that says the kind
        kind = _SUBJECT_KIND.get(subject.group(2)) or _SUBJECT_KIND.get(subject.group(3) or "")
        if kind is None and subject.group(1):  # "the name of the joint venture": a proper name
            kind = Expect.NAME
        if kind is not None:
            found.append((subject.start(), 1, kind))
    if named := _ASKS_FOR_A_NAME.search(folded):
        found.append((named.start(), 0, Expect.NAME))
    if untyped := _ANY_QUESTION.search(folded):
        found.append((untyped.start(), 2, Expect.ANY))
    if found:
        return min(found, key=lambda hit: hit[:2])[2]
    return Expect.DATE if _STARTS.search(folded) else Expect.ANY


def type_match(expect: Expect, sentence: str, asked: frozenset[str] = frozenset()) -> float:
    """1.0 when the sentence holds the kind of thing the question asks for, else 0.0. A date, number or
    place the question itself holds (its folded words: `asked`) is not what it asks for."""
    folded = fold(sentence)

    def new(found: re.Match[str]) -> bool:
        return not set(words(found.group(0))) <= asked

    if expect is Expect.DATE:
        return 1.0 if any(new(hit) for hit in _DATE_CUES.finditer(folded)) else 0.0
    if expect is Expect.NUMBER:
        return 1.0 if any(new(hit) for hit in _NUMBER_CUES.finditer(folded)) else 0.0
    if expect is Expect.PERSON:
        # (names the question holds count: the answer is often a name the detector misses, next to them)
        return 1.0 if _NAME.search(sentence) or _PERSON_CUES.search(folded) else 0.0
    if expect is Expect.PLACE:
        return 1.0 if any(new(hit) for hit in _PLACE_CUES.finditer(fold_keep_case(sentence))) else 0.0
    if expect is Expect.NAME:
        return 1.0 if any(new(hit) for hit in _CAPITALISED_WORD.finditer(sentence)) else 0.0
    if expect is Expect.QUOTE:
        return 1.0 if _QUOTE_MARKS.search(sentence) else 0.0
    return 0.0


def fold_keep_case(text: str) -> str:
    """`text` with each character folded (`fold`) but the capital letters, which stay as they are."""
    return text.translate({ord(c): c if c.isupper() else fold(c) for c in set(text)})


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a passage, its offsets in the document, and how well it answers."""

    passage: int
    text: str
    start: int
    end: int
    score: float
    # The share of the question's rarity (idf) the sentence holds: how squarely it is about what the question
    # asks. It ranks passages (the answerer's rerank), not sentences within one.
    focus: float = 0.0


def lexical_overlap(
    question_words: set[str], present: Set[str], expand: Callable[[str], Sequence[tuple[str, float]]]
) -> float:
    """Share of the question's content words (or their fuzzy spellings, or translations) among a sentence's
    terms (`present`, stemmed as the index stems its document's language)."""
    if not question_words:
        return 0.0
    hits = 0.0
    for word in question_words:
        weights = [w for t, w in expand(word) if t in present]
        hits += max(weights, default=1.0 if any(t in present for t in spellings(word)) else 0.0)
    return hits / len(question_words)


def beyond_the_question(asked: Set[str], present: Set[str]) -> float:
    """How much a sentence (its terms: `present`) says beyond the question's own terms (`asked`, stemmed
    alike): 0 for one that only restates it, 1 from NEW_TERMS_FULL_CREDIT terms of its own."""
    return min(1.0, len(present - asked) / NEW_TERMS_FULL_CREDIT)


def score_sentences(
    question: str,
    passages: Sequence[Passage],
    expand: Callable[[str], Sequence[tuple[str, float]]],
    topic: str = "",
    evidence: Callable[[str], WordEvidence] | None = None,
) -> list[ScoredSentence]:
    """Every sentence of `passages`, scored as an answer to `question`; the kind of answer comes from
    `question` alone, the words to look for also from `topic` (a follow-up's earlier question). With
    `evidence` (what finding each word says: LexicalIndex.evidence), each sentence's `focus` too."""
    expect = expected_answer(question)
    asked = frozenset(words(f"{question} {topic}"))
    question_words = set(content_words(question))
    # A follow-up's own words say what is asked; its topic's words only where to look (half weight).
    topic_words = set(content_words(topic)) - question_words
    spans: list[tuple[int, str, int, int]] = []
    for number, passage in enumerate(passages):
        for start, end in split_sentences(passage.text):
            spans.append((number, passage.text[start:end], passage.start + start, passage.start + end))
    scored = []
    asked_terms: dict[str, set[str]] = {}  # the question's terms (and its topic's), per stemming
    for number, text, start, end in spans:
        stemming = stemming_of(passages[number].lang)
        present = term_set(text, stemming)
        if stemming not in asked_terms:
            asked_terms[stemming] = set(terms(f"{question} {topic}", stemming))
        overlap = lexical_overlap(question_words, present, expand)
        if topic_words:
            overlap = _with_topic(question_words, topic_words, overlap, lexical_overlap(topic_words, present, expand))
        focus = 0.0
        if evidence is not None:
            focus = weighted_overlap(question_words, present, evidence)
            if topic_words:
                topical = weighted_overlap(topic_words, present, evidence)
                focus = _with_topic(question_words, topic_words, focus, topical)
        score = (
            SENTENCE_WEIGHTS["lexical"] * overlap
            + SENTENCE_WEIGHTS["type"] * type_match(expect, text, asked)
            + SENTENCE_WEIGHTS["new"] * beyond_the_question(asked_terms[stemming], present)
        )
        scored.append(ScoredSentence(number, text, start, end, score, focus))
    return scored


def _with_topic(question_words: set[str], topic_words: set[str], own: float, topical: float) -> float:
    """An overlap of the question's own words (`own`) and of a follow-up's topic words (`topical`), these at
    half their weight."""
    return (2 * len(question_words) * own + len(topic_words) * topical) / (2 * len(question_words) + len(topic_words))


def with_previous_focus(sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The sentences of one passage, each scored with a share (PREVIOUS_FOCUS_CARRY) of the focus of the sentence
    before it: the sentence after the one that names what the question asks about often answers it ("Son
    récit … est publié dans l'Evening World" after the one naming Carlos Hurd)."""
    ordered = sorted(sentences, key=lambda s: s.start)
    carried = [replace(s, score=s.score + PREVIOUS_FOCUS_CARRY * before.focus) for before, s in pairwise(ordered)]
    return ordered[:1] + carried


def build_answer(
    question: str,
    passages: Sequence[Passage],
    sentences: Sequence[ScoredSentence],
    max_sentences: int,
    first_number: int = 1,
) -> Answer:
    """The answer: best sentence(s) of the best passage, and a citation per passage (numbered from
    `first_number`: the next passages of an answer go on with its numbers)."""
    if not passages:
        return Answer(question=question, answered=False)
    citations = tuple(p.cite(i + first_number) for i, p in enumerate(passages))
    in_best = sorted(with_previous_focus([s for s in sentences if s.passage == 0]), key=lambda s: s.score, reverse=True)
    if not in_best:
        return Answer(question=question, answered=True, sentences=(passages[0].text,), citations=citations)
    chosen = [in_best[0]]
    for candidate in in_best[1:max_sentences]:
        if candidate.score >= EXTRA_SENTENCE_SHARE * in_best[0].score:
            chosen.append(candidate)
    chosen.sort(key=lambda s: s.start)
    return Answer(
        question=question,
        answered=True,
        sentences=tuple(s.text for s in chosen),
        citations=citations,
    )
