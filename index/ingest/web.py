"""Web pages by address: a bounded download (size, time, redirects; private addresses refused where asked),
and the corpus file it becomes (the article as Markdown with its title, date, author and link)."""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import httpx

from index.errors import FetchError
from index.ingest.html import decode_html, extract_article
from index.ingest.loaders import SUPPORTED_SUFFIXES
from index.settings import Settings

_REDIRECTS = 5
_USER_AGENT = "corpusbot/0.1 (+document question answering; fetches pages it is given)"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Documents (not pages) a link may lead to, saved as they are with this suffix.
_DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/rtf": ".rtf",
    "text/rtf": ".rtf",
    "application/epub+zip": ".epub",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "message/rfc822": ".eml",
}
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/feed+json")


@dataclass(frozen=True)
class Fetched:
    """What an address gave: the address it ended at (after redirects), its content type and its bytes."""

    url: str
    content_type: str
    data: bytes


def fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    allow_private: bool,
    accept: str = "text/html,application/xhtml+xml,*/*;q=0.5",
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET `url`, following at most a few redirects, within `timeout` seconds overall and `max_bytes`.

    Without `allow_private`, an address whose host resolves to loopback, a private network, link-local
    or another non-public range is refused, at every redirect."""
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": _USER_AGENT, "Accept": accept}
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport, headers=headers) as client:
        for _ in range(_REDIRECTS + 1):
            host = _checked(url, allow_private)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise FetchError(_status_message(response.status_code, url))
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        size = int(declared) / 1e6
                        raise FetchError(f"{host} sends {size:.1f} MB, over the {max_bytes / 1e6:g} MB limit")
                    body = bytearray()
                    for piece in response.iter_bytes():
                        body += piece
                        if len(body) > max_bytes:
                            raise FetchError(f"{host} sends more than the {max_bytes / 1e6:g} MB limit")
                        if time.monotonic() > deadline:
                            raise FetchError(f"{host} did not send the page within {timeout:g} s")
                    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    return Fetched(str(response.url), kind, bytes(body))
            except httpx.TimeoutException as exc:
                raise FetchError(f"no answer from {host} within {timeout:g} s") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"could not fetch from {host} ({type(exc).__name__}: {exc})") from exc
    raise FetchError(f"too many redirects (more than {_REDIRECTS})")


def default_fetcher(
    allow_private: bool,
    timeout: float = Settings.model_fields["fetch_timeout"].default,
    max_mb: float = Settings.model_fields["fetch_max_mb"].default,
) -> Callable[[str], Fetched]:
    """`fetch` with its limits bound (the defaults are FETCH_TIMEOUT's and FETCH_MAX_MB's)."""
    return functools.partial(fetch, timeout=timeout, max_bytes=int(max_mb * 1e6), allow_private=allow_private)


def _status_message(status: int, url: str) -> str:
    if status == 404:
        return f"the page was not found (HTTP 404): {url}"
    if status in (401, 403):
        return f"the site refuses access (HTTP {status}): {url}"
    return f"the site answered HTTP {status}: {url}"


def _checked(url: str, allow_private: bool) -> str:
    """The host of an http(s) `url`; refused when it is not public and `allow_private` is false."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not a web address (http or https): {url[:200]}")
    host = parts.hostname
    if allow_private:
        return host
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"no such host: {host}") from exc
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise FetchError(
                f"{host} is a private or local address ({ip}); links to it are refused "
                "(FETCH_PRIVATE_HOSTS=true allows them)"
            )
    return host


def corpus_file(fetched: Fetched, folder: str = "web") -> tuple[str, bytes]:
    """The corpus file an address's content becomes: a page's article as Markdown (title, date, author and
    the page's address in its front matter), a document as it came. Raises `FetchError` for anything else."""
    name = _slug_for(fetched.url)
    host = (urlsplit(fetched.url).hostname or "site").removeprefix("www.")
    if fetched.content_type in _HTML_TYPES or (not fetched.content_type and fetched.data.lstrip()[:1] == b"<"):
        article = extract_article(decode_html(fetched.data))
        if not article.paragraphs:
            raise FetchError(f"no article text found on the page {fetched.url}")
        return f"{folder}/{host}/{name}.md", article_markdown(article.paragraphs, article.meta, fetched.url)
    suffix = _DOCUMENT_TYPES.get(fetched.content_type) or _suffix_of(fetched.url)
    if suffix is None:
        kind = fetched.content_type or "unknown"
        raise FetchError(f"not a web page or a document corpusbot reads (content type {kind})")
    return f"{folder}/{host}/{name}{suffix}", fetched.data


def article_markdown(paragraphs: tuple[str, ...] | list[str], meta: dict[str, str], url: str, **extra: str) -> bytes:
    """An article as a Markdown corpus file: front matter (title, date, author, url, and `extra`), then its text."""
    fields = {
        "title": meta.get("title", ""),
        "date": meta.get("date", "")[:10],
        "author": meta.get("author", ""),
        "url": meta.get("url") or url,
        "lang": meta.get("lang", ""),
        **extra,
    }
    front = "".join(f"{key}: {' '.join(value.split())}\n" for key, value in fields.items() if value and value.strip())
    return f"---\n{front}---\n\n".encode() + "\n\n".join(paragraphs).encode() + b"\n"


def _suffix_of(url: str) -> str | None:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix if suffix in SUPPORTED_SUFFIXES and suffix not in (".html", ".htm") else None


def _slug_for(url: str) -> str:
    """A file name from an address's path and query: '/local/2026/riverside-tram' -> 'local-2026-riverside-tram'."""
    parts = urlsplit(url)
    path = PurePosixPath(parts.path)
    stem = str(path.with_suffix("")) if path.suffix.lower() in (".html", ".htm", ".php", ".aspx") else parts.path
    text = f"{stem} {parts.query}".strip()
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug[-100:].strip("-") or "index"
