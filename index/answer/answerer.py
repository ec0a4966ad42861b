"""The question-answering service the CLI and the bot call: retrieve, rerank, extract, cite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from index.answer.conversation import Reading, Turn, follow_up_context, read
from index.answer.extraction import build_answer, score_sentences
from index.embedding import Embedder, for_live_changes, load_embedder
from index.ingest.indexer import Indexer
from index.ingest.ocr import Ocr, PageProgress
from index.live import LiveCorpus
from index.models import Answer, AnswerStatus, IndexStats, Passage, Search
from index.search.calibration import Calibration, calibrate
from index.search.retriever import Retriever, bar_across_languages
from index.settings import Settings
from index.store.chroma import ChromaStore
from index.store.protocol import VectorStore
from index.text import clean_question, sentence_case
from index.tuning import AnswerConfig, RetrievalConfig
from index.uploads import UploadJournal

if TYPE_CHECKING:
    from index.ingest.feeds import FeedPoller
    from index.ingest.web import Fetched


class QuestionAnswerer:
    """Answers questions over an index; knows nothing about Telegram or terminals."""

    def __init__(self, retriever: Retriever, config: AnswerConfig | None = None) -> None:
        self.retriever = retriever
        self.config = config or AnswerConfig()

    def ask(self, question: str) -> Answer:
        """Answer `question` on its own."""
        return self._answer(clean_question(question))

    def reply(self, question: str, previous: Turn | None = None) -> Turn:
        """Answer `question` in a conversation whose last turn is `previous` (None: it starts here).

        A follow-up ("who announced it?") is retrieved with the previous question's topic words and
        prefers the documents its answer cited; "more" gives the previous answer's next passages; a
        question that stands on its own is answered exactly as `ask` would."""
        question = clean_question(question)
        reading = read(question)
        refused = previous is not None and previous.answer.status is AnswerStatus.REFUSED
        if reading is Reading.MORE:
            if refused:  # nothing was shown: there is nothing to continue
                previous = None
            if previous is None:
                return Turn(question, "", "", Answer(question, False, continuation=True), 0)
            return self._more(previous)
        if reading is Reading.FOLLOW_UP and previous is not None:
            context = follow_up_context(question, previous)
            answer = self._answer(question, context, previous, about=previous.topic)
            return Turn(question, context, previous.topic, answer, len(answer.citations))
        answer = self._answer(question)
        return Turn(question, "", question, answer, len(answer.citations))

    def _more(self, previous: Turn) -> Turn:
        shown = previous.shown
        answer = self._answer(
            previous.question, previous.context, previous, about=previous.topic, skip=shown, continuation=True
        )
        earlier = (*previous.earlier, *previous.answer.citations)
        return replace(previous, answer=answer, shown=shown + len(answer.citations), earlier=earlier)

    def _answer(
        self,
        question: str,
        context: str = "",
        previous: Turn | None = None,
        about: str = "",
        skip: int = 0,
        continuation: bool = False,
    ) -> Answer:
        """The answer to `question`, retrieved with its `context` words added, what the `previous` turn
        cited lifted; `skip` passes over the best passages (already shown)."""
        pool = max(self.config.rerank_pool, self.config.top_k) + skip
        boost = self._conversation_boost(previous) if previous else None
        retrieval = self.retriever.retrieve(sentence_case(f"{question} {context}".strip()), pool, boost=boost)
        unanswered = Answer(question, False, about=about, continuation=continuation)
        if len(retrieval.passages) <= skip:
            return unanswered
        sentences = score_sentences(question, retrieval.passages, retrieval.expand, context, retrieval.evidence)
        best_sentence = [0.0] * len(retrieval.passages)
        best_focus = [0.0] * len(retrieval.passages)
        for sentence in sentences:
            best_sentence[sentence.passage] = max(best_sentence[sentence.passage], sentence.score)
            best_focus[sentence.passage] = max(best_focus[sentence.passage], sentence.focus)
        # Passages with a sentence that carries the kind of answer asked for, and one that holds the question's
        # rare words together, move up.
        reranked = [
            replace(
                p,
                score=p.score + self.config.rerank_weight * best_sentence[i] + self.config.focus_weight * best_focus[i],
            )
            for i, p in enumerate(retrieval.passages)
        ]
        ranked = sorted(range(len(reranked)), key=lambda i: reranked[i].score, reverse=True)
        order = ranked[skip : skip + self.config.top_k]
        new_position = {old: new for new, old in enumerate(order)}
        passages = [reranked[i] for i in order]
        renumbered = [replace(s, passage=new_position[s.passage]) for s in sentences if s.passage in new_position]
        answer = build_answer(question, passages, renumbered, self.config.max_sentences, first_number=skip + 1)
        return replace(answer, about=about, continuation=continuation)

    def _conversation_boost(self, previous: Turn) -> Callable[[Passage], float]:
        docs = set(previous.docs)
        cited = {(c.doc_id, c.start): 1.0 / (rank + 1) for rank, c in enumerate(previous.answer.citations)}

        def boost(passage: Passage) -> float:
            lift = self.config.follow_up_doc_boost if passage.doc_id in docs else 0.0
            return lift + self.config.follow_up_passage_boost * cited.get((passage.doc_id, passage.start), 0.0)

        return boost

    def search(self, question: str, limit: int | None = None) -> list[Passage]:
        """The passages relevant to `question`, best first; empty when none passes the relevance bar."""
        return self.retriever.search(sentence_case(clean_question(question)), limit or self.config.top_k)

    def browse(self, question: str, limit: int | None = None) -> Search:
        """The best passages for `question` even below the relevance bar, saying whether they pass it."""
        question = clean_question(question)
        retrieval = self.retriever.retrieve(sentence_case(question), limit or self.config.top_k, threshold=False)
        return Search(question, retrieval.passages, retrieval.relevant)

    def stats(self) -> IndexStats:
        manifest = self.retriever.described()
        floor = self.retriever.config.relevance.floor(manifest.centred)
        return IndexStats(
            documents=len(manifest.docs),
            chunks=sum(info.chunks for info in manifest.docs.values()),
            model=manifest.model,
            dimension=manifest.dimension,
            chunk_size=manifest.chunk_size,
            chunk_overlap=manifest.chunk_overlap,
            store=self.retriever.store_description,
            docs=tuple(sorted(manifest.docs.values(), key=lambda d: (d.date, d.title), reverse=True)),
            relevance_bar=max(floor, manifest.same_language_bar),
            bar_derived=manifest.same_language_bar > floor,
            other_language_bar=bar_across_languages(manifest, self.retriever.config.relevance),
            language_bars=tuple(
                (language, max(floor, bar)) for language, bar in sorted(manifest.language_bars.items())
            ),
            other_language_bars=tuple(
                (language, bar_across_languages(manifest, self.retriever.config.relevance, language))
                for language in sorted(manifest.other_language_bars)
            ),
        )


@dataclass
class Components:
    """Everything built from one settings object."""

    settings: Settings
    embedder: Embedder
    store: VectorStore

    def indexer(self, ocr_progress: PageProgress | None = None, live: bool = False) -> Indexer:
        """An indexer of the corpus; `live`: of the changes a serving process indexes itself (a bundled model's
        engine then embeds them without sentence-transformers: index.embedding.EnginePassages)."""
        s = self.settings
        ocr = Ocr(s.ocr_cache_dir, s.ocr_languages, ocr_progress) if s.ocr else None
        return Indexer(
            for_live_changes(self.embedder) if live else self.embedder,
            self.store,
            s.chunk_size,
            s.chunk_overlap,
            s.max_file_bytes,
            max_text_chars=s.max_text_chars,
            ocr=ocr,
        )

    def answerer(self, top_k: int | None = None) -> QuestionAnswerer:
        s = self.settings
        retriever = Retriever(self.embedder, self.store, RetrievalConfig())
        return QuestionAnswerer(retriever, AnswerConfig(top_k=top_k or s.top_k, max_sentences=s.answer_sentences))

    def calibrate(self, force: bool = False) -> Calibration | None:
        """Derive the index's relevance bar for same-language passages (after an `index` run)."""
        return calibrate(Retriever(self.embedder, self.store, RetrievalConfig()), force=force)

    def fetcher(self, allow_private: bool = True) -> Callable[[str], Fetched]:
        """Downloads within the configured time and size; `allow_private=False` for addresses users send."""
        from index.ingest.web import default_fetcher  # httpx: ~0.1 s that `ask` need not pay

        s = self.settings
        return default_fetcher(allow_private, s.fetch_timeout, s.fetch_max_mb)

    def feed_poller(self, write: Callable[[str, bytes], object]) -> FeedPoller:
        """The configured feeds, their items written with `write(doc_id, data)` into the corpus."""
        from index.ingest.feeds import FeedPoller, FeedReader

        s = self.settings
        reader = FeedReader(self.fetcher(allow_private=True), write, s.corpus_dir)
        return FeedPoller(reader, s.feeds, s.feed_minutes)

    def live(self, answerer: QuestionAnswerer) -> LiveCorpus:
        """The corpus folder kept in step with the index `answerer` answers from, while it answers."""
        s = self.settings
        journal = UploadJournal(s.index_dir / "uploads-in-flight.json")
        return LiveCorpus(self.indexer(live=True), answerer.retriever, s.corpus_dir, s.max_file_bytes, journal)


def build(settings: Settings, embedder: Embedder | None = None, store: VectorStore | None = None) -> Components:
    """Wire the core from settings; pass `embedder`/`store` to substitute collaborators."""
    return Components(
        settings=settings,
        embedder=embedder
        or load_embedder(settings.embedding_model, settings.embedding_threads, settings.embedding_batch_size),
        store=store or ChromaStore.from_settings(settings),
    )
