"""News feeds (RSS and Atom): each item becomes a corpus document of its linked article (the item's own text
when the article cannot be fetched), dated with the item, cited with its link, never added twice."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from index.errors import FetchError
from index.ingest.html import decode_html, extract_article
from index.ingest.web import FEED_TYPES, Fetched, article_markdown

log = logging.getLogger(__name__)

FEEDS_FOLDER = "feeds"
Fetch = Callable[[str], Fetched]
Write = Callable[[str, bytes], object]
_UPDATED = re.compile(r"^updated:\s*(.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: its identity (GUID or link), link, title, date, last update and own text."""

    key: str
    link: str
    title: str
    date: str
    updated: str
    paragraphs: tuple[str, ...]
    author: str = ""


@dataclass
class FeedReport:
    """What one pass over a feed did."""

    feed: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    problem: str = ""


def parse_feed(data: bytes) -> tuple[str, list[FeedItem]]:
    """A feed's title and items; raises `FetchError` when the bytes are no feed."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        raise FetchError(f"not an RSS or Atom feed ({getattr(parsed, 'bozo_exception', 'no entries')})")
    items = []
    for entry in parsed.entries:
        link = str(entry.get("link", "") or "")
        key = str(entry.get("id", "") or link)
        if not key:
            continue
        content = entry.get("content") or []
        html = str(content[0].get("value", "")) if content else str(entry.get("summary", "") or "")
        items.append(
            FeedItem(
                key=key,
                link=link,
                title=" ".join(str(entry.get("title", "") or "").split()),
                date=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
                updated=str(entry.get("updated", "") or entry.get("published", "") or ""),
                paragraphs=extract_article(f"<html><body><article>{html}</article></body></html>").paragraphs
                if html.strip()
                else (),
                author=str(entry.get("author", "") or ""),
            )
        )
    return str(parsed.feed.get("title", "") or ""), items


def _date(parsed: object) -> str:
    try:
        year, month, day = parsed[:3]  # type: ignore[index]
        return f"{year:04d}-{month:02d}-{day:02d}"
    except (TypeError, ValueError):
        return ""


def item_doc_id(feed_url: str, item: FeedItem) -> str:
    """The corpus path of an item: by its feed's host and the hash of its identity (stable across edits)."""
    host = (urlsplit(feed_url).hostname or "feed").removeprefix("www.")
    return f"{FEEDS_FOLDER}/{host}/{hashlib.sha256(item.key.encode()).hexdigest()[:16]}.md"


class FeedReader:
    """Turns feed items into corpus files: `fetch(url)` downloads, `write(doc_id, data)` stores a document;
    `corpus_dir` is read to skip items already there in the same version."""

    def __init__(self, fetch: Fetch, write: Write, corpus_dir: Path) -> None:
        self._fetch = fetch
        self._write = write
        self._corpus_dir = corpus_dir

    def poll(self, feed_url: str) -> FeedReport:
        report = FeedReport(feed_url)
        try:
            fetched = self._fetch(feed_url)
            if fetched.content_type and fetched.content_type not in FEED_TYPES and "xml" not in fetched.content_type:
                raise FetchError(f"not a feed (content type {fetched.content_type})")
            _, items = parse_feed(fetched.data)
        except FetchError as exc:
            report.problem = str(exc)
            log.warning("feed %s not read: %s", feed_url, exc)
            return report
        for item in items:
            doc_id = item_doc_id(feed_url, item)
            seen = self._recorded_update(doc_id)
            if seen is not None and seen == item.updated:
                report.unchanged += 1
                continue
            self._write(doc_id, self._document(item))
            (report.updated if seen is not None else report.added).append(doc_id)
        return report

    def _recorded_update(self, doc_id: str) -> str | None:
        """The `updated` stamp of the item's file in the corpus, "" if it has none, None if there is no file."""
        try:
            head = (self._corpus_dir / doc_id).read_text(encoding="utf-8")[:4096]
        except (OSError, UnicodeDecodeError):
            return None
        match = _UPDATED.search(head.split("\n---", 1)[0])
        return match.group(1) if match else ""

    def _document(self, item: FeedItem) -> bytes:
        """The item's article when its link gives more text than the item carries, else the item itself."""
        paragraphs, meta = item.paragraphs, {"title": item.title, "date": item.date, "author": item.author}
        if item.link:
            try:
                article = extract_article(decode_html(self._fetch(item.link).data))
                if sum(map(len, article.paragraphs)) > sum(map(len, paragraphs)):
                    paragraphs = article.paragraphs
                    meta = {**meta, "author": item.author or article.meta.get("author", "")}
            except FetchError as exc:
                log.info("feed item %s: article not fetched (%s); the item's own text is kept", item.link, exc)
        if not paragraphs:
            paragraphs = (item.title,)
        return article_markdown(paragraphs, meta, item.link, guid=item.key, updated=item.updated or "-")


class FeedPoller:
    """Polls feeds every `minutes` in a thread of its own (a failing feed is logged and tried again next
    time; answers never wait for it)."""

    def __init__(self, reader: FeedReader, feeds: tuple[str, ...], minutes: float) -> None:
        self._reader = reader
        self._feeds = feeds
        self._interval = minutes * 60
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def poll_all(self) -> list[FeedReport]:
        reports = []
        for feed in self._feeds:
            try:
                reports.append(self._reader.poll(feed))
            except Exception:  # a bug in one feed's handling must not stop the others, nor the poller
                log.exception("feed %s failed", feed)
                reports.append(FeedReport(feed, problem="internal error (see the log)"))
        self.passes += 1
        return reports

    def start(self) -> None:
        if self._feeds and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="corpusbot-feeds", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            for report in self.poll_all():
                if report.added or report.updated:
                    log.info("feed %s: %d new, %d updated", report.feed, len(report.added), len(report.updated))
            self._stop.wait(self._interval)
