"""Assemble a corpus of ≥ 100k chunks of real documents (no synthetic text) for the large benchmarks.

Sources, in this order, until the chunk target is met:
1. the external evaluation articles (French Wikipedia, read from ../shared, copied only into the
   benchmark's own folder outside the repository), so their questions can be asked at full size;
2. man pages from Debian's manpages-* packages, rendered to text by groff: French, then German,
   Spanish, Italian, Polish, Brazilian Portuguese, Russian, Dutch, Romanian, then English;
3. the Debian handbook in HTML in its 25 languages (French and English first), the Debian reference
   in French, German, Spanish, Italian, Portuguese and English;
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
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from index.errors import LoaderError
from index.ingest.chunking import chunk_document
from index.ingest.loaders import parse_document
from index.settings import Settings

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "eval-external" / "corpus"
# Man pages first (e5 embeds them at ~7.6 chunks/s here, HTML documentation at ~2.8), French first,
# then other languages, then English.
MAN_PAGES = (
    "manpages-fr",
    "manpages-fr-dev",
    "manpages-de",
    "manpages-es",
    "manpages-it",
    "manpages-pl",
    "manpages-pt-br",
    "manpages-ru",
    "manpages-nl",
    "manpages-ro",
    "manpages",
    "manpages-dev",
)
REFERENCE_LANGUAGES = ("fr", "de", "es", "it", "pt", "en")
DEBIAN_PACKAGES = (
    *MAN_PAGES,
    "debian-handbook",
    *(f"debian-reference-{language}" for language in REFERENCE_LANGUAGES),
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


def _regular_files(paths: Iterable[Path]) -> list[Path]:
    """`paths` that are regular files, not links to one, sorted."""
    return sorted(p for p in paths if p.is_file() and not p.is_symlink())


def _files(root: Path, pattern: str) -> list[Path]:
    return _regular_files(root.glob(pattern)) if root.is_dir() else []


def _package_man_pages(package: str) -> list[Path]:
    """The man pages a Debian package installed (from its file list, so the corpus does not depend on
    whatever else the machine has)."""
    listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False).stdout
    return _regular_files(
        Path(line) for line in listed.splitlines() if line.startswith("/usr/share/man/") and line.endswith(".gz")
    )


def _rendered(family: str, prefix: str, pages: list[Path]) -> Iterator[Source]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        for path, text in zip(pages, pool.map(_man_page_text, pages), strict=True):
            if text.strip():
                name = "-".join(path.relative_to("/usr/share/man").parts)[:-3]
                yield Source(family, f"{prefix}-{name}.txt", text)


def sources() -> Iterator[Source]:
    """Every available real document, in the order described above."""
    for path in _files(EXTERNAL, "*.txt"):
        yield Source("external (fr wikipedia)", path.name, path.read_bytes())
    for package in MAN_PAGES:
        yield from _rendered(f"man pages ({package})", "man", _package_man_pages(package))
    handbook = Path("/usr/share/doc/debian-handbook/html")
    for language in ["fr-FR", "en-US", *sorted(p.name for p in handbook.glob("*") if p.name not in {"fr-FR", "en-US"})]:
        for path in _files(handbook / language, "*.html"):
            yield Source("debian-handbook (25 languages)", f"handbook-{language}-{path.name}", path.read_bytes())
    for language in REFERENCE_LANGUAGES:
        for path in _files(Path("/usr/share/doc/debian-reference-common/docs"), f"*.{language}.html"):
            yield Source("debian-reference (fr, de, es, it, pt, en)", f"debref-{path.name}", path.read_bytes())
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
