"""Run the real bot Application against the fake Bot API, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from index.service import QuestionAnswerer
from index.settings import Settings
from tests import fake_telegram as tg

TOKEN = "123456:TEST-token_value-abcdef"


@dataclass
class Running:
    api: tg.FakeBotAPI
    app: Application  # type: ignore[type-arg]

    async def reply_to(self, update: dict[str, Any], chat_id: int, timeout: float = 20.0) -> tg.Call:
        before = len(self.api.sent(chat_id=chat_id))
        self.api.push(update)
        calls = await self.api.wait_for(
            lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id and not c.params.get("_failed"),
            timeout,
            count=before + 1,
        )
        return calls[before]


@asynccontextmanager
async def running_bot(settings: Settings, answerer: QuestionAnswerer, **overrides: Any) -> AsyncIterator[Running]:
    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    configured = settings.model_copy(update={"telegram_api_base_url": api.base_url, **overrides})
    app = build_application(configured, answerer)
    async with app:
        if app.post_init is not None:  # what run_polling/run_webhook do after initialize()
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
        try:
            yield Running(api, app)
        finally:
            await app.updater.stop()
            await app.stop()
    await api.stop()


def buttons(call: tg.Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
