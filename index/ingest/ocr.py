"""Text from scanned pages and images, through Tesseract (French and English), cached so a re-index
does not read the same page twice."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.errors import LoaderError

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng, as root"
# Pages are rendered at this resolution for Tesseract (300 dpi is what it is trained for).
_DPI = 300
# An image larger than this is refused (a decompression bomb, or a poster nobody scanned for its text).
_MAX_PIXELS = 120_000_000
# Pages whose text layer holds fewer characters than this (a page number, a stamp) are read by OCR.
MIN_PAGE_CHARS = 20

PageProgress = Callable[[str, int, int], None]


def _quiet(doc_id: str, page: int, pages: int) -> None:
    return None


class Ocr:
    """Tesseract over page images, with a cache of what each page read (by the page's bytes and languages)."""

    def __init__(
        self, cache_dir: Path | None = None, languages: str = "fra+eng", on_page: PageProgress | None = None
    ) -> None:
        self._cache_dir = cache_dir
        self._languages = languages
        self.on_page = on_page or _quiet
        self._missing: str | None = None

    def missing(self) -> str:
        """Why OCR cannot run here ("" when it can): Tesseract or its French/English models absent."""
        if self._missing is None:
            self._missing = self._check()
        return self._missing

    def _check(self) -> str:
        if shutil.which("tesseract") is None:
            return f"OCR needs Tesseract ({INSTALL_HINT})"
        try:
            import pytesseract

            installed = set(pytesseract.get_languages(config=""))
        except Exception as exc:
            return f"Tesseract does not run ({exc}; {INSTALL_HINT})"
        absent = [lang for lang in self._languages.split("+") if lang not in installed]
        return f"Tesseract lacks the language model(s) {', '.join(absent)} ({INSTALL_HINT})" if absent else ""

    def image_text(self, data: bytes, doc_id: str) -> list[str]:
        """The text of each frame of an image file (a multi-page TIFF has several)."""
        from PIL import Image, UnidentifiedImageError

        self._require()
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > _MAX_PIXELS:
                    raise LoaderError(f"image too large for OCR ({image.width}×{image.height} pixels)")
                frames = getattr(image, "n_frames", 1)
                texts = []
                for number in range(frames):
                    image.seek(number)
                    frame = image.convert("L")

                    def read(frame: Any = frame) -> str:
                        return self._tesseract(frame)

                    texts.append(self._cached(_frame_key(frame), read, doc_id, number + 1, frames))
                return texts
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise LoaderError(f"unreadable image ({exc})") from exc

    def pdf_pages(self, data: bytes, numbers: list[int], doc_id: str) -> Iterator[tuple[int, str]]:
        """(page number, text) for the given 1-based pages of a PDF, rendered and read by Tesseract."""
        import pypdfium2

        self._require()
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise LoaderError(f"unreadable PDF for OCR ({exc})") from exc
        file_key = hashlib.sha256(data).hexdigest()
        try:
            for done, number in enumerate(numbers, start=1):
                page = pdf[number - 1]
                width, height = page.get_size()
                scale = min(_DPI / 72, (_MAX_PIXELS / max(width * height, 1)) ** 0.5)

                def read(page: Any = page, scale: float = scale) -> str:
                    return self._tesseract(page.render(scale=scale, grayscale=True).to_pil())

                yield number, self._cached(f"{file_key}-p{number}", read, doc_id, done, len(numbers))
        finally:
            pdf.close()

    def _require(self) -> None:
        reason = self.missing()
        if reason:
            raise LoaderError(f"scanned pages: {reason}")

    def _tesseract(self, image: Any) -> str:
        import pytesseract

        with _one_thread_tesseract():
            return str(pytesseract.image_to_string(image, lang=self._languages))

    def _cached(self, key: str, read: Callable[[], str], doc_id: str, done: int, total: int) -> str:
        path = self._cache_dir / f"{key}-{self._languages}.json" if self._cache_dir else None
        if path is not None and path.is_file():
            try:
                return str(json.loads(path.read_text(encoding="utf-8"))["text"])
            except (OSError, ValueError, KeyError):
                pass
        started = time.perf_counter()
        text = read()
        log.info("OCR %s: page %d of %d read in %.1f s", doc_id, done, total, time.perf_counter() - started)
        self.on_page(doc_id, done, total)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                temporary = path.with_name(f".{path.name}.{os.getpid()}")
                temporary.write_text(json.dumps({"text": text}), encoding="utf-8")
                temporary.replace(path)
            except OSError as exc:
                log.warning("OCR cache not written (%s)", exc)
        return text


_ENVIRONMENT = threading.Lock()


@contextmanager
def _one_thread_tesseract() -> Iterator[None]:
    """Tesseract started with OMP_THREAD_LIMIT=1: its OpenMP threads fight each other (and the embedding
    threads) on a small machine. A dense A4 page at 300 dpi, fra+eng, on 2 cores: 24.9 s with its default
    threads, 3.3 s with one. pytesseract passes our environment to the process it starts, so the variable
    is set around the call only (this process's own OpenMP runtime read its settings when it loaded)."""
    with _ENVIRONMENT:
        before = os.environ.get("OMP_THREAD_LIMIT")
        os.environ["OMP_THREAD_LIMIT"] = "1"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("OMP_THREAD_LIMIT", None)
            else:
                os.environ["OMP_THREAD_LIMIT"] = before


def _frame_key(frame: Any) -> str:
    digest = hashlib.sha256(frame.tobytes())
    digest.update(f"{frame.width}x{frame.height}".encode())
    return digest.hexdigest()
