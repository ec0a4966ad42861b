"""Telegram handlers: turn updates into questions and answers into messages; nothing else."""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from telegram import InlineQueryResultArticle, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import render
from bot.addressing import addressed, asker
from bot.channels import post_document, post_id
from bot.downloads import DownloadFailed, fetch_document
from bot.sending import is_transport_error, send_all, send_html, with_retry
from bot.services import BotServices
from bot.shortcuts import suggest
from index.errors import FetchError
from index.ingest.web import corpus_file
from index.live import UPLOADABLE, Added, LiveCorpus, safe_name, unsupported_upload
from index.models import IndexStats
from index.text import clean_question

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

BUILTIN_COMMANDS = {
    "start": "Welcome and examples",
    "help": "How to ask",
    "ask": "Ask a question: /ask when does the deployment start?",
    "search": "Top passages for some words, no answer extraction",
    "source": "Full text of citation N of your last answer: /source 1",
    "new": "Start a new conversation (follow-up questions forget the previous one)",
    "forget": "Admins: remove a document from the corpus: /forget file-name.txt",
    "docs": "What the corpus holds",
    "stats": "Index size and model",
}
EXAMPLES = ("When does the deployment start?", "Où Poutine et Loukachenko se sont-ils rencontrés ?")
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
_HAS_WORD = re.compile(r"\w", re.UNICODE)


def services(context: Context) -> BotServices:
    return context.application.bot_data["services"]


async def admit(update: Update, context: Context, reply: bool = True) -> bool:
    """Allow-list and rate limit; tells the user why when refusing."""
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    key = asker(update)
    if not svc.allow.allows(user.id if user else None, chat.id if chat else None):
        log.info(
            "refused user %s in chat %s (not on the allow-list)", user.id if user else None, chat.id if chat else None
        )
        if reply and message and svc.refusals.check(key) == 0:  # say it once a minute, not to every message
            await send_html(message, "🔒 Sorry, this bot is private.")
        return False
    wait = svc.limiter.check(key)
    if wait > 0:
        if reply and message:
            await send_html(message, f"⏳ You are asking quickly — please wait {int(wait) + 1} s and try again.")
        return False
    return True


def admitted(handler: Callable[[Update, Context, Message], Awaitable[None]]) -> Handler:
    """The handlers' shared opening: a message to reply to, from someone allowed and within the rate limit."""

    @functools.wraps(handler)
    async def run(update: Update, context: Context) -> None:
        message = update.effective_message
        if message is not None and await admit(update, context):
            await handler(update, context, message)

    return run


async def _typing(context: Context, chat_id: int, delay: float) -> None:
    try:
        await asyncio.sleep(delay)
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:  # cosmetic: never let it fail the answer
        log.debug("no typing action: %s", exc)


async def respond(update: Update, context: Context, question: str, search: bool = False) -> None:
    """Answer `question` in reply to the update's message."""
    message = update.effective_message
    if message is None or not await admit(update, context):
        return
    question = clean_question(question)
    if not _HAS_WORD.search(question):
        await send_html(message, f"Ask me a question about the corpus, for example:\n<i>{EXAMPLES[0]}</i>")
        return
    # "Typing…" only when the answer is not immediate, and never in the way of the answer itself.
    typing = asyncio.create_task(_typing(context, message.chat_id, services(context).typing_delay))
    svc = services(context)
    if search:
        found = await svc.run(lambda: svc.answerer.browse(question))
        typing.cancel()
        await send_all(message, render.search_messages(found))
        return
    conversation = _conversation(update, message)
    turn = await svc.reply(question, svc.memory.get(conversation))
    typing.cancel()
    answer = turn.answer
    markup = None
    svc.memory.remember(conversation, turn)
    if answer.answered:
        markup = render.answer_buttons(svc.recent.put(message.chat_id, answer))
    await send_html(message, render.answer_message(answer), markup)


# --- messages -------------------------------------------------------------------------------------


_LINK = re.compile(r"\s*(https?://\S+)\s*", re.IGNORECASE)


async def private_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    link, live = _LINK.fullmatch(message.text), _admins_corpus(update, context)
    if link is not None and live is not None:  # an admin's link: the page joins the corpus, like an upload
        if await admit(update, context):
            await link_upload(message, context, live, link.group(1))
        return
    await respond(update, context, message.text)


