"""Turn answers, passages and errors into Telegram messages, buttons and inline results (HTML, ≤ 4096 chars)."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlparse

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent
from telegram.constants import ParseMode

from index import errors
from index.live import Added
from index.models import Answer, AnswerStatus, Citation, DocumentInfo, IndexStats, Search

MAX_MESSAGE = 4096
QUOTE_LIMIT = 700
NOTHING_FOUND = "🤷 Nothing relevant found in the corpus for this question."
NO_PREVIOUS = "Ask a question first: <i>more</i> continues your last answer."
NO_MORE = "That was everything I found on it."


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def clip(text: str, limit: int, pointer: str = "") -> str:
    """`text` cut at a word boundary to at most `limit` characters, ending with '…' and `pointer`."""
    if len(text) <= limit:
        return text
    budget = max(limit - len(pointer) - 1, 0)
    cut = text.rfind(" ", 0, budget)
    cut = cut if cut > budget // 2 else budget
    return text[:cut].rstrip() + "…" + pointer


def escaped_clip(text: str, limit: int, pointer: str = "") -> str:
    """`text` clipped so that its *escaped* form is at most `limit` characters, then escaped."""
    size = limit
    while True:
        escaped = escape(clip(text, size, pointer))
        if len(escaped) <= limit or size <= len(pointer) + 1:
            return escaped if len(escaped) <= limit else escape("…")
        size = max(len(pointer) + 1, min(size - 1, size * limit // len(escaped)))


def file_name(name: str) -> str:
    """A file name someone sent, fit to echo: no control or direction-override characters, clipped."""
    visible = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf"})
    return escaped_clip(" ".join(visible.split()) or "document", 120)


def link(title: str, url: str) -> str:
    safe_title = escaped_clip(title or "Untitled", 300)
    parsed = urlparse(url) if url and len(url) <= 1000 else None
    if parsed and parsed.scheme in {"http", "https"} and parsed.netloc:
        return f'<a href="{html.escape(url, quote=True)}">{safe_title}</a>'
    return safe_title


def citation_line(number: int, title: str, date: str, location: str, url: str) -> str:
    parts = [f"[{number}] {link(title, url)}"]
    if date:
        parts.append(escaped_clip(date, 40))
    parts.append(escaped_clip(location, 80))
    return " — ".join(parts)


def _excerpt(passage: str, key: str, limit: int) -> str:
    """A window of `passage` around its key sentence, at most about `limit` characters."""
    if len(passage) <= limit:
        return passage
    at = passage.find(key[:60]) if key else -1
    start = max(0, min(at, len(passage) - limit)) if at >= 0 else 0
    return ("…" if start else "") + passage[start:]


def about_line(answer: Answer) -> str:
    """The discreet line saying a follow-up was read with the earlier question ("" when it was not)."""
    if not answer.about:
        return ""
    label = "more on" if answer.continuation else "about"
    return f"<i>↪ {label}: {escaped_clip(answer.about, 200)}</i>\n"


def answer_message(answer: Answer, quote_limit: int = QUOTE_LIMIT) -> str:
    """The main reply: key sentence in bold, a quoted excerpt, numbered citations."""
    if answer.status is AnswerStatus.NOTHING_TO_CONTINUE:
        return NO_PREVIOUS
    if answer.status is AnswerStatus.NO_MORE:
        return f"{about_line(answer)}{NO_MORE}"
    if answer.status is AnswerStatus.REFUSED:
        return f"{about_line(answer)}{NOTHING_FOUND}"
    best = answer.citations[0]
    first = best.number
    key_limit, citations = 1200, list(answer.citations)
    while True:
        lines = "\n".join(citation_line(c.number, c.title, c.date, c.location, c.url) for c in citations)
        key = escaped_clip(answer.text, key_limit, f" (see /source {first})")
        excerpt_source = _excerpt(best.passage, answer.sentences[0] if answer.sentences else "", quote_limit)
        excerpt = escaped_clip(excerpt_source, quote_limit, f" (/source {first})")
        message = f"{about_line(answer)}<b>{key}</b>\n\n<blockquote>{excerpt}</blockquote>\n\n{lines}"
        if len(message) <= MAX_MESSAGE:
            return message
        if len(citations) > 1:
            citations.pop()
        else:
            key_limit, quote_limit = key_limit // 2, quote_limit // 2


def citation_messages(citations: Sequence[Citation], header: str = "") -> list[str]:
    """Each citation with its whole passage; split on passage boundaries, long passages trimmed."""
    blocks = [escaped_clip(header, 500)] if header else []
    for c in citations:
        head = citation_line(c.number, c.title, c.date, c.location, c.url)
        room = MAX_MESSAGE - len(head) - len("\n<blockquote></blockquote>")
        body = escaped_clip(c.passage, min(room, 3000), f" (full text: /source {c.number})")
        blocks.append(f"{head}\n<blockquote>{body}</blockquote>")
    return pack(blocks)


def source_messages(citation: Citation) -> list[str]:
    """The full text of one citation, over as many messages as it takes."""
    head = citation_line(citation.number, citation.title, citation.date, citation.location, citation.url)
    pieces = split_text(citation.passage, MAX_MESSAGE - len(head) - 80)
    messages = []
    for i, piece in enumerate(pieces):
        prefix = head if i == 0 else f"[{citation.number}] (continued {i + 1}/{len(pieces)})"
        messages.append(f"{prefix}\n<blockquote>{escape(piece)}</blockquote>")
    return messages


BELOW_THE_BAR = "⚠️ Nothing passes the relevance bar: the closest passages, which do not answer it."


def search_messages(search: Search) -> list[str]:
    if not search.passages:
        return [NOTHING_FOUND]
    blocks = [] if search.relevant else [BELOW_THE_BAR]
    for number, p in enumerate(search.passages, start=1):
        head = citation_line(number, p.title, p.date, p.location, p.url)
        blocks.append(f"{head}\n<blockquote>{escaped_clip(p.text, 1200)}</blockquote>")
    return pack(blocks)


def split_text(text: str, limit: int) -> list[str]:
    """Cut plain text into pieces whose *escaped* length is at most `limit`, at spaces when possible."""
    pieces = []
    rest = text
    while rest:
        size = min(len(rest), limit)
        while len(escape(rest[:size])) > limit:
            size = max(1, size * limit // len(escape(rest[:size])) - 1)
        if size < len(rest):
            cut = rest.rfind(" ", 0, size)
            size = cut if cut > size // 2 else size
        pieces.append(rest[:size])
        rest = rest[size:]
        if rest.startswith(" "):  # the space we cut at
            rest = rest[1:]
    return pieces or [""]


def pack(blocks: Sequence[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join HTML blocks into as few messages as possible without splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


def passage_count(count: int) -> str:
    return "1 passage" if count == 1 else f"{count} passages"


def docs_messages(docs: Sequence[DocumentInfo]) -> list[str]:
    if not docs:
        return ["The corpus is empty."]
    lines = [f"📚 <b>{len(docs)} document(s)</b>"]
    lines += [
        f"• {link(d.title, d.url)} — {escaped_clip(d.date or 'no date', 40)} ({passage_count(d.chunks)}), "
        f"<code>{escaped_clip(d.doc_id, 200)}</code>"
        for d in docs
    ]
    return pack(lines)


def stats_message(stats: IndexStats) -> str:
    return (
        f"📊 <b>Index</b>\n{stats.documents} document(s), {stats.chunks} passages\n"
        f"Model: <code>{escape(stats.model)}</code> ({stats.dimension} dimensions)\n"
        f"Chunks: {stats.chunk_size} characters, overlap {stats.chunk_overlap}\n"
        f"Store: {escape(stats.store)}\n"
        f"Relevance bar: {stats.relevance_bar:.2f}"
        + (" (derived by this index)" if stats.bar_derived else "")
        + "".join(f", {bar:.2f} in {language.upper()}" for language, bar in stats.language_bars)
        + f", {stats.other_language_bar:.2f} across languages"
        + "".join(f" ({bar:.2f} asked in {language.upper()})" for language, bar in stats.other_language_bars)
    )


def added_message(name: str, added: Added, after_restart: bool = False) -> str:
    """The reply to an uploaded document: what was indexed, or why nothing was (`after_restart`: told
    by the next bot process, the one that received it having stopped before it could answer)."""
    if added.document is None:
        return f"❌ Not added: {file_name(name)} — {escaped_clip(added.problem, 500)}. Nothing was added."
    if after_restart:
        doc = added.document
        return (
            f"✅ {file_name(name)}, sent before the bot restarted, was added as <code>{escape(doc.doc_id)}</code> "
            f"({passage_count(doc.chunks)}). It can be asked about now."
        )
    doc = added.document
    date = f", {escape(doc.date)}" if doc.date else ""
    return (
        f"✅ Added <b>{escaped_clip(doc.title or doc.doc_id, 300)}</b>{date}: {passage_count(doc.chunks)}, "
        f"as <code>{escape(doc.doc_id)}</code>. It can be asked about now."
    )


def answer_buttons(key: str) -> InlineKeyboardMarkup:
    """The buttons under an answer; `key` finds the answer again when one is pressed."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("More sources", callback_data=f"more:{key}"),
                InlineKeyboardButton("Full passage", callback_data=f"full:{key}"),
            ]
        ]
    )


