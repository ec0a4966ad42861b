"""Channel posts as corpus documents: one file per post (an edit replaces it), citing the post's t.me link."""

from __future__ import annotations

import re
from datetime import datetime

_USERNAME = re.compile(r"[A-Za-z0-9_]{1,64}")


def _username(username: str | None) -> str | None:
    """A channel's public username as Telegram allows them (letters, digits, underscores), else None."""
    return username if username and _USERNAME.fullmatch(username) else None


def post_link(chat_id: int, username: str | None, message_id: int) -> str:
    """The t.me address of a channel post (the `c/` form for a private channel)."""
    username = _username(username)
    if username:
        return f"https://t.me/{username}/{message_id}"
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{message_id}"


def post_id(chat_id: int, username: str | None, message_id: int) -> str:
    """The corpus document of a channel post: one per post, so an edit replaces it."""
    channel = _username(username) or str(chat_id).removeprefix("-100")
    return f"telegram/{channel}-{message_id}.txt"


def post_document(chat_id: int, username: str | None, message_id: int, date: datetime, text: str) -> tuple[str, bytes]:
    """A channel post as a corpus document: its id and its file."""
    title = " ".join(text.splitlines()[0].split())[:120] or f"Post {message_id}"
    header = f"title: {title}\ndate: {date.date().isoformat()}\nurl: {post_link(chat_id, username, message_id)}\n\n"
    return post_id(chat_id, username, message_id), (header + text).encode("utf-8")
