"""Turn files in the corpus folder into `Document`s (.txt, .md, .html, .pdf); report what can't be read."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import LoaderError
from index.models import Document, SkippedFile

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_INLINE_DATE = re.compile(rf"\s*date\s*:?\s*({_DATE})\b[ \t]*\n?[ \t]*", re.IGNORECASE)
_HEADER_LINE = re.compile(r"[ \t]*(title|date|url|lang|source)[ \t]*:[ \t]*(.*?)[ \t]*(?:\r?\n|\Z)", re.I)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FILENAME_DATE = re.compile(rf"\A({_DATE})[-_ ]+")
_MD_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class LoadResult:
    """Documents loaded from a folder, and the files skipped with their reasons."""

    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CorpusFile:
    """A file found in the corpus folder: its id, the real path to read, or why it must not be read."""

    doc_id: str
    path: Path
    problem: str = ""


def iter_corpus_files(root: Path) -> Iterator[CorpusFile]:
    """Every file under `root`, sorted by id, hidden files and folders excluded.

    Symbolic links are followed only when their real target stays inside `root`; links that lead
    outside, dangle or loop come back with a `problem` and are never read.
    """
    if not root.is_dir():
        raise LoaderError(f"Corpus folder not found: {root}")
    real_root = root.resolve()
    found: list[CorpusFile] = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        base = Path(folder)
        for name in [*files, *(d for d in subfolders if (base / d).is_symlink())]:
            path = base / name
            if name.startswith("."):
                continue
            doc_id = path.relative_to(root).as_posix()
            if not path.is_symlink():
                found.append(CorpusFile(doc_id, path))
                continue
            found.append(_follow_link(doc_id, path, real_root))
    return iter(sorted(found, key=lambda entry: entry.doc_id))


def _follow_link(doc_id: str, link: Path, real_root: Path) -> CorpusFile:
    """A symbolic link in the corpus: readable only if it leads to a file inside the corpus."""
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        return CorpusFile(doc_id, link, "broken link (its target does not exist)")
    except (RuntimeError, OSError) as exc:
        return CorpusFile(doc_id, link, f"link cannot be followed ({'loop' if 'loop' in str(exc).lower() else exc})")
    if not target.is_relative_to(real_root):
        return CorpusFile(doc_id, link, "link to a file outside the corpus folder (not read)")
    if target.is_dir():
        return CorpusFile(doc_id, link, "link to a folder (its files are indexed where they are)")
    return CorpusFile(doc_id, target)


def load_corpus(root: Path, max_bytes: int) -> LoadResult:
    """Load every supported file under `root`; unreadable ones are skipped with a reason."""
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for entry in iter_corpus_files(root):
        try:
            if entry.problem:
                raise LoaderError(entry.problem)
            documents.append(load_file(entry.path, entry.doc_id, max_bytes))
        except LoaderError as exc:
            skipped.append(SkippedFile(entry.doc_id, str(exc)))
    return LoadResult(tuple(documents), tuple(skipped))


def load_file(path: Path, doc_id: str, max_bytes: int) -> Document:
    """Load one file; raise `LoaderError` with a human reason when it can't be used."""
    return parse_document(read_file(path, max_bytes), doc_id)


