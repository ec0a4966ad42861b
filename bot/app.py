"""Build the python-telegram-bot `Application` from settings, and run it (polling or webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import secrets
import threading
from collections.abc import Callable
from typing import IO

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import handlers, render
from bot.access import AllowList, RateLimiter
from bot.sending import with_retry
from bot.services import BotServices
from bot.settings import BotSettings
from bot.shortcuts import load_shortcuts
from index.answer.answerer import QuestionAnswerer
from index.answer.conversation import Memory
from index.errors import ConfigError
from index.ingest.web import Fetched, default_fetcher
from index.live import LiveCorpus
from index.settings import Settings

log = logging.getLogger(__name__)
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{6,}")


class RedactingFilter(logging.Filter):
    """Replaces the bot token (and anything shaped like one) in log records, tracebacks included."""

    def __init__(self, *hidden: str) -> None:
        super().__init__()
        self._secrets = [secret for secret in hidden if secret]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<secret>" if not _TOKEN_SHAPE.fullmatch(secret) else "<token>")
        return _TOKEN_SHAPE.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def log_handler(*hidden: str, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler that never writes the token (or any other secret given)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(*hidden))
    return handler


def webhook_secret(settings: BotSettings) -> str:
    """The configured webhook secret, or a random one for this run: a webhook is never left open."""
    configured = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    return configured.strip() or secrets.token_urlsafe(32)


def configure_logging(level: str, settings: BotSettings, *hidden: str) -> None:
    """Log to stderr with the token and `hidden` values redacted; httpx request lines (which carry the URL) silenced."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    root = logging.getLogger()
    root.handlers[:] = [log_handler(token, *hidden)]
    root.setLevel(level.upper())
    quiet_http_logs()


