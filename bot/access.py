"""Who may use the bot, and how often: allow-lists and a per-user sliding-window rate limit."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AllowList:
    """Empty lists mean everyone; otherwise the user or the chat must be listed."""

    users: frozenset[int] = frozenset()
    chats: frozenset[int] = frozenset()

    @classmethod
    def of(cls, users: Iterable[int], chats: Iterable[int]) -> AllowList:
        return cls(frozenset(users), frozenset(chats))

    def allows(self, user_id: int | None, chat_id: int | None) -> bool:
        if not self.users and not self.chats:
            return True
        return (user_id is not None and user_id in self.users) or (chat_id is not None and chat_id in self.chats)


@dataclass
class RateLimiter:
    """At most `limit` events per `window` seconds per key; 0 disables the limit."""

    limit: int
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _events: dict[int, deque[float]] = field(default_factory=dict)

    def check(self, key: int) -> float:
        """Record an event for `key`; return 0.0 if allowed, else seconds until the next one is."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return self.window - (now - events[0])
        events.append(now)
        if len(self._events) > 10_000:  # forget idle users
            for idle in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
                del self._events[idle]
        return 0.0
