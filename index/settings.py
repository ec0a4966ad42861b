"""The core's settings, read from the environment and `.env` when built (never at import); no Telegram in here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the core (corpus, index, model, store, answers); `.env.example` documents each one.

    The bot's own settings (token, webhook, access rules) are `bot.settings.BotSettings`: the core never
    sees the token."""

    # An empty value (`CHROMA_HOST=`) means the default, as `.env.example` writes them.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    # Corpus and index
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".corpusbot")
    collection: str = "corpusbot"
    max_file_mb: float = Field(default=20.0, gt=0)
    # Text one document may yield (a 90 kB PDF can inflate to 60 MB of text: hours of embedding). 5 MB is
    # about 2,500 pages, ~9,000 passages, ~20 min of e5 on 2 cores.
    max_text_mb: float = Field(default=5.0, gt=0)
    # `corpusbot serve` and `corpusbot chat` re-index files added, changed or removed in the folder.
    watch_corpus: bool = True
    index_lock_wait: float = Field(default=10.0, ge=0.0)
    # Scanned PDF pages and images (.png, .jpg, .tiff) are read by Tesseract when it is installed.
    ocr: bool = True
    ocr_languages: str = "fra+eng"
    # Web pages (`corpusbot add URL`, a link sent to the bot) and news feeds: limits of one download.
    fetch_timeout: float = Field(default=20.0, gt=0.0)
    fetch_max_mb: float = Field(default=10.0, gt=0.0)
    # RSS/Atom feeds whose items become documents (comma-separated URLs); polled while serving or chatting.
    feeds: Annotated[tuple[str, ...], NoDecode] = ()
    feed_minutes: float = Field(default=15.0, gt=0.0)
    chunk_size: int = Field(default=700, ge=100, le=4000)
    chunk_overlap: int = Field(default=150, ge=0, le=1000)

    # Embeddings
    embedding_model: str = "e5-small-q4"
    embedding_batch_size: int = Field(default=64, ge=1)
    embedding_threads: int = Field(default=2, ge=1)

    # Chroma server mode (embedded persistent store when chroma_host is empty)
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_ssl: bool = False

    # Retrieval and answers
    top_k: int = Field(default=3, ge=1, le=20)
    answer_sentences: int = Field(default=2, ge=1, le=5)
    # How long a chat remembers its last question for follow-ups ("who announced it?"); 0 = never.
    follow_up_minutes: float = Field(default=10.0, ge=0.0)

    log_level: str = "INFO"

    @field_validator("feeds", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_size", 700)
        if value >= size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1e6)

    @property
    def max_text_chars(self) -> int:
        return int(self.max_text_mb * 1e6)

    @property
    def fetch_max_bytes(self) -> int:
        return int(self.fetch_max_mb * 1e6)

    @property
    def ocr_cache_dir(self) -> Path:
        return self.index_dir / "ocr-cache"

    @property
    def chroma_path(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def store_description(self) -> str:
        if self.chroma_host:
            scheme = "https" if self.chroma_ssl else "http"
            return f"chroma server {scheme}://{self.chroma_host}:{self.chroma_port}"
        return f"chroma embedded at {self.chroma_path}"
