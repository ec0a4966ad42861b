"""Telegram handlers: turn updates into questions and answers into messages; nothing else."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot import render
from bot.services import BotServices
from bot.shortcuts import suggest
from index.errors import CorpusbotError
from index.models import Answer, IndexStats
from index.text import clean_question

log = logging.getLogger(__name__)
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE

BUILTIN_COMMANDS = {
    "start": "Welcome and examples",
    "help": "How to ask",
    "ask": "Ask a question: /ask when does the deployment start?",
    "search": "Top passages for some words, no answer extraction",
    "source": "Full text of citation N of your last answer: /source 1",
    "docs": "What the corpus holds",
    "stats": "Index size and model",
}
EXAMPLES = ("When does the deployment start?", "Où Poutine et Loukachenko se sont-ils rencontrés ?")
_HAS_WORD = re.compile(r"\w", re.UNICODE)


def services(context: Context) -> BotServices:
    return context.application.bot_data["services"]


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_transport_error(error: object) -> bool:
    """A failure to talk to Telegram (5xx, refused, dropped, timed out), not Telegram saying no."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def with_retry(call: Callable[[], Awaitable[T]], attempts: int = 4, backoff: float = 0.5) -> T:
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
            wait = backoff * 2**attempt
            log.warning("Bot API call failed (%s): retrying in %.1f s", exc, wait)
            await asyncio.sleep(wait)
    return await call()


async def send_html(message: Message, text: str, quote: bool, markup: InlineKeyboardMarkup | None = None) -> Message:
    return await with_retry(
        lambda: message.reply_text(
            text, parse_mode=ParseMode.HTML, do_quote=quote, reply_markup=markup, disable_web_page_preview=True
        )
    )


async def send_all(message: Message, texts: list[str], quote: bool) -> None:
    for text in texts:
        await send_html(message, text, quote)


def _quote(message: Message) -> bool:
    return message.chat.type != ChatType.PRIVATE


async def _admitted(update: Update, context: Context, reply: bool = True) -> bool:
    """Allow-list and rate limit; tells the user why when refusing."""
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    key = _asker(update)
    if not svc.allow.allows(user.id if user else None, chat.id if chat else None):
        log.info(
            "refused user %s in chat %s (not on the allow-list)", user.id if user else None, chat.id if chat else None
        )
        if reply and message and svc.refusals.check(key) == 0:  # say it once a minute, not to every message
            await send_html(message, "🔒 Sorry, this bot is private.", _quote(message))
        return False
    wait = svc.limiter.check(key)
    if wait > 0:
        if reply and message:
            await send_html(
                message, f"⏳ You are asking quickly — please wait {int(wait) + 1} s and try again.", _quote(message)
            )
        return False
    return True


async def _typing(context: Context, chat_id: int, delay: float) -> None:
    try:
        await asyncio.sleep(delay)
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:  # cosmetic: never let it fail the answer
        log.debug("no typing action: %s", exc)


async def respond(update: Update, context: Context, question: str, search: bool = False) -> None:
    """Answer `question` in reply to the update's message."""
    message = update.effective_message
    if message is None or not await _admitted(update, context):
        return
    question = clean_question(question)
    if not _HAS_WORD.search(question):
        await send_html(
            message, f"Ask me a question about the corpus, for example:\n<i>{EXAMPLES[0]}</i>", _quote(message)
        )
        return
    # "Typing…" only when the answer is not immediate, and never in the way of the answer itself.
    typing = asyncio.create_task(_typing(context, message.chat_id, services(context).typing_delay))
    svc = services(context)
    if search:
        passages = await svc.run(lambda: svc.answerer.search(question))
        typing.cancel()
        await send_all(message, render.passages_messages(passages), _quote(message))
        return
    answer = await svc.ask(question)
    typing.cancel()
    markup = None
    if answer.answered:
        if context.chat_data is not None:  # per chat, and per user within it: /source never crosses chats
            context.chat_data.setdefault("last_answers", {})[_asker(update)] = answer
        key = svc.recent.put(answer)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("More sources", callback_data=f"more:{key}"),
                    InlineKeyboardButton("Full passage", callback_data=f"full:{key}"),
                ]
            ]
        )
    await send_html(message, render.answer_message(answer), _quote(message), markup)


# --- messages -------------------------------------------------------------------------------------


