"""Channel posts as corpus documents: one file per post (an edit replaces it), citing the post's t.me link."""

from __future__ import annotations

from datetime import datetime


def post_link(chat_id: int, username: str | None, message_id: int) -> str:
    """The t.me address of a channel post (the `c/` form for a private channel)."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{message_id}"


def post_document(chat_id: int, username: str | None, message_id: int, date: datetime, text: str) -> tuple[str, bytes]:
    """A channel post as a corpus document: its id (one per post, so an edit replaces it) and its file."""
    title = " ".join(text.splitlines()[0].split())[:120] or f"Post {message_id}"
    channel = username or str(chat_id).removeprefix("-100")
    header = f"title: {title}\ndate: {date.date().isoformat()}\nurl: {post_link(chat_id, username, message_id)}\n\n"
    return f"telegram/{channel}-{message_id}.txt", (header + text).encode("utf-8")