def quiet_http_logs() -> None:
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def build_application(
    settings: BotSettings,
    answerer: QuestionAnswerer,
    follow_up_minutes: float = Settings.model_fields["follow_up_minutes"].default,
    live: LiveCorpus | None = None,
    fetch_link: Callable[[str], Fetched] | None = None,
) -> Application:
    """The bot, wired to `answerer`; `settings` gives the token, API URL, access rules and shortcuts."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and put it in .env.")
    quiet_http_logs()
    shortcuts = {s.name: s for s in load_shortcuts(settings.shortcuts_file)}
    clash = set(shortcuts) & set(handlers.BUILTIN_COMMANDS)
    if clash:
        raise ConfigError(f"Shortcut names clash with built-in commands: {', '.join(sorted(clash))}")
    services = BotServices(
        answerer=answerer,
        allow=AllowList.of(settings.allowed_user_ids, settings.allowed_chat_ids),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        inline_limiter=RateLimiter(settings.rate_limit_per_minute * 5),
        shortcuts=shortcuts,
        typing_delay=settings.telegram_typing_delay,
        memory=Memory(follow_up_minutes * 60),
        admins=frozenset(settings.admin_user_ids),
        live=live,
        fetch_link=fetch_link or default_fetcher(allow_private=settings.fetch_private_hosts),
        ingest_channels=frozenset(settings.ingest_channel_ids),
    )

    background: set[asyncio.Task[None]] = set()

    async def tell_interrupted_uploads(live: LiveCorpus) -> None:
        """Tell the senders of uploads a killed bot never confirmed what became of them, once the folder
        is caught up on (in the background: the bot answers meanwhile)."""
        if live.caught_up is not None:
            with contextlib.suppress(Exception):  # logged where it happened; the journal still says what is known
                await asyncio.wrap_future(live.caught_up)
        for upload, added in live.interrupted_uploads():
            text = render.added_message(upload.name, added, after_restart=True)
            try:
                await with_retry(
                    functools.partial(application.bot.send_message, upload.sender, text, parse_mode="HTML")
                )
            except Exception:
                log.warning("could not tell %s about an interrupted upload", upload.sender, exc_info=True)

    async def post_init(application: Application) -> None:
        if live is not None:
            task = asyncio.get_running_loop().create_task(tell_interrupted_uploads(live))
            background.add(task)
            task.add_done_callback(background.discard)
        commands = [BotCommand(name, text[:256]) for name, text in handlers.BUILTIN_COMMANDS.items()]
        commands += [BotCommand(s.name, s.description) for s in shortcuts.values()]
        try:
            await with_retry(lambda: application.bot.set_my_commands(commands))
        except Exception:
            log.warning("could not register the command list", exc_info=True)

    async def post_shutdown(application: Application) -> None:
        for task in list(background):
            task.cancel()
        services.workers.shutdown(wait=False, cancel_futures=True)
        services.corpus_workers.shutdown(wait=False, cancel_futures=True)

    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .concurrent_updates(64)
        .connect_timeout(settings.telegram_timeout)
        .read_timeout(settings.telegram_timeout)
        .write_timeout(settings.telegram_timeout)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["services"] = services

    messages = filters.UpdateType.MESSAGE
    commands_anywhere = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    application.add_handler(CommandHandler("start", handlers.start, filters=messages))
    application.add_handler(CommandHandler("help", handlers.help_command, filters=messages))
    application.add_handler(CommandHandler("ask", handlers.ask_command, filters=commands_anywhere))
    application.add_handler(CommandHandler("search", handlers.search_command, filters=commands_anywhere))
    application.add_handler(CommandHandler("source", handlers.source_command, filters=messages))
    application.add_handler(CommandHandler(["new", "reset"], handlers.new_command, filters=messages))
    application.add_handler(CommandHandler("forget", handlers.forget_command, filters=messages))
    application.add_handler(
        MessageHandler(messages & filters.ChatType.PRIVATE & filters.Document.ALL, handlers.document_upload)
    )
    application.add_handler(
        MessageHandler(messages & filters.ChatType.GROUPS & filters.Document.ALL, handlers.group_upload)
    )
    posts = filters.UpdateType.CHANNEL_POSTS & ~filters.COMMAND  # an edit to no text at all removes the post
    application.add_handler(MessageHandler(posts, handlers.channel_post_ingest))
    application.add_handler(CommandHandler("docs", handlers.docs_command, filters=messages))
    application.add_handler(CommandHandler("stats", handlers.stats_command, filters=messages))
    if shortcuts:
        application.add_handler(CommandHandler(list(shortcuts), handlers.shortcut_command, filters=commands_anywhere))
    application.add_handler(MessageHandler(messages & filters.COMMAND, handlers.unknown_command))
    application.add_handler(
        MessageHandler(messages & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.private_text)
    )
    application.add_handler(
        MessageHandler(messages & filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, handlers.group_text)
    )
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_error_handler(handlers.on_error)
    return application


def serve(core: Settings, settings: BotSettings) -> int:
    """`corpusbot serve`: load the model and index, then poll (or listen for webhooks) until stopped."""
    from index.answer.answerer import build
    from index.search.relevance import prepare_word_frequencies

    secret = webhook_secret(settings) if settings.telegram_webhook_url else ""
    configure_logging(core.log_level, settings, secret)
    components = build(core)
    answerer = components.answerer()
    answerer.retriever.reload()  # load the index now: fail fast, and make the first answer quick
    answerer.ask("warm up")
    live = components.live(answerer)
    if core.watch_corpus:
        live.catch_up_soon()  # what landed in the folder while no bot was running, indexed while answering
        live.start_watching()
        components.feed_poller(live.put).start()  # FEEDS, every FEED_MINUTES, in a thread of their own
    fetch_link = components.fetcher(allow_private=settings.fetch_private_hosts)
    application = build_application(settings, answerer, core.follow_up_minutes, live, fetch_link)
    # wordfreq's own tables (~0.6 s), in the background once everything else has started: the first answer
    # does not wait for them (a question whose words the cached lists hold never needs them)
    threading.Thread(target=prepare_word_frequencies, name="word-frequencies", daemon=True).start()
    if settings.telegram_webhook_url:
        log.info("webhook mode on %s:%s", settings.telegram_webhook_listen, settings.telegram_webhook_port)
        if not settings.telegram_webhook_secret:
            log.info("TELEGRAM_WEBHOOK_SECRET is empty: registered a random secret for this run")
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path="telegram",
            webhook_url=settings.telegram_webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("polling %s", "the Bot API")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
