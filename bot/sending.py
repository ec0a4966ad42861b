"""Sending to Telegram: HTML replies, and retrying what is safe to retry (flood control, dropped connections)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)
T = TypeVar("T")
# The first wait before a failed Bot API call is tried again (doubled each time): 0.5, 1, 2 s.
RETRY_BACKOFF = 0.5


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_transport_error(error: object) -> bool:
    """A failure to talk to Telegram (5xx, refused, dropped, timed out), not Telegram saying no."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def with_retry(call: Callable[[], Awaitable[T]], attempts: int = 4, backoff: float | None = None) -> T:
    """Run a Bot API call, retrying what is safe to retry.

    Flood control (429) is waited out. Errors where Telegram did not take the request (5xx, refused or
    dropped connections) are retried with backoff. A timeout is not retried: the request may have gone
    through, and a user must never get the same answer twice.
    """
    for attempt in range(attempts - 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            log.warning("flood control: retrying in %.1f s", wait)
            await asyncio.sleep(wait)
        except NetworkError as exc:
            if not is_transport_error(exc) or isinstance(exc, TimedOut):
                raise
            wait = (RETRY_BACKOFF if backoff is None else backoff) * 2**attempt
            log.warning("Bot API call failed (%s): retrying in %.1f s", exc, wait)
            await asyncio.sleep(wait)
    return await call()


def quotes(message: Message) -> bool:
    """Replies quote the question in groups (where several people talk), not in private chats."""
    return message.chat.type != ChatType.PRIVATE


async def send_html(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None, quote: bool | None = None
) -> Message:
    """Reply to `message` with HTML `text`, quoting it in groups unless `quote` says otherwise."""
    quote = quotes(message) if quote is None else quote
    return await with_retry(
        lambda: message.reply_text(
            text, parse_mode=ParseMode.HTML, do_quote=quote, reply_markup=markup, disable_web_page_preview=True
        )
    )


async def send_all(message: Message, texts: list[str], quote: bool | None = None) -> None:
    """Reply with each of `texts`, in order."""
    for text in texts:
        await send_html(message, text, quote=quote)
