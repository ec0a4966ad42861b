"""The question-answering service the CLI and the bot call: retrieve, rerank, extract, cite."""

from __future__ import annotations

from dataclasses import dataclass, replace

from index.answering import build_answer, score_sentences
from index.embedding import Embedder, load_embedder
from index.indexer import Indexer
from index.models import Answer, IndexStats, Passage
from index.retrieval import RetrievalConfig, Retriever
from index.settings import Settings
from index.store import ChromaStore
from index.text import clean_question, sentence_case
from index.vector_store import VectorStore


@dataclass(frozen=True)
class AnswerConfig:
    """How many passages to cite, how many sentences to quote, and how far answer cues rerank."""

    top_k: int = Settings.model_fields["top_k"].default  # one source of defaults: the settings
    max_sentences: int = Settings.model_fields["answer_sentences"].default
    rerank_pool: int = 5
    rerank_weight: float = 0.25


class QuestionAnswerer:
    """Answers questions over an index; knows nothing about Telegram or terminals."""

    def __init__(self, retriever: Retriever, config: AnswerConfig | None = None) -> None:
        self.retriever = retriever
        self.config = config or AnswerConfig()

    def ask(self, question: str) -> Answer:
        question = clean_question(question)
        retrieval = self.retriever.retrieve(sentence_case(question), max(self.config.rerank_pool, self.config.top_k))
        if not retrieval.passages:
            return build_answer(question, (), (), self.config.max_sentences)
        sentences = score_sentences(question, retrieval.passages, retrieval.expand)
        best_sentence = [0.0] * len(retrieval.passages)
        for sentence in sentences:
            best_sentence[sentence.passage] = max(best_sentence[sentence.passage], sentence.score)
        # Passages whose sentences carry the kind of answer asked for move up.
        reranked = [
            replace(p, score=p.score + self.config.rerank_weight * best_sentence[i])
            for i, p in enumerate(retrieval.passages)
        ]
        order = sorted(range(len(reranked)), key=lambda i: reranked[i].score, reverse=True)[: self.config.top_k]
        new_position = {old: new for new, old in enumerate(order)}
        passages = [reranked[i] for i in order]
        renumbered = [replace(s, passage=new_position[s.passage]) for s in sentences if s.passage in new_position]
        return build_answer(question, passages, renumbered, self.config.max_sentences)

    def search(self, question: str, limit: int | None = None) -> list[Passage]:
        return self.retriever.search(sentence_case(clean_question(question)), limit or self.config.top_k)

    def stats(self) -> IndexStats:
        manifest = self.retriever.manifest
        return IndexStats(
            documents=len(manifest.docs),
            chunks=sum(info.chunks for info in manifest.docs.values()),
            model=manifest.model,
            dimension=manifest.dimension,
            chunk_size=manifest.chunk_size,
            chunk_overlap=manifest.chunk_overlap,
            store=self.retriever.store_description,
            docs=tuple(sorted(manifest.docs.values(), key=lambda d: (d.date, d.title), reverse=True)),
        )


@dataclass
class Components:
    """Everything built from one settings object."""

    settings: Settings
    embedder: Embedder
    store: VectorStore

    def indexer(self) -> Indexer:
        s = self.settings
        return Indexer(self.embedder, self.store, s.chunk_size, s.chunk_overlap, int(s.max_file_mb * 1e6))

    def answerer(self, top_k: int | None = None) -> QuestionAnswerer:
        s = self.settings
        retriever = Retriever(self.embedder, self.store, RetrievalConfig())
        return QuestionAnswerer(retriever, AnswerConfig(top_k=top_k or s.top_k, max_sentences=s.answer_sentences))


def build(settings: Settings, embedder: Embedder | None = None, store: VectorStore | None = None) -> Components:
    """Wire the core from settings; pass `embedder`/`store` to substitute collaborators."""
    return Components(
        settings=settings,
        embedder=embedder
        or load_embedder(settings.embedding_model, settings.embedding_threads, settings.embedding_batch_size),
        store=store or ChromaStore.from_settings(settings),
    )
