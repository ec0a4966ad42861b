"""The one settings object, read from the environment and `.env` when built (never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob corpusbot has; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Corpus and index
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".corpusbot")
    collection: str = "corpusbot"
    max_file_mb: float = Field(default=20.0, gt=0)
    index_lock_wait: float = Field(default=10.0, ge=0.0)
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

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None
    allowed_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    allowed_chat_ids: Annotated[tuple[int, ...], NoDecode] = ()
    rate_limit_per_minute: int = Field(default=12, ge=0)
    telegram_typing_delay: float = Field(default=0.3, ge=0.0)
    telegram_timeout: float = Field(default=10.0, gt=0.0)
    shortcuts_file: Path | None = Path("shortcuts.toml")

    log_level: str = "INFO"

    @field_validator("allowed_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_size", 700)
        if value >= size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return value

    @property
    def chroma_path(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def store_description(self) -> str:
        if self.chroma_host:
            scheme = "https" if self.chroma_ssl else "http"
            return f"chroma server {scheme}://{self.chroma_host}:{self.chroma_port}"
        return f"chroma embedded at {self.chroma_path}"
