"""Deterministic test collaborators: a hashing embedder and helpers that write corpus files."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from index.text import terms


class HashingEmbedder:
    """Bag of hashed word skeletons: texts sharing words get similar vectors; no model, no randomness."""

    def __init__(self, dimension: int = 64, name: str = "fake-hash-64", salt: str = "") -> None:
        self.name = name
        self._salt = salt  # another salt, other vectors of the same size: a different model
        self.dimension = dimension
        self.calls: list[int] = []
        self.fail_after: int | None = None  # raise once this many texts have been embedded

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        done = sum(self.calls)
        if self.fail_after is not None and done + len(texts) > self.fail_after:
            raise RuntimeError("embedding failed (simulated)")
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text) or ["<empty>"]:
                digest = hashlib.blake2b((self._salt + term).encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    @property
    def embedded(self) -> int:
        return sum(self.calls)


def write_corpus(folder: Path, texts: Mapping[str, str]) -> None:
    """Write each file name of `texts` into `folder` with its text."""
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")


def minimal_pdf(pages: Sequence[str], repeat: int = 1) -> bytes:
    """A small valid PDF with one line of Helvetica text per page (no PDF library needed); `repeat` > 1
    writes each page's line that many times in one compressed stream (a "text bomb")."""
    objects: list[bytes] = []
    page_ids = [3 + 2 * i for i in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for pid, text in zip(page_ids, pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET\n".encode("latin-1") * repeat
        compressed = b" /Filter /FlateDecode" if repeat > 1 else b""
        stream = zlib.compress(stream, 9) if repeat > 1 else stream
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {pid + 1} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(stream), compressed) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
