"""Settings: `.env.example` documents every knob with its real default, and the core never sees the token."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from bot.settings import BotSettings
from index.settings import Settings
from index.tuning import AnswerConfig

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def _example_keys() -> set[str]:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    return {line.split("=", 1)[0].lower() for line in lines if line and not line.startswith("#")}


@pytest.mark.parametrize("kind", [Settings, BotSettings])
def test_env_example_lists_every_setting_with_its_default(kind: type[BaseSettings]) -> None:
    assert set(kind.model_fields) <= _example_keys()
    from_example = kind(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert from_example == kind(_env_file=None)  # type: ignore[call-arg]


def test_env_example_has_nothing_the_settings_do_not_read() -> None:
    assert _example_keys() == set(Settings.model_fields) | set(BotSettings.model_fields)


def test_the_core_settings_never_hold_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:core-must-not-see-this")
    assert "core-must-not-see-this" not in repr(Settings(_env_file=None).model_dump())  # type: ignore[call-arg]
    assert not any(name.startswith("telegram") for name in Settings.model_fields)
    assert BotSettings(_env_file=None).telegram_bot_token is not None  # type: ignore[call-arg]


def test_answer_defaults_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (AnswerConfig().top_k, AnswerConfig().max_sentences) == (settings.top_k, settings.answer_sentences)
