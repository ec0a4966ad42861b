"""An admin's uploaded file, fetched from the Bot API by URL only: never read from this machine's disk."""

from __future__ import annotations

import posixpath
from urllib.parse import quote, unquote

from telegram import Bot, Document
from telegram.error import TelegramError, TimedOut

from bot.sending import with_retry


class DownloadFailed(Exception):
    """The file could not be fetched; the message says why, for the admin who sent it."""


def file_url(file_path: str | None, base_file_url: str) -> str:
    """The address to download a getFile answer's `file_path` from.

    python-telegram-bot keeps a `file_path` that names a file on this machine as it is (its "local
    mode"), so an answer holding `/etc/passwd` or `.env` would be read from disk: only a path below the
    Bot API's file address is accepted, relative, and never climbing out of it."""
    prefix = base_file_url.rstrip("/") + "/"
    if not file_path or not file_path.startswith(prefix):
        raise DownloadFailed("Telegram's answer did not name a file to download")
    relative = unquote(file_path[len(prefix) :])
    parts = relative.split("/")
    if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative or ".." in parts:
        raise DownloadFailed("Telegram's answer named a file outside its downloads")
    return prefix + quote(posixpath.normpath(relative))


async def fetch_document(document: Document, bot: Bot) -> bytes:
    """The bytes of `document`, or `DownloadFailed` with a reason an admin can act on."""
    try:
        telegram_file = await with_retry(lambda: bot.get_file(document.file_id))
        url = file_url(telegram_file.file_path, bot.base_file_url)
        data = bytes(await with_retry(lambda: bot.request.retrieve(url)))
    except TimedOut as exc:
        raise DownloadFailed("Telegram did not send the file in time") from exc
    except TelegramError as exc:
        raise DownloadFailed(f"Telegram did not send the file ({exc.message[:200]})") from exc
    if not data:
        raise DownloadFailed("Telegram sent an empty file")
    return data
