"""Run the real bot Application against the fake Bot API, for end-to-end tests."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot import sending
from bot.app import build_application
from bot.settings import BotSettings
from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer
from index.live import LiveCorpus

TOKEN = "123456:TEST-token_value-abcdef"


@dataclass
class Running:
    api: tg.FakeBotAPI
    app: Application  # type: ignore[type-arg]
    handled: defaultdict[int, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))

    def push(self, update: dict[str, Any]) -> int:
        """Queue `update` for the bot's next poll; its update_id."""
        return self.api.push(update)

    async def settled(self, *update_ids: int, timeout: float = 20.0) -> None:
        """Wait until the bot has finished handling these updates: every handler (and the error handler)
        has returned, so whatever it was going to send is sent. "It stayed silent" is checked after this."""
        for update_id in update_ids:
            await asyncio.wait_for(self.handled[update_id].wait(), timeout)

    async def reply_to(self, update: dict[str, Any], chat_id: int, timeout: float = 20.0) -> tg.Call:
        """Push `update`, wait for the bot's reply in `chat_id` and for the update to be fully handled."""
        before = len(self.api.sent(chat_id=chat_id))
        update_id = self.push(update)
        calls = await self.api.wait_for(
            lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id and not c.params.get("_failed"),
            timeout,
            count=before + 1,
        )
        await self.settled(update_id, timeout=timeout)
        return calls[before]


@asynccontextmanager
async def running_bot(
    answerer: QuestionAnswerer, follow_up_minutes: float = 10.0, live: LiveCorpus | None = None, **overrides: Any
) -> AsyncIterator[Running]:
    """The bot answering through `answerer`, polling a fresh fake Bot API; `overrides` are `BotSettings` fields."""
    api = tg.FakeBotAPI(TOKEN)
    await api.start()
    fields = {"telegram_bot_token": TOKEN, "shortcuts_file": None, "telegram_api_base_url": api.base_url, **overrides}
    configured = BotSettings(_env_file=None, **fields)  # type: ignore[call-arg]
    app = build_application(configured, answerer, follow_up_minutes, live)
    running = Running(api, app)

    async def mark_handled(update: Update, context: object) -> None:
        running.handled[update.update_id].set()

    # An observer after every handler group of the real bot: it runs once the update is fully handled.
    app.add_handler(TypeHandler(Update, mark_handled), group=99)
    async with app:
        if app.post_init is not None:  # what run_polling/run_webhook do after initialize()
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=0, allowed_updates=Update.ALL_TYPES)
        backoff, sending.RETRY_BACKOFF = sending.RETRY_BACKOFF, 0.01  # retries are counted here, not waited for
        try:
            yield running
        finally:
            sending.RETRY_BACKOFF = backoff
            await app.updater.stop()
            await app.stop()
    await api.stop()


def buttons(call: tg.Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