async def link_upload(message: Message, context: Context, live: LiveCorpus, url: str) -> None:
    """Fetch the page (bounded; private addresses refused unless allowed), save its article and index it."""
    fetch = services(context).fetch_link
    sender = message.chat_id

    def work() -> Added:
        try:
            doc_id, data = corpus_file(fetch(url))
        except FetchError as exc:
            return Added(problem=str(exc))
        return live.save(doc_id, data, sender, label=url)

    added = await services(context).change_corpus(work)
    if added.problem:
        log.info("link not added: %s", added.problem[:300])
    await send_html(message, render.added_message(url, added))


async def group_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    meant_for_us, question = addressed(message, context.bot.id, context.bot.username)
    if meant_for_us:
        await respond(update, context, question)


# --- commands -------------------------------------------------------------------------------------


def _args(context: Context) -> str:
    return " ".join(context.args or ())


@admitted
async def start(update: Update, context: Context, message: Message) -> None:
    svc = services(context)
    examples = "\n".join(f"• <i>{html.escape(e)}</i>" for e in EXAMPLES)
    shortcuts = "".join(f"\n/{s.name} — {html.escape(s.description)}" for s in svc.shortcuts.values())
    text = (
        "👋 Ask me anything about the documents in my corpus, in English or French. I answer with the key "
        "sentence, the passage it comes from and numbered citations.\n\n"
        f"Try:\n{examples}\n\nIn groups, use /ask or mention me. /help lists everything."
        + (f"\n\nShortcuts:{shortcuts}" if shortcuts else "")
    )
    await send_html(message, text)


@admitted
async def help_command(update: Update, context: Context, message: Message) -> None:
    username = html.escape(context.bot.username or "bot")
    commands = "\n".join(f"/{name} — {html.escape(text)}" for name, text in BUILTIN_COMMANDS.items())
    text = (
        f"{commands}\n\nPrivate chat: just type a question. Groups: /ask …, mention @{username}, or reply to "
        f"one of my messages. Any chat: type <code>@{username} question</code> for inline answers."
    )
    if _admins_corpus(update, context) is not None:
        text += (
            "\n\nAdmins, in this private chat: send a file (text, PDF, Word, OpenDocument, PowerPoint, Excel, "
            "EPUB, e-mail, RTF, a scan) or a link to a web page, and it joins the corpus."
        )
    await send_html(message, text)


async def ask_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    question = _args(context)
    if not question and message.reply_to_message and message.reply_to_message.text:
        question = message.reply_to_message.text
    if not question:
        if await admit(update, context):
            await send_html(
                message, "Usage: /ask your question — for example <i>/ask when does the deployment start?</i>"
            )
        return
    await respond(update, context, question)


async def search_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if not _args(context):
        if await admit(update, context):
            await send_html(message, "Usage: /search some words")
        return
    await respond(update, context, _args(context), search=True)


def _conversation(update: Update, message: Message) -> tuple[int, int]:
    """One conversation per chat, and per user within a group: context never crosses chats or users."""
    return message.chat_id, asker(update)


@admitted
async def source_command(update: Update, context: Context, message: Message) -> None:
    turn = services(context).memory.last(_conversation(update, message))  # however old
    cited = turn.citations if turn else {}
    if not cited:
        await send_html(message, "Ask a question first; then /source N shows citation N in full.")
        return
    raw = _args(context).strip() or "1"
    number = int(raw) if raw.isdecimal() and raw.isascii() else 0  # "²" is a digit, not a number
    if number not in cited:
        low, high = min(cited), max(cited)
        await send_html(message, f"Your last answers have citations {low} to {high}: try /source {low}.")
        return
    await send_all(message, render.source_messages(cited[number]))


@admitted
async def new_command(update: Update, context: Context, message: Message) -> None:
    services(context).memory.forget(_conversation(update, message))
    await send_html(message, "🆕 New conversation: your next question is read on its own.")


@admitted
async def docs_command(update: Update, context: Context, message: Message) -> None:
    await _reply_with_stats(context, message, lambda stats: render.docs_messages(stats.docs))


@admitted
async def stats_command(update: Update, context: Context, message: Message) -> None:
    await _reply_with_stats(context, message, lambda stats: [render.stats_message(stats)])


async def _reply_with_stats(context: Context, message: Message, show: Callable[[IndexStats], list[str]]) -> None:
    svc = services(context)
    stats = await svc.run(svc.answerer.stats)
    await send_all(message, show(stats))


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
    if not await admit(update, context):
        return
    known = list(BUILTIN_COMMANDS) + list(services(context).shortcuts)
    guess = suggest(name, known)
    hint = f"Did you mean /{guess}?" if guess else "Try /help to see what I can do."
    await send_html(message, f"Unknown command /{html.escape(name[:64])}. {hint}")


# --- documents from admins -------------------------------------------------------------------------