def read_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a supported, non-empty file within the size limit, or a `LoaderError`.

    `path` itself is never followed if it is a symbolic link (`iter_corpus_files` resolves the links
    it allows), so a file swapped for a link after the scan is not read.
    """
    suffix = path.suffix.lower()
    if suffix not in _LOADERS:
        raise LoaderError(f"unsupported file type '{suffix or path.name}'")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError as exc:
        raise LoaderError("file disappeared while indexing") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoaderError("became a symbolic link while indexing (not read)") from exc
        raise LoaderError(f"cannot read file ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as handle:
        try:
            size = os.fstat(fd).st_size
            if size > max_bytes:
                raise LoaderError(f"too large ({size / 1e6:.1f} MB, limit {max_bytes / 1e6:.1f} MB)")
            data = handle.read()
        except OSError as exc:
            raise LoaderError(f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise LoaderError("empty file")
    return data


def parse_document(data: bytes, doc_id: str, max_chars: int | None = None) -> Document:
    """Parse the bytes of a file named `doc_id` (its suffix picks the loader), refusing a document whose
    text is longer than `max_chars` (a small compressed PDF can hold hours of embedding)."""
    suffix = Path(doc_id).suffix.lower()
    document = _load_pdf(data, doc_id, max_chars) if suffix == ".pdf" else _LOADERS[suffix](data, doc_id)
    if not document.text.strip():
        raise LoaderError("no text found in file")
    if max_chars is not None and len(document.text) > max_chars:
        raise _too_much_text(len(document.text), len(data), max_chars)
    return document


def _too_much_text(chars: int, size: int, max_chars: int, what: str = "text") -> LoaderError:
    return LoaderError(
        f"too much {what}: {chars / 1e6:.3g} MB from a {size / 1e6:.2g} MB file (limit {max_chars / 1e6:g} MB)"
    )


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoaderError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as exc:
        raise LoaderError(f"not valid UTF-8 (bad byte at offset {exc.start})") from exc


def _title_from_filename(doc_id: str) -> tuple[str, str]:
    """'2023-06-belarus-nuclear-deployment.txt' -> ('Belarus nuclear deployment', '2023-06')."""
    stem = Path(doc_id).stem
    date = ""
    match = _FILENAME_DATE.match(stem)
    if match:
        date, stem = match.group(1), stem[match.end() :]
    words = re.sub(r"[-_]+", " ", stem).strip()
    return (words[:1].upper() + words[1:]) if words else Path(doc_id).name, date


def _load_plain(data: bytes, doc_id: str) -> Document:
    """Plain text, with optional `key: value` header lines or a leading `date 2023-06`."""
    raw = _decode_text(data)
    meta: dict[str, str] = {}
    pos = 0
    while True:
        header = _HEADER_LINE.match(raw, pos)
        if not header:
            break
        meta[header.group(1).lower()] = header.group(2)
        pos = header.end()
    inline = _INLINE_DATE.match(raw, pos)
    if inline and "date" not in meta:
        meta["date"] = inline.group(1)
        pos = inline.end()
    return _document(doc_id, raw[pos:], pos, meta)


def _load_markdown(data: bytes, doc_id: str) -> Document:
    raw = _decode_text(data)
    meta: dict[str, str] = {}
    pos = 0
    front = _FRONT_MATTER.match(raw)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                meta[key.strip().lower()] = value.strip().strip("'\"")
        pos = front.end()
    body = raw[pos:]
    if "title" not in meta:
        heading = _MD_HEADING.search(body)
        if heading:
            meta["title"] = heading.group(1)
    return _document(doc_id, body, pos, meta)


# A page's content stream may be this many times the text budget before it is refused unread: streams of
# real pages are 2-10x their text (positioning, fonts, drawings); a text bomb is hundreds of times over.
_PDF_CONTENT_PER_CHAR = 4

_HTML_DROP = "script, style, noscript, nav, header, footer, aside, form, template, svg"
_HTML_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, blockquote, pre, td, th, dd, dt, figcaption"


def _load_html(data: bytes, doc_id: str) -> Document:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_decode_text(data))
    meta: dict[str, str] = {}

    def first(selector: str, attribute: str) -> str:
        node = tree.css_first(selector)
        value = node.attributes.get(attribute) if node is not None else None
        return (value or "").strip()

    title_node = tree.css_first("title")
    meta["title"] = first('meta[property="og:title"]', "content") or (
        title_node.text(strip=True) if title_node is not None else ""
    )
    meta["date"] = (
        first('meta[property="article:published_time"]', "content")
        or first('meta[name="date"]', "content")
        or first("time[datetime]", "datetime")
    )[:10]
    meta["url"] = first('link[rel="canonical"]', "href") or first('meta[property="og:url"]', "content")
    meta["lang"] = first("html", "lang")
    for node in tree.css(_HTML_DROP):
        node.decompose()
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    paragraphs: list[str] = []
    if root is not None:
        blocks = root.css(_HTML_BLOCKS)
        texts = (
            [node.text(separator=" ", strip=True) for node in blocks]
            if blocks
            else [root.text(separator="\n", strip=True)]
        )
        paragraphs = [re.sub(r"\s+", " ", text).strip() for text in texts]
    body = "\n\n".join(p for p in paragraphs if p)
    return _document(doc_id, body, 0, meta)


def _load_pdf(data: bytes, doc_id: str, max_chars: int | None = None) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        page_texts: list[str] = []
        budget = max_chars
        for page in reader.pages:
            if budget is not None:
                # A page's text is shorter than its content stream (text sits in string operands there), so
                # a page whose stream is far over the limit is refused before its slow extraction.
                contents = page.get_contents()
                size = len(contents.get_data()) if contents is not None else 0
                if size > _PDF_CONTENT_PER_CHAR * budget:
                    raise _too_much_text(size, len(data), max_chars or 0, "content")
            page_texts.append((page.extract_text() or "").strip())
            if budget is not None:
                budget -= len(page_texts[-1])
                if budget < 0:
                    raise _too_much_text(sum(map(len, page_texts)), len(data), max_chars or 0)
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise LoaderError(f"unreadable PDF ({exc})") from exc
    if not any(page_texts):
        raise LoaderError("PDF has no extractable text (scanned images?)")
    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    offset = 0
    for number, text in enumerate(page_texts, start=1):
        if not text:
            continue
        pages.append((offset, number))
        parts.append(text)
        offset += len(text) + 2
    meta = {"title": str(info.title or "") if info else ""}
    return _document(doc_id, "\n\n".join(parts), 0, meta, pages=tuple(pages))


def _document(
    doc_id: str,
    body: str,
    body_offset: int,
    meta: dict[str, str],
    pages: tuple[tuple[int, int], ...] = (),
) -> Document:
    fallback_title, fallback_date = _title_from_filename(doc_id)
    return Document(
        doc_id=doc_id,
        path=doc_id,
        title=meta.get("title") or fallback_title,
        text=body,
        date=meta.get("date") or fallback_date,
        url=meta.get("url") or meta.get("source") or "",
        lang=meta.get("lang", ""),
        body_offset=body_offset,
        pages=pages,
    )


_LOADERS: dict[str, Callable[[bytes, str], Document]] = {
    ".txt": _load_plain,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
}