async def private_text(update: Update, context: Context) -> None:
    if update.effective_message and update.effective_message.text:
        await respond(update, context, update.effective_message.text)


def _addressed(message: Message, bot_id: int, username: str) -> tuple[bool, str]:
    """Is a group message meant for the bot (mention or reply to it), and the question in it."""
    text = message.text or message.caption or ""
    mention = f"@{username}".lower()
    mentioned = False
    for entity in message.entities or ():
        if entity.type == MessageEntityType.MENTION and message.parse_entity(entity).lower() == mention:
            mentioned = True
    if not mentioned and mention in text.lower():
        mentioned = True
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and (message.reply_to_message.from_user.id == bot_id)
    )
    question = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE)
    return mentioned or replied, question


async def group_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    addressed, question = _addressed(message, context.bot.id, context.bot.username)
    if addressed:
        await respond(update, context, question)


# --- commands -------------------------------------------------------------------------------------


def _args(context: Context) -> str:
    return " ".join(context.args or ())


async def start(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not await _admitted(update, context):
        return
    svc = services(context)
    examples = "\n".join(f"• <i>{html.escape(e)}</i>" for e in EXAMPLES)
    shortcuts = "".join(f"\n/{s.name} — {html.escape(s.description)}" for s in svc.shortcuts.values())
    text = (
        "👋 Ask me anything about the documents in my corpus, in English or French. I answer with the key "
        "sentence, the passage it comes from and numbered citations.\n\n"
        f"Try:\n{examples}\n\nIn groups, use /ask or mention me. /help lists everything."
        + (f"\n\nShortcuts:{shortcuts}" if shortcuts else "")
    )
    await send_html(message, text, _quote(message))


async def help_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not await _admitted(update, context):
        return
    username = html.escape(context.bot.username or "bot")
    commands = "\n".join(f"/{name} — {html.escape(text)}" for name, text in BUILTIN_COMMANDS.items())
    text = (
        f"{commands}\n\nPrivate chat: just type a question. Groups: /ask …, mention @{username}, or reply to "
        f"one of my messages. Any chat: type <code>@{username} question</code> for inline answers."
    )
    await send_html(message, text, _quote(message))


async def ask_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    question = _args(context)
    if not question and message.reply_to_message and message.reply_to_message.text:
        question = message.reply_to_message.text
    if not question:
        if await _admitted(update, context):
            await send_html(
                message,
                "Usage: /ask your question — for example <i>/ask when does the deployment start?</i>",
                _quote(message),
            )
        return
    await respond(update, context, question)


async def search_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if not _args(context):
        if await _admitted(update, context):
            await send_html(message, "Usage: /search some words", _quote(message))
        return
    await respond(update, context, _args(context), search=True)


def _asker(update: Update) -> int:
    """Who asked: the user, or the chat itself for channel posts (which have no user)."""
    user, chat = update.effective_user, update.effective_chat
    return user.id if user else (chat.id if chat else 0)


def _last_answer(update: Update, context: Context) -> Answer | None:
    """The last answer given to this user in this chat."""
    answers = (context.chat_data or {}).get("last_answers", {})
    answer = answers.get(_asker(update))
    return answer if isinstance(answer, Answer) else None


async def source_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not await _admitted(update, context):
        return
    answer = _last_answer(update, context)
    if answer is None:
        await send_html(message, "Ask a question first; then /source N shows citation N in full.", _quote(message))
        return
    raw = _args(context).strip() or "1"
    number = int(raw) if raw.isdecimal() and raw.isascii() else 0  # "²" is a digit, not a number
    if not 1 <= number <= len(answer.citations):
        await send_html(
            message, f"Your last answer has citations 1 to {len(answer.citations)}: try /source 1.", _quote(message)
        )
        return
    await send_all(message, render.source_messages(answer.citations[number - 1]), _quote(message))


async def docs_command(update: Update, context: Context) -> None:
    await _reply_with_stats(update, context, lambda stats: render.docs_messages(stats.docs))


async def stats_command(update: Update, context: Context) -> None:
    await _reply_with_stats(update, context, lambda stats: [render.stats_message(stats)])


async def _reply_with_stats(update: Update, context: Context, show: Callable[[IndexStats], list[str]]) -> None:
    message = update.effective_message
    if message is None or not await _admitted(update, context):
        return
    svc = services(context)
    stats = await svc.run(svc.answerer.stats)
    await send_all(message, show(stats), _quote(message))


async def shortcut_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    name = message.text.split()[0][1:].split("@")[0].lower()
    shortcut = services(context).shortcuts.get(name)
    if shortcut is not None:
        await respond(update, context, shortcut.text, search=shortcut.kind == "search")


async def unknown_command(update: Update, context: Context) -> None:
    """A command nobody handled: suggest the closest one (in groups, only when addressed to us)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split()[0][1:]
    name, _, target = word.partition("@")
    if message.chat.type != ChatType.PRIVATE and target.lower() != (context.bot.username or "").lower():
        return
    if not await _admitted(update, context):
        return
    known = list(BUILTIN_COMMANDS) + list(services(context).shortcuts)
    guess = suggest(name, known)
    hint = f"Did you mean /{guess}?" if guess else "Try /help to see what I can do."
    await send_html(message, f"Unknown command /{html.escape(name[:64])}. {hint}", _quote(message))


# --- buttons and inline mode ----------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    chat = query.message.chat if isinstance(query.message, Message) else None
    if not svc.allow.allows(query.from_user.id, chat.id if chat else None):
        await with_retry(lambda: query.answer("🔒 Sorry, this bot is private."))
        return
    wait = svc.limiter.check(query.from_user.id)
    if wait > 0:
        await with_retry(lambda: query.answer(f"⏳ Please wait {int(wait) + 1} s and try again."))
        return
    action, _, key = (query.data or "").partition(":")
    answer = svc.recent.get(key)
    if answer is None or action not in {"more", "full"}:
        await with_retry(lambda: query.answer("This answer has expired — please ask again."))
        return
    await with_retry(lambda: query.answer())
    message = query.message
    if not isinstance(message, Message):
        return
    if action == "more":
        texts = render.citation_messages(answer.citations, header=f"Sources for: {answer.question}")
    else:
        texts = render.source_messages(answer.citations[0])
    await send_all(message, texts, quote=True)


async def inline_query(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    svc = services(context)
    question = clean_question(query.query)
    results: list[Any] = []
    # Inline queries arrive as the user types: their own, larger allowance, never the questions'.
    allowed = svc.allow.allows(query.from_user.id, None) and svc.inline_limiter.check(query.from_user.id) == 0
    if allowed and _HAS_WORD.search(question):
        answer = await svc.ask(question)
        if not answer.answered:
            results.append(
                InlineQueryResultArticle(
                    id="none",
                    title="Nothing relevant found",
                    description=question[:100],
                    input_message_content=InputTextMessageContent(
                        f"{render.NOTHING_FOUND}\n<i>{render.escaped_clip(question, 500)}</i>",
                        parse_mode=ParseMode.HTML,
                    ),
                )
            )
        for citation in answer.citations[:3]:
            single = Answer(
                answer.question,
                True,
                answer.sentences if citation.number == 1 else (citation.passage[:300],),
                (citation,),
            )
            results.append(
                InlineQueryResultArticle(
                    id=str(citation.number),
                    title=(answer.text if citation.number == 1 else citation.passage)[:100] or citation.title,
                    description=f"[{citation.number}] {citation.title} — {citation.date} — {citation.position}"[:200],
                    input_message_content=InputTextMessageContent(
                        render.answer_message(single), parse_mode=ParseMode.HTML
                    ),
                )
            )
    await with_retry(lambda: query.answer(results, cache_time=10, is_personal=True))


# --- errors ---------------------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    """The one error handler: the log gets the traceback, the user a short apology."""
    error = context.error
    log.error("error while handling an update", exc_info=error)
    if is_transport_error(error):
        # Talking to Telegram failed (after retries), or timed out when the answer may well have
        # arrived: an apology would fail too, or follow an answer the user already has.
        return
    text = (
        f"⚠️ {html.escape(error.friendly)}"
        if isinstance(error, CorpusbotError)
        else "⚠️ Sorry, something went wrong while answering. Please try again."
    )
    if isinstance(update, Update):
        if update.callback_query is not None:
            try:
                await update.callback_query.answer("Sorry, something went wrong.")
            except Exception:  # the query may already be answered or too old
                log.debug("could not answer callback query after error", exc_info=True)
        message = update.effective_message
        if message is not None:
            try:
                await send_html(message, text, _quote(message))
            except Exception:
                log.warning("could not send the apology", exc_info=True)
