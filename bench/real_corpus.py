"""Assemble a corpus of ≥ 100k chunks of real documents (no synthetic text) for the large benchmarks.

Sources, in this order, until the chunk target is met:
1. the external evaluation articles (French Wikipedia, read from ../shared, copied only into the
   benchmark's own folder outside the repository), so their questions can be asked at full size;
2. French man pages (Debian's manpages-fr, manpages-fr-dev), rendered to text by groff;
3. Debian documentation in HTML, French then English (debian-handbook, debian-reference-fr);
4. the Python 3.11 documentation in HTML (English), then the Linux kernel documentation in HTML.
Every file is a real document a user might index, kept as the loader would see it (HTML stays HTML).
`make bench-large` installs the Debian packages (`apt-get install`, as root) before calling this.

    python -m bench.real_corpus OUT_DIR [--chunks 100000]
    python -m bench.real_corpus --packages      # the Debian packages it reads
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from index.chunking import chunk_document
from index.errors import LoaderError
from index.loaders import parse_document
from index.settings import Settings

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "eval-external" / "corpus"
DEBIAN_PACKAGES = (
    "manpages-fr",
    "manpages-fr-dev",
    "debian-handbook",
    "debian-reference-fr",
    "python3.11-doc",
    "linux-doc-6.1",
    "groff-base",
)


@dataclass(frozen=True)
class Source:
    """One real document: where it comes from and its bytes as the corpus folder will hold them."""

    family: str
    name: str
    data: bytes


def _man_page_text(path: Path) -> bytes:
    """A man page rendered as plain UTF-8 text: long lines, no hyphenation, no terminal escapes."""
    page = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    result = subprocess.run(
        ["groff", "-k", "-Tutf8", "-mandoc", "-rLL=1000n", "-rHY=0", "-P-cbou"],
        input=page,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.stdout


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file() and not p.is_symlink()) if root.is_dir() else []


def sources() -> Iterator[Source]:
    """Every available real document, in the order described above."""
    for path in _files(EXTERNAL, "*.txt"):
        yield Source("external (fr wikipedia)", path.name, path.read_bytes())
    man_pages = _files(Path("/usr/share/man/fr"), "man*/*.gz")
    with ThreadPoolExecutor(max_workers=2) as pool:
        for path, text in zip(man_pages, pool.map(_man_page_text, man_pages), strict=True):
            if text.strip():
                yield Source("man pages (fr)", f"man-fr-{path.parent.name}-{path.name[:-3]}.txt", text)
    handbook = Path("/usr/share/doc/debian-handbook/html")
    for language in ("fr-FR", "en-US"):
        for path in _files(handbook / language, "*.html"):
            yield Source(f"debian-handbook ({language[:2]})", f"handbook-{language}-{path.name}", path.read_bytes())
    for path in _files(Path("/usr/share/doc/debian-reference-common/docs"), "*.fr.html"):
        yield Source("debian-reference (fr)", f"debref-{path.name}", path.read_bytes())
    for path in _files(Path("/usr/share/doc/python3.11/html"), "**/*.html"):
        relative = path.relative_to("/usr/share/doc/python3.11/html")
        yield Source("python docs (en)", "python-" + "-".join(relative.parts), path.read_bytes())
    for path in _files(Path("/usr/share/doc/linux-doc-6.1/html"), "**/*.html"):
        relative = path.relative_to("/usr/share/doc/linux-doc-6.1/html")
        yield Source("kernel docs (en)", "kernel-" + "-".join(relative.parts), path.read_bytes())


def build(out_dir: Path, target_chunks: int, settings: Settings) -> Counter[str]:
    """Write documents into `out_dir` until they make `target_chunks` chunks; chunks per family."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks: Counter[str] = Counter()
    characters = 0
    for source in sources():
        if sum(chunks.values()) >= target_chunks:
            break
        try:
            document = parse_document(source.data, source.name)
        except LoaderError:
            continue
        count = len(chunk_document(document, settings.chunk_size, settings.chunk_overlap))
        if count == 0:
            continue
        (out_dir / source.name).write_bytes(source.data)
        chunks[source.family] += count
        characters += len(document.text)
    print(f"{sum(chunks.values()):,} chunks, {characters:,} characters of text in {out_dir}")
    for family, count in chunks.items():
        print(f"  {family}: {count:,} chunks")
    return chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, nargs="?")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--packages", action="store_true", help="print the Debian packages it reads, and stop")
    args = parser.parse_args(argv)
    if args.packages or args.out_dir is None:
        print(" ".join(DEBIAN_PACKAGES))
        return 0
    if shutil.which("groff") is None:
        print("groff is missing: install " + " ".join(DEBIAN_PACKAGES), file=sys.stderr)
        return 2
    made = build(args.out_dir, args.chunks, Settings())
    if sum(made.values()) < args.chunks:
        print(f"only {sum(made.values()):,} chunks: install " + " ".join(DEBIAN_PACKAGES), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
