"""The Telegram bot's settings (token, webhook, access rules, limits), read like the core's from env / `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class BotSettings(BaseSettings):
    """What only `corpusbot serve` needs; the core's settings are `index.settings.Settings`."""

    # An empty value (`CHROMA_HOST=`) means the default, as `.env.example` writes them.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None
    allowed_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    allowed_chat_ids: Annotated[tuple[int, ...], NoDecode] = ()
    admin_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    ingest_channel_ids: Annotated[tuple[int, ...], NoDecode] = ()
    rate_limit_per_minute: int = Field(default=12, ge=0)
    telegram_typing_delay: float = Field(default=0.3, ge=0.0)
    telegram_timeout: float = Field(default=10.0, gt=0.0)
    shortcuts_file: Path | None = Path("shortcuts.toml")
    # Links admins send are fetched only from public addresses unless this is true (loopback, private
    # networks and link-local addresses are refused: the bot must not be a window into its own network).
    fetch_private_hosts: bool = False

    @property
    def telegram_file_base_url(self) -> str:
        """Where files are downloaded from: `…/file/bot` beside the API's `…/bot` (also for a local Bot API)."""
        base = self.telegram_api_base_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"

    @field_validator("allowed_user_ids", "allowed_chat_ids", "admin_user_ids", "ingest_channel_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        if isinstance(value, int):
            return (value,)
        return value
