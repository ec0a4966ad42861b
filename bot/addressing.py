"""Who is asking, and whether a group message is meant for the bot (mention or reply) and what it asks."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import MessageEntityType


def asker(update: Update) -> int:
    """Who asked: the user, or the chat itself for channel posts (which have no user)."""
    user, chat = update.effective_user, update.effective_chat
    return user.id if user else (chat.id if chat else 0)


def addressed(message: Message, bot_id: int, username: str) -> tuple[bool, str]:
    """Is a group message meant for the bot (a mention of it, or a reply to it), and the question in it."""
    text = message.text or message.caption or ""
    mention = f"@{username}".lower()
    mentioned = any(
        entity.type == MessageEntityType.MENTION and message.parse_entity(entity).lower() == mention
        for entity in message.entities or ()
    )
    mentioned = mentioned or mention in text.lower()
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == bot_id
    )
    question = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE)
    return mentioned or replied, question
