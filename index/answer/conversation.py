"""Follow-up questions: tell when a message leans on the previous one, and what to retrieve with then.

"When does the deployment start?" then "who announced it?", "et où ?", "more": each follow-up alone
is too thin to retrieve on. A question that stands on its own is always read on its own."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum

from index.models import Answer, AnswerStatus, Citation
from index.search.relevance import question_names
from index.text import STOPWORDS, fold, words


class Reading(Enum):
    """How a message relates to the previous question."""

    STANDALONE = "standalone"
    FOLLOW_UP = "follow-up"  # answer it with the previous question's topic
    MORE = "more"  # continue the previous answer with its next passages


_MORE = frozenset(
    fold(phrase)
    for phrase in (
        "more",
        "more please",
        "tell me more",
        "more details",
        "more sources",
        "go on",
        "continue",
        "next",
        "plus",
        "plus de détails",
        "plus de details",
        "encore",
        "la suite",
        "suite",
        "et après",
        "en savoir plus",
        "dis m'en plus",
        "dites-m'en plus",
    )
)
# A question opening on one of these leans on the previous one: "and where?", "et combien d'hommes ?".
_CONNECTOR = re.compile(r"^(and|but|also|so|what about|how about|et|mais|aussi|alors)\b")
# Pronouns that point back at something said before, standing free in the question. Demonstratives
# ("that", "ça") are left to the length rule: "Who said that?" has no word of its own anyway.
_ANAPHORS = frozenset(
    "it its they them their theirs there he him his she her il ils elle elles lui leur leurs y".split()
)
# French inversion ("a-t-il", "ont-elles"): anaphoric unless the question names its subject before it.
_INVERSION = re.compile(r"-(?:t-)?(il|ils|elle|elles)\b")
_SUBJECT = re.compile(r"\b(le|la|les|l'|un|une|des|du|son|sa|ses|leur|leurs|ce|cette|ces)\s*'?\w{3,}")
# Impersonal and existential turns, which point at nothing: "il y a", "fera-t-il", "is there".
_IMPERSONAL = re.compile(
    r"\b(il y a|y a-t-il|y en a|il (faut|fait|fera|reste|semble)|"
    r"(fait|fera|faut|faudra|pleut|pleuvra|neigera|reste|semble|est|sera)-t?-?il|"
    r"(is|are|was|were|will) there|there (is|are|was|were|will))\b"
)
_ELIDED_OBJECT = re.compile(r"\bl'(a|ai|as|ont|avait|avaient|aura|auront|est|sont)\b")
QUESTION_WORDS = frozenset(
    """
    what which who whom whose when where why how many much long quoi quel quelle quels quelles qui quand ou
    combien comment pourquoi lequel laquelle lesquels lesquelles
    """.split()
)


_LONGEST_WORD = 40


def read(question: str) -> Reading:
    """Whether `question` continues the previous one; a question that names its topic stands alone."""
    tokens = words(question)
    if " ".join(tokens) in _MORE:
        return Reading.MORE
    if not tokens or any(len(token) > _LONGEST_WORD for token in tokens):  # "xxxx…": no words to lean on
        return Reading.STANDALONE
    if _CONNECTOR.match(fold(question).strip(" ¿¡\"'«")):
        return Reading.FOLLOW_UP
    if question_names(question):  # a rare name: "Where did Putin and Lukashenko meet and what did they say?"
        return Reading.STANDALONE
    content = [w for w in tokens if w not in STOPWORDS and w not in QUESTION_WORDS and len(w) > 1]
    if len(content) <= 1:  # "where?", "who said that?", "dans quelle résidence ?"
        return Reading.FOLLOW_UP
    return Reading.FOLLOW_UP if _points_back(question) else Reading.STANDALONE


def _points_back(question: str) -> bool:
    """A free pronoun with nothing in the question for it to stand for."""
    folded = _IMPERSONAL.sub(" ", fold(question))
    if _ELIDED_OBJECT.search(folded):  # "qui l'a annoncé ?"
        return True
    inversion = _INVERSION.search(folded)
    if inversion and not _SUBJECT.search(folded[: inversion.start()]):
        return True
    if "la-bas" in folded:
        return True
    # A free pronoun after a name in the question stands for it: "How many did Russia say it destroyed?"
    for position, word in enumerate(re.findall(r"\w+(?:-\w+)*", question.replace("’", "'"))):
        if position and word[:1].isupper():
            return False
        if fold(word) in _ANAPHORS:
            return True
    return False


@dataclass(frozen=True)
class Turn:
    """One question and its answer, as the conversation remembers it.

    `context` is the earlier question's topic words a follow-up is retrieved with ("" for a question
    read on its own); `topic` is the standalone question the thread started from; `shown` counts the
    passages already shown."""

    question: str
    context: str
    topic: str
    answer: Answer
    shown: int
    earlier: tuple[Citation, ...] = ()  # what "more" showed before this answer, in this thread

    @property
    def citations(self) -> dict[int, Citation]:
        """Every citation shown in this thread by its number ("more" goes on numbering: [4], [5], [6])."""
        return {c.number: c for c in (*self.earlier, *self.answer.citations)}

    @property
    def query(self) -> str:
        """What retrieval used: the question, then its context."""
        return f"{self.question} {self.context}".strip()

    @property
    def docs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.doc_id for c in self.answer.citations))


def topic_words(query: str) -> list[str]:
    """The words of a question that carry its topic: no stopwords, no question words, in order, once."""
    seen: dict[str, None] = {}
    for word in re.findall(r"[^\W\d_][\w'’-]*|\d[\w-]*", query):
        if _INVERSION.search(fold(word)):  # "ont-elles": a verb and its pronoun, no topic
            continue
        folded = fold(word).strip("'-")
        if len(folded) > 1 and folded not in STOPWORDS | QUESTION_WORDS | _ANAPHORS:
            seen.setdefault(word.strip("'’-"), None)
    return list(seen)


def follow_up_context(question: str, previous: Turn) -> str:
    """What a follow-up is retrieved with besides its own words: the previous question's topic words it lacks."""
    own = {fold(word) for word in topic_words(question)}
    return " ".join(word for word in topic_words(previous.query) if fold(word) not in own)


class Memory:
    """The last turn of each conversation (a chat, or one user in a group), for `ttl` seconds.

    Bounded: past `capacity` conversations the least recently used is forgotten. In memory only."""

    def __init__(self, ttl: float, capacity: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._turns: OrderedDict[Hashable, tuple[float, Turn]] = OrderedDict()

    def get(self, key: Hashable) -> Turn | None:
        """The conversation's last turn, unless it is older than `ttl` (then a question starts afresh)."""
        found = self._turns.get(key)
        if found is None or self._clock() - found[0] > self.ttl:
            return None
        return found[1]

    def last(self, key: Hashable) -> Turn | None:
        """The conversation's last turn however old (what `/source` shows), until forgotten or crowded out."""
        found = self._turns.get(key)
        return found[1] if found else None

    def remember(self, key: Hashable, turn: Turn) -> None:
        """Keep `turn` as the conversation's last, unless it is a "more" that found nothing more (the
        thread stays where it was)."""
        if turn.answer.status not in (AnswerStatus.NO_MORE, AnswerStatus.NOTHING_TO_CONTINUE):
            self.put(key, turn)

    def put(self, key: Hashable, turn: Turn) -> None:
        self._turns[key] = (self._clock(), turn)
        self._turns.move_to_end(key)
        while len(self._turns) > self._capacity:
            self._turns.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._turns.pop(key, None)
