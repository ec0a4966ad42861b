"""The article in a web page: trafilatura's main-text extraction, the page's own metadata, and a fallback
of simple block rules for pages trafilatura finds nothing in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from index.errors import LoaderError


@dataclass(frozen=True)
class HtmlArticle:
    """A page's article paragraphs and metadata (title, date, url, author, lang; "" when unknown)."""

    paragraphs: tuple[str, ...]
    meta: dict[str, str]


_DROP = "script, style, noscript, nav, header, footer, aside, form, template, svg"
_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, blockquote, pre, td, th, dd, dt, figcaption"


def decode_html(data: bytes) -> str:
    """A page's text: UTF-8, else the charset the page declares, else Windows-1252 (never fails)."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoaderError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        declared = re.search(rb"""charset=["']?([\w-]+)""", data[:4096])
        for encoding in ((declared.group(1).decode("ascii"),) if declared else ()) + ("cp1252",):
            try:
                return data.decode(encoding, errors="replace")
            except LookupError:
                continue
        return data.decode("latin-1")


def extract_article(html: str) -> HtmlArticle:
    """The main text of `html` (navigation, footers, adverts, comments and related links left out)."""
    import trafilatura

    tree = _parsed(html)
    meta = _page_meta(tree)
    # trafilatura keeps navigation, headers, footers, asides and forms on short pages, where its own
    # boilerplate rules give way to a baseline that takes every text: they go first (JSON-LD stays, it
    # holds the article's metadata).
    _drop_boxes(tree, keep_json_ld=True)
    cleaned = tree.html or html
    extracted = trafilatura.bare_extraction(cleaned, with_metadata=False, include_comments=False, include_tables=True)
    text = (getattr(extracted, "text", None) or "") if extracted is not None else ""
    paragraphs = tuple(p for p in (" ".join(line.split()) for line in text.splitlines()) if p)
    if not (meta.get("title") and meta.get("date") and meta.get("author")):
        # trafilatura's own metadata search (JSON-LD, bylines, dates in the text and address) costs about
        # 0.1 s a page, 20 times its text extraction: only for what the page's head does not say.
        found = trafilatura.extract_metadata(cleaned)
        for key in ("title", "date", "url", "author"):
            value = getattr(found, key, None) if found is not None else None
            if value and not meta.get(key):
                meta[key] = str(value)
    if not paragraphs:
        paragraphs = block_texts(html)
    return HtmlArticle(paragraphs, meta)


def _parsed(html: str) -> Any:
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(html)


def _drop_boxes(tree: Any, keep_json_ld: bool = False) -> None:
    """Remove scripts, styles, navigation, header, footer, asides and forms from a parsed page."""
    for node in tree.css(_DROP):
        if not (keep_json_ld and node.tag == "script" and node.attributes.get("type") == "application/ld+json"):
            node.decompose()


def _page_meta(tree: Any) -> dict[str, str]:
    """What the page says of itself in its head (Open Graph, article:*, canonical link, lang)."""

    def first(selector: str, attribute: str) -> str:
        node = tree.css_first(selector)
        value = node.attributes.get(attribute) if node is not None else None
        return (value or "").strip()

    title_node = tree.css_first("title")
    return {
        "title": first('meta[property="og:title"]', "content")
        or (title_node.text(strip=True) if title_node is not None else ""),
        "date": (
            first('meta[property="article:published_time"]', "content")
            or first('meta[name="date"]', "content")
            or first("time[datetime]", "datetime")
        )[:10],
        "url": first('link[rel="canonical"]', "href") or first('meta[property="og:url"]', "content"),
        "author": first('meta[name="author"]', "content") or first('meta[property="article:author"]', "content"),
        "lang": first("html", "lang"),
    }


def block_texts(html: str) -> tuple[str, ...]:
    """The text blocks of a page's article (or main, or body), navigation and boxes dropped: for the XHTML
    chapters of e-books and pages trafilatura finds no article in."""
    return _blocks(_parsed(html))


def _blocks(tree: Any) -> tuple[str, ...]:
    _drop_boxes(tree)
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    if root is None:
        return ()
    blocks = root.css(_BLOCKS)
    texts = [node.text(separator=" ", strip=True) for node in blocks] if blocks else [root.text(separator="\n")]
    return tuple(p for p in (" ".join(t.split()) for t in texts) if p)


def chapter_blocks(xhtml: bytes) -> tuple[str, list[str]]:
    """An e-book chapter: its first heading and its paragraphs."""
    tree = _parsed(decode_html(xhtml))
    heading = tree.css_first("h1, h2, h3")
    return (heading.text(strip=True) if heading is not None else ""), list(_blocks(tree))