def inline_results(answer: Answer) -> list[InlineQueryResultArticle]:
    """Inline-mode results: the answer with its first citation, then the next two citations on their own."""
    if not answer.answered:
        return [
            InlineQueryResultArticle(
                id="none",
                title="Nothing relevant found",
                description=answer.question[:100],
                input_message_content=InputTextMessageContent(
                    f"{NOTHING_FOUND}\n<i>{escaped_clip(answer.question, 500)}</i>", parse_mode=ParseMode.HTML
                ),
            )
        ]
    results = []
    for position, citation in enumerate(answer.citations[:3]):
        first = position == 0
        single = Answer(answer.question, True, answer.sentences if first else (citation.passage[:300],), (citation,))
        results.append(
            InlineQueryResultArticle(
                id=str(citation.number),
                title=(answer.text if first else citation.passage)[:100] or citation.title,
                description=f"[{citation.number}] {citation.title} — {citation.date} — {citation.location}"[:200],
                input_message_content=InputTextMessageContent(answer_message(single), parse_mode=ParseMode.HTML),
            )
        )
    return results


# What a chat user can do about each failure: they cannot run commands on the bot's machine.
_ERROR_TEXTS: dict[type[errors.CorpusbotError], str] = {
    errors.IndexNotBuiltError: "The corpus has not been indexed yet. Please tell the bot's administrator.",
    errors.IndexOutdatedError: "The index needs an update after an upgrade. Please tell the bot's administrator.",
    errors.IndexDamagedError: "The search index cannot be read right now. Please tell the bot's administrator.",
    errors.ModelMismatchError: "The bot is misconfigured (index and model differ). Please tell its administrator.",
    errors.IndexBusyError: "The index is being updated. Please try again in a minute.",
    errors.StoreUnavailableError: "The search index is temporarily unavailable. Please try again in a minute.",
}


def error_text(error: object) -> str:
    """The line a chat user reads when answering failed (details go to the log, not to the chat)."""
    for kind, text in _ERROR_TEXTS.items():
        if isinstance(error, kind):
            return f"⚠️ {escape(text)}"
    return "⚠️ Sorry, something went wrong while answering. Please try again."
