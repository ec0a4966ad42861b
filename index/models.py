"""Plain frozen dataclasses passed between the core and its shells."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from index.sentences import paragraph_breaks


@dataclass(frozen=True)
class Document:
    """A loaded document: its body text and what we know about it."""

    doc_id: str
    path: str
    title: str
    text: str
    date: str = ""
    url: str = ""
    lang: str = ""
    # Character offset of `text` inside the source file (front matter skipped), or 0.
    body_offset: int = 0
    # For paginated sources: (start offset in `text`, page number) pairs, sorted.
    pages: tuple[tuple[int, int], ...] = ()
    # Where a reader finds a part of other structured sources: (start offset in `text`, label) pairs,
    # sorted, e.g. "slide 3", "sheet Budget, rows 2–14", "ch. 2 Results", "attachment report.pdf, p. 1".
    sections: tuple[tuple[int, str], ...] = ()
    author: str = ""
    # Parts of the file that could not be read, with why (an e-mail's attachment of an unknown type).
    skipped_parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A slice of a document's text. `start`/`end` are offsets into the file's text as loaded: for plain
    text and Markdown `document.text[start - body_offset:end - body_offset] == text` (front matter or
    header lines skipped); for extracted formats (HTML, PDF, Office, OCR) they point into the extracted
    text, not the file's bytes."""

    doc_id: str
    index: int
    text: str
    start: int
    end: int
    paragraph: int
    page: int | None = None
    section: str = ""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its document metadata and relevance scores."""

    chunk_id: str
    doc_id: str
    title: str
    date: str
    url: str
    path: str
    text: str
    start: int
    end: int
    paragraph: int
    page: int | None
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    similarity: float = 0.0  # the raw cosine similarity to the question (dense hits; the lowest one's otherwise)
    section: str = ""  # slide, sheet and rows, chapter, attachment (see `Document.sections`)
    author: str = ""
    lang: str = ""  # its document's language ("en", "fr", or "" when not told)

    @property
    def location(self) -> str:
        """Where the passage stands, as shown to a reader: "¶ 3–4, chars 812–1460", "p. 2, …", "Slide 4, …"."""
        last = self.paragraph + paragraph_breaks(self.text)
        paragraphs = f"¶ {self.paragraph}" if last == self.paragraph else f"¶ {self.paragraph}–{last}"
        where = f"p. {self.page}" if self.page is not None else paragraphs
        if self.section:
            where = f"{self.section}, p. {self.page}" if self.page is not None else self.section
        return f"{where}, chars {self.start}–{self.end}"

    def cite(self, number: int) -> Citation:
        """This passage as citation `number` of an answer."""
        return Citation(
            number=number,
            doc_id=self.doc_id,
            title=self.title,
            date=self.date,
            url=self.url,
            location=self.location,
            passage=self.text,
            score=self.score,
            start=self.start,
            end=self.end,
            author=self.author,
        )


@dataclass(frozen=True)
class Citation:
    """Where an answer came from: enough to find the exact place again."""

    number: int
    doc_id: str
    title: str
    date: str
    url: str
    location: str  # as shown to a reader (Passage.location)
    passage: str
    score: float
    start: int
    end: int
    author: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "doc_id": self.doc_id,
            "title": self.title,
            **({"author": self.author} if self.author else {}),
            "date": self.date,
            "url": self.url,
            "position": self.location,  # the key --json has always had
            "start": self.start,
            "end": self.end,
            "passage": self.passage,
            "score": round(self.score, 4),
        }


class AnswerStatus(Enum):
    """What an answer is, as the CLI and the bot show it."""

    ANSWERED = "answered"  # a key sentence and citations (a follow-up's, or the next passages of "more")
    REFUSED = "refused"  # nothing relevant in the corpus
    NO_MORE = "no more"  # "more" after the last passage of the answer it continues
    NOTHING_TO_CONTINUE = "nothing to continue"  # "more" with no earlier answer in the conversation


@dataclass(frozen=True)
class Answer:
    """The answer to one question; `answered=False` means nothing relevant was found.

    `about` is the earlier question a follow-up was read with ("" for a question read on its own);
    `continuation` marks the next passages of the previous answer ("more"). `status` says which of the
    four kinds of answer the three make."""

    question: str
    answered: bool
    sentences: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    about: str = ""
    continuation: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def status(self) -> AnswerStatus:
        if self.answered:
            return AnswerStatus.ANSWERED
        if not self.continuation:
            return AnswerStatus.REFUSED
        return AnswerStatus.NO_MORE if self.about else AnswerStatus.NOTHING_TO_CONTINUE

    def as_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.text,
            "citations": [c.as_dict() for c in self.citations],
            # Only in a conversation: which earlier question a follow-up was read with, "more" answers.
            **({"about": self.about} if self.about else {}),
            **({"continuation": True} if self.continuation else {}),
        }


@dataclass(frozen=True)
class Search:
    """The best passages for a search, best first, even when none is relevant enough to answer from:
    `relevant` says whether the best one passes the relevance bar a question's answer must pass."""

    question: str
    passages: tuple[Passage, ...]
    relevant: bool


@dataclass(frozen=True)
class SkippedFile:
    """A file the indexer could not use, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IndexReport:
    """What one `corpusbot index` run did."""

    documents: int
    chunks: int
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0  # stored by an interrupted run and kept, not embedded again
    orphans_removed: int = 0  # stored passages of no indexed document, removed (an index repaired)
    centred_chunks: int = 0  # stored before language centring, now stored centred (copied, not embedded)
    skipped: tuple[SkippedFile, ...] = ()
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether the run added, updated or removed any document (a new index generation)."""
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as recorded in the index manifest."""

    doc_id: str
    title: str
    date: str
    url: str
    chunks: int
    version: str  # hash of the file's bytes and the chunking parameters
    path: str = ""
    background: float | None = None  # mean similarity of unrelated questions to its chunks (index/ingest/background)
    lang: str = ""  # "en", "fr", "?" for neither; "" when indexed before languages were told apart
    # The same similarity for unrelated questions of each language (a model's pull towards its own language)
    backgrounds: dict[str, float] = field(default_factory=dict)
    author: str = ""


@dataclass(frozen=True)
class IndexStats:
    """Size and provenance of the current index."""

    documents: int
    chunks: int
    model: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    store: str
    docs: tuple[DocumentInfo, ...] = field(default_factory=tuple)
    # The relevance bar a passage in the question's own language must pass, and whether this index derived
    # it (index/search/calibration.py) or it is the rule's floor (too few documents to derive one).
    relevance_bar: float = 0.0
    bar_derived: bool = False
    # The bar for a passage in the other language than the question's (the floor when not derived).
    other_language_bar: float = 0.0
    # A mixed corpus's bar of each language for passages asked about in it, where derived (else relevance_bar).
    language_bars: tuple[tuple[str, float], ...] = ()
    # A mixed corpus's bar across languages for the questions of each language, where derived (else other_language_bar).
    other_language_bars: tuple[tuple[str, float], ...] = ()
