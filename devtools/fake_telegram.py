"""A fake Telegram Bot API HTTP server on 127.0.0.1: feeds updates, records calls, injects failures."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 424242
BOT_USERNAME = "CorpusTestBot"


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotAPI:
    """Enough of the Bot API for python-telegram-bot: getMe, getUpdates, send*/answer*/set* and more."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[int, dict[str, Any]] | str]] = {}
        self.delays: dict[str, list[float]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)
        self._chat_types: dict[int, str] = {}
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content), for getFile

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- feeding updates ---------------------------------------------------------------------------

    def add_file(self, content: bytes, name: str, file_path: str = "") -> str:
        """Make `content` downloadable as Telegram serves files; its file_id. `file_path` is what getFile
        answers instead of the usual `documents/…` (a hostile or broken Bot API server)."""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = (file_path or f"documents/{file_id}-{name}", content)
        return file_id

    def push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        for key in ("message", "channel_post", "edited_channel_post"):
            if key in update:
                chat = update[key]["chat"]
                self._chat_types[chat["id"]] = chat["type"]
        self._updates.append(update)
        self._new_update.set()
        return update_id

    def delay_next(self, method: str, seconds: float) -> None:
        """Answer the next call of `method` normally, but only after `seconds` (it does take effect)."""
        self.delays.setdefault(method, []).append(seconds)

    def fail_next(self, method: str, *responses: tuple[int, dict[str, Any]] | str) -> None:
        """Make the next calls of `method` fail: (status, body) replies, or "drop" to cut the connection."""
        self.failures.setdefault(method, []).extend(responses)

    # --- observing ---------------------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 20.0, count: int = 1) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls if predicate(c)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), remaining)

    # --- the HTTP side -----------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else str(value)
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        try:
            params = await self._params(request)
        except ConnectionResetError:  # the bot went away mid-request (a benchmark stopping it): nobody to answer
            return web.Response(status=499)
        planned = self.failures.get(method)
        if planned:
            failure = planned.pop(0)
            self._record(method, {**params, "_failed": True})
            if failure == "drop":
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            status, body = failure  # type: ignore[misc]
            return web.json_response(body, status=status)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        self._record(method, params)
        result = self._result(method, params)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method].pop(0))
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        self._record("download", {"path": path})
        if self.delays.get("download"):
            await asyncio.sleep(self.delays["download"].pop(0))
        planned = self.failures.get("download")
        if planned:
            status, _ = planned.pop(0)  # type: ignore[misc]
            return web.Response(status=status)
        for file_path, content in self.files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.Response(status=404)

    def _record(self, method: str, params: dict[str, Any]) -> None:
        self.calls.append(Call(method, params))
        self._new_call.set()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), min(float(params.get("timeout") or 0), 1.0) or 0.05)
            except TimeoutError:
                return []
        return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Corpus",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": True,
            }
        if method in {"sendMessage", "editMessageText"}:
            chat_id = int(params["chat_id"])
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": self._chat_types.get(chat_id, "private")},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Corpus", "username": BOT_USERNAME},
                "text": params.get("text", ""),
            }
        if method == "getFile":
            file_id = str(params["file_id"])
            path, content = self.files[file_id]
            return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(content), "file_path": path}
        return True


# --- update builders -------------------------------------------------------------------------------

_ids = itertools.count(1)


def user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "en"}


def chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    data: dict[str, Any] = {"id": chat_id, "type": kind}
    if kind != "private":
        data["title"] = f"Chat {chat_id}"
    return data


def entities_for(text: str) -> list[dict[str, Any]]:
    found = []
    if text.startswith("/"):
        length = len(text.split()[0])
        found.append({"type": "bot_command", "offset": 0, "length": length})
    at = text.find("@" + BOT_USERNAME)
    if at >= 0 and not text.startswith("/"):
        found.append({"type": "mention", "offset": at, "length": len(BOT_USERNAME) + 1})
    return found


def message(
    text: str,
    user_id: int = 1,
    chat_id: int | None = None,
    kind: str = "private",
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": chat(chat_id if chat_id is not None else user_id, kind),
        "from": user(user_id),
        "text": text,
    }
    if entities_for(text):
        body["entities"] = entities_for(text)
    if reply_to is not None:
        body["reply_to_message"] = reply_to
    return {"message": body}


def channel_post(
    text: str, chat_id: int, username: str = "", message_id: int | None = None, edited: bool = False
) -> dict[str, Any]:
    """A post in a channel (`edited`: the same post changed later)."""
    channel = chat(chat_id, "channel") | ({"username": username} if username else {})
    body: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_ids),
        "date": int(time.time()),
        "chat": channel,
        "sender_chat": channel,
        "text": text,
    }
    if edited:
        body["edit_date"] = int(time.time())
    if entities_for(text):
        body["entities"] = entities_for(text)
    return {"edited_channel_post" if edited else "channel_post": body}


def bot_message(text: str, chat_id: int, kind: str = "private", message_id: int = 9_000) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat(chat_id, kind),
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Corpus", "username": BOT_USERNAME},
        "text": text,
    }


def callback(data: str, user_id: int, on_message: dict[str, Any]) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": str(next(_ids)),
            "from": user(user_id),
            "chat_instance": "ci",
            "data": data,
            "message": on_message,
        }
    }


def inline(query: str, user_id: int) -> dict[str, Any]:
    return {"inline_query": {"id": str(next(_ids)), "from": user(user_id), "query": query, "offset": ""}}


def document(file_id: str, name: str, size: int, user_id: int, caption: str = "") -> dict[str, Any]:
    """A private message carrying a file (what a user sends with the paperclip)."""
    body = message(caption, user_id=user_id)
    del body["message"]["text"]
    body["message"]["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": size}
    return body