def _admins_corpus(update: Update, context: Context) -> LiveCorpus | None:
    """The corpus this bot may change, if the sender is one of its admins."""
    svc, user = services(context), update.effective_user
    return svc.live if user is not None and user.id in svc.admins else None


async def group_upload(update: Update, context: Context) -> None:
    """An admin's file in a group is not added (anyone there could send one): say where it would be."""
    message = update.effective_message
    if message is None or _admins_corpus(update, context) is None:
        return
    await send_html(message, "📄 To add a document, send it to me in a private chat.")


async def document_upload(update: Update, context: Context) -> None:
    """An admin sends a file in private: it joins the corpus under a safe name and is indexed at once."""
    message = update.effective_message
    if message is None or message.document is None or not await admit(update, context):
        return
    live = _admins_corpus(update, context)
    if live is None:
        await send_html(message, "🔒 Only admins can add documents.")  # and the file is never fetched
        return
    document = message.document
    name = document.file_name or "document.txt"
    if document.file_size is not None and document.file_size > live.max_bytes:
        await send_html(message, render.added_message(name, Added(problem=f"larger than {live.max_bytes / 1e6:g} MB")))
        return
    if not safe_name(name).endswith(UPLOADABLE):
        await send_html(message, render.added_message(name, Added(problem=unsupported_upload())))
        return
    try:
        data = await fetch_document(document, context.bot)
    except DownloadFailed as exc:
        log.warning("upload of %r not downloaded: %s", name[:200], exc)
        await send_html(message, render.added_message(name, Added(problem=str(exc))))
        return
    sender = message.chat_id
    added = await services(context).change_corpus(lambda: live.add(name, data, sender))
    await send_html(message, render.added_message(name, added))


@admitted
async def forget_command(update: Update, context: Context, message: Message) -> None:
    live = _admins_corpus(update, context)
    if live is None:
        await send_html(message, "🔒 Only admins can remove documents.")
        return
    doc_id = _args(context).strip()
    if not doc_id:
        await send_html(message, "Usage: /forget file-name.txt or /forget its title (as /docs lists them)")
        return
    removed = await services(context).change_corpus(lambda: live.remove(doc_id))
    if removed is None:
        text = f"No document {render.file_name(doc_id)} in the corpus: /docs lists them (title or file name)."
    else:
        text = f"🗑 Removed <b>{render.escaped_clip(removed.title, 300)}</b> ({render.file_name(removed.doc_id)})."
    await send_html(message, text)


async def channel_post_ingest(update: Update, context: Context) -> None:
    """A text post (or caption) in a listed channel becomes a document citing the post; an edit replaces it."""
    post = update.channel_post or update.edited_channel_post
    svc = services(context)
    if post is None or svc.live is None or post.chat.id not in svc.ingest_channels:
        return
    text = (post.text or post.caption or "").strip()
    live = svc.live
    if not text:
        if update.edited_channel_post is not None:  # edited down to nothing: the post no longer says anything
            doc_id = post_id(post.chat.id, post.chat.username, post.message_id)
            removed = await svc.change_corpus(lambda: live.remove(doc_id))
            log.info("channel post %s/%s emptied: %s", post.chat.id, post.message_id, "removed" if removed else "none")
        return
    doc_id, data = post_document(post.chat.id, post.chat.username, post.message_id, post.date, text)
    # On disk before the update is acknowledged; indexed with the next refresh, which a burst shares.
    indexed = await svc.change_corpus(lambda: live.put(doc_id, data))

    def logged(done: Future[Added]) -> None:
        problem = done.exception() or done.result().problem
        log.info("channel post %s/%s as %s: %s", post.chat.id, post.message_id, doc_id, problem or "indexed")

    indexed.add_done_callback(logged)


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
    answer = svc.recent.get(key, chat.id if chat else None)
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
    results: list[InlineQueryResultArticle] = []
    # Inline queries arrive as the user types: their own, larger allowance, never the questions'.
    allowed = svc.allow.allows(query.from_user.id, None) and svc.inline_limiter.check(query.from_user.id) == 0
    if allowed and _HAS_WORD.search(question):
        results = render.inline_results(await svc.ask(question))
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
    text = render.error_text(error)
    if isinstance(update, Update):
        if update.callback_query is not None:
            try:
                await update.callback_query.answer("Sorry, something went wrong.")
            except Exception:  # the query may already be answered or too old
                log.debug("could not answer callback query after error", exc_info=True)
        message = update.effective_message
        if message is not None:
            try:
                await send_html(message, text)
            except Exception:
                log.warning("could not send the apology", exc_info=True)
