"""Turn files in the corpus folder into `Document`s (text, Markdown, web pages, PDF, Office, e-books, e-mail,
scans); report what can't be read."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from index.errors import LoaderError
from index.ingest.assembly import TextBuilder, make_document
from index.ingest.formats import load_docx, load_epub, load_odt, load_pptx, load_rtf, load_xlsx
from index.ingest.html import chapter_blocks, decode_html, extract_article
from index.ingest.mail import load_eml
from index.ingest.ocr import MIN_PAGE_CHARS, Ocr
from index.models import Document, SkippedFile

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_INLINE_DATE = re.compile(rf"\s*date\s*:?\s*({_DATE})\b[ \t]*\n?[ \t]*", re.IGNORECASE)
_HEADER_LINE = re.compile(r"[ \t]*(title|date|url|lang|source)[ \t]*:[ \t]*(.*?)[ \t]*(?:\r?\n|\Z)", re.I)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
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
    link: bool = False  # a symbolic link in the corpus (`path` is its target, when it may be read)


def iter_corpus_files(root: Path, only: Iterable[str] | None = None) -> Iterator[CorpusFile]:
    """Every file under `root`, sorted by id, hidden files and folders excluded; with `only`, those of
    these corpus paths (files, or folders and what they hold) alone.

    Symbolic links are followed only when their real target stays inside `root`; links that lead
    outside, dangle or loop come back with a `problem` and are never read. So does a folder that cannot be
    listed, under its path and a final "/".
    """
    if not root.is_dir():
        raise LoaderError(f"Corpus folder not found: {root}")
    real_root = root.resolve()
    found: list[CorpusFile] = []
    folders = [(str(root), "")] if only is None else []
    for doc_id in () if only is None else sorted(set(only)):
        path = root / doc_id
        if not _is_corpus_path(root, doc_id):
            continue
        if path.is_symlink():
            found.append(_follow_link(doc_id, path, real_root))
        elif path.is_dir():
            folders.append((str(path), doc_id + "/"))
        elif path.exists():
            found.append(CorpusFile(doc_id, path))
    while folders:  # os.scandir rather than os.walk and pathlib: a folder of 100k files costs a tenth of a second
        folder, prefix = folders.pop()
        try:
            listing = os.scandir(folder)
        except OSError as exc:
            if not prefix:  # the corpus itself: never read as empty (that would remove every document)
                raise LoaderError(f"Corpus folder cannot be read: {root} ({exc.strerror or exc})") from exc
            found.append(CorpusFile(prefix, Path(folder), f"folder cannot be read ({exc.strerror or exc})"))
            continue
        with listing as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                doc_id = prefix + entry.name
                if entry.is_symlink():
                    found.append(_follow_link(doc_id, Path(entry.path), real_root))
                elif entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, doc_id + "/"))
                else:
                    found.append(CorpusFile(doc_id, Path(entry.path)))
    unique = {entry.doc_id: entry for entry in found}  # a file and its folder both named in `only`
    return iter(sorted(unique.values(), key=lambda entry: entry.doc_id))


def _is_corpus_path(root: Path, doc_id: str) -> bool:
    """Whether `doc_id` names a place a full scan of `root` reaches: relative, no hidden part, no "..", and
    no folder on the way that is a symbolic link (a linked folder's files are indexed where they are)."""
    relative = PurePosixPath(doc_id)
    if not doc_id or relative.is_absolute() or any(part.startswith(".") for part in relative.parts):
        return False
    return not any((root / parent).is_symlink() for parent in relative.parents if str(parent) != ".")


def _follow_link(doc_id: str, link: Path, real_root: Path) -> CorpusFile:
    """A symbolic link in the corpus: readable only if it leads to a file inside the corpus."""
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        return CorpusFile(doc_id, link, "broken link (its target does not exist)", link=True)
    except (RuntimeError, OSError) as exc:
        why = "loop" if "loop" in str(exc).lower() else exc
        return CorpusFile(doc_id, link, f"link cannot be followed ({why})", link=True)
    if not target.is_relative_to(real_root):
        return CorpusFile(doc_id, link, "link to a file outside the corpus folder (not read)", link=True)
    if target.is_dir():
        return CorpusFile(doc_id, link, "link to a folder (its files are indexed where they are)", link=True)
    return CorpusFile(doc_id, target, link=True)


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
    if suffix not in SUPPORTED_SUFFIXES:
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


def write_file(root: Path, doc_id: str, data: bytes) -> Path:
    """Write the corpus file `doc_id` whole: hidden until renamed into place, so never indexed half-written."""
    path = root / doc_id
    if not path.resolve().is_relative_to(root.resolve()):
        raise LoaderError(f"not a place in the corpus: {doc_id}")
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")  # hidden files are never indexed
    hidden.write_bytes(data)
    os.replace(hidden, path)
    return path


def parse_document(data: bytes, doc_id: str, max_chars: int | None = None, ocr: Ocr | None = None) -> Document:
    """Parse the bytes of a file named `doc_id` (its suffix picks the loader), refusing a document whose
    text is longer than `max_chars` (a small compressed PDF can hold hours of embedding). Scanned pages
    and images are read by `ocr` (none: they are skipped, saying so)."""
    suffix = Path(doc_id).suffix.lower()
    if suffix == ".pdf":
        document = _load_pdf(data, doc_id, max_chars, ocr)
    elif suffix == ".eml":
        document = _load_eml(data, doc_id, max_chars, ocr)
    elif suffix in IMAGE_SUFFIXES:
        document = _load_image(data, doc_id, ocr)
    elif suffix in _LOADERS:
        document = _LOADERS[suffix](data, doc_id)
    else:
        raise LoaderError(f"unsupported file type '{suffix or doc_id}'")
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
    return make_document(doc_id, raw[pos:], pos, meta)


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
    return make_document(doc_id, body, pos, meta)


# A page's content stream may be this many times the text budget before it is refused unread: streams of
# real pages are 2-10x their text (positioning, fonts, drawings); a text bomb is hundreds of times over.
_PDF_CONTENT_PER_CHAR = 4


def _load_html(data: bytes, doc_id: str) -> Document:
    article = extract_article(decode_html(data))
    return make_document(doc_id, "\n\n".join(article.paragraphs), 0, article.meta)


def _load_pdf(data: bytes, doc_id: str, max_chars: int | None = None, ocr: Ocr | None = None) -> Document:
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
    scanned = [number for number, text in enumerate(page_texts, start=1) if len(text) < MIN_PAGE_CHARS]
    if scanned and ocr is not None and not ocr.missing():
        for number, text in ocr.pdf_pages(data, scanned, doc_id):
            if len(text.strip()) > len(page_texts[number - 1]):
                page_texts[number - 1] = text.strip()
    if not any(page_texts):
        why = ocr.missing() if ocr is not None else "OCR is off"
        raise LoaderError(
            f"PDF has no text layer (scanned pages?) and {why}" if why else "PDF has no text, even by OCR"
        )
    builder = TextBuilder()
    for number, text in enumerate(page_texts, start=1):
        builder.add(text, page=number)
    meta = {
        "title": str(info.title or "") if info else "",
        "author": str(info.author or "") if info else "",
        "date": _pdf_date(info.get("/CreationDate") if info else None),
    }
    return make_document(doc_id, builder.text, 0, meta, pages=builder.pages)


def _pdf_date(value: object) -> str:
    """'D:20230614093000+02'00'' -> '2023-06-14'."""
    match = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", str(value or ""))
    return "-".join(part for part in match.groups() if part) if match else ""


def _load_image(data: bytes, doc_id: str, ocr: Ocr | None) -> Document:
    """A scanned page (.png, .jpg, .tiff): its text by OCR, each frame of a TIFF a page."""
    if ocr is None:
        raise LoaderError("image: OCR is off")
    builder = TextBuilder()
    for number, text in enumerate(ocr.image_text(data, doc_id), start=1):
        builder.add(text, page=number)
    pages = builder.pages if len(builder.pages) > 1 else ()
    return make_document(doc_id, builder.text, 0, {}, pages=pages)


def _load_eml(data: bytes, doc_id: str, max_chars: int | None, ocr: Ocr | None) -> Document:
    def attachment(payload: bytes, name: str) -> Document:
        return parse_document(payload, name, max_chars, ocr)

    return load_eml(data, doc_id, attachment, lambda name: Path(name).suffix.lower() in SUPPORTED_SUFFIXES)


_LOADERS: dict[str, Callable[[bytes, str], Document]] = {
    ".txt": _load_plain,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".xhtml": _load_html,
    ".docx": load_docx,
    ".odt": load_odt,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".rtf": load_rtf,
    ".epub": lambda data, doc_id: load_epub(data, doc_id, chapter_blocks),
}
# Read with the OCR engine and the text budget at hand.
_WITH_OCR = (".pdf", ".eml", *IMAGE_SUFFIXES)
SUPPORTED_SUFFIXES = (*_LOADERS, *_WITH_OCR)
