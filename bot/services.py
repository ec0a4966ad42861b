"""What the handlers share: the answerer, access rules, shortcuts, conversations, recent answers, workers."""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from bot.access import AllowList, RateLimiter
from bot.shortcuts import Shortcut
from index.answer.answerer import QuestionAnswerer
from index.answer.conversation import Memory, Turn
from index.ingest.web import Fetched, default_fetcher
from index.live import LiveCorpus
from index.models import Answer

T = TypeVar("T")
MAX_QUESTION = 1000


class RecentAnswers:
    """The last answers, by short key, for the inline buttons (bounded, oldest dropped first)."""

    def __init__(self, capacity: int = 2000) -> None:
        self._items: OrderedDict[str, tuple[int, Answer]] = OrderedDict()
        self._capacity = capacity

    def put(self, chat_id: int, answer: Answer) -> str:
        """Keep `answer`, sent in `chat_id`; the key its buttons carry."""
        key = secrets.token_urlsafe(8)
        self._items[key] = (chat_id, answer)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return key

    def get(self, key: str, chat_id: int | None) -> Answer | None:
        """The answer behind `key`, only in the chat it was sent to (a key copied elsewhere finds nothing)."""
        found = self._items.get(key)
        return found[1] if found is not None and found[0] == chat_id else None


@dataclass
class BotServices:
    """Collaborators of the Telegram handlers, built once in `bot.app`."""

    answerer: QuestionAnswerer
    allow: AllowList = field(default_factory=AllowList)
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    # Inline queries come keystroke by keystroke; refusals are said once a minute per user.
    inline_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    refusals: RateLimiter = field(default_factory=lambda: RateLimiter(1))
    shortcuts: dict[str, Shortcut] = field(default_factory=dict)
    recent: RecentAnswers = field(default_factory=RecentAnswers)
    # Each conversation's last turn, by (chat, asker): follow-ups and /source read it; never on disk.
    memory: Memory = field(default_factory=lambda: Memory(600.0))
    typing_delay: float = 0.3
    # Who may add and remove documents, and the corpus they change (None: the bot cannot change it).
    admins: frozenset[int] = frozenset()
    live: LiveCorpus | None = None
    # How admins' links are downloaded (bounded; private addresses refused unless FETCH_PRIVATE_HOSTS).
    fetch_link: Callable[[str], Fetched] = field(default_factory=lambda: default_fetcher(allow_private=False))
    ingest_channels: frozenset[int] = frozenset()
    workers: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="answer"))
    # Uploads, removals and posts wait for the corpus's refresh here, never in the answering workers.
    corpus_workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="corpus")
    )

    async def run(self, work: Callable[[], T]) -> T:
        """Run blocking retrieval off the event loop so other chats keep being served."""
        return await asyncio.get_running_loop().run_in_executor(self.workers, work)

    async def change_corpus(self, work: Callable[[], T]) -> T:
        """Run a change to the corpus (which waits for indexing) beside the answering workers."""
        return await asyncio.get_running_loop().run_in_executor(self.corpus_workers, work)

    async def ask(self, question: str) -> Answer:
        question = question[:MAX_QUESTION]
        return await self.run(lambda: self.answerer.ask(question))

    async def reply(self, question: str, previous: Turn | None) -> Turn:
        """`question` as the next turn of a conversation whose last turn is `previous`."""
        question = question[:MAX_QUESTION]
        return await self.run(lambda: self.answerer.reply(question, previous))
