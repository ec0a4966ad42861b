"""A synthetic but realistic corpus: real French and English sentences the project ships, recombined."""

from __future__ import annotations

import random
import re
from pathlib import Path

from index.ingest.loaders import load_corpus
from index.sentences import split_paragraphs, split_sentences

ROOT = Path(__file__).resolve().parent.parent
_NAMES = ("Poutine", "Loukachenko", "Sotchi", "Kiev", "Zelenskiy", "Bakhmut", "Tokmak", "Orikhiv", "Barry", "Moscou")
_SYLLABLES = "ka lo mi ra vo sen tar bel dun osk ev iv grad mir pol zar nik tov lan bor".split()


def sentence_pool() -> list[str]:
    """Sentences from the default corpus (French) and the README (English)."""
    pool = []
    for document in load_corpus(ROOT / "corpus", 10**8).documents:
        pool += [document.text[a:b] for a, b in split_sentences(document.text)]
    readme = re.sub(r"[`*#|\[\]]", "", (ROOT / "README.md").read_text(encoding="utf-8"))
    for start, end in split_paragraphs(readme):
        for a, b in split_sentences(readme, start, end):
            sentence = " ".join(readme[a:b].split())
            if 40 <= len(sentence) <= 400 and sentence[0].isupper() and sentence.endswith("."):
                pool.append(sentence)
    return pool


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _vary(sentence: str, names: dict[str, str], rng: random.Random) -> str:
    for old, new in names.items():
        sentence = sentence.replace(old, new)
    return re.sub(r"\d+", lambda m: str(rng.randint(1, 10 ** len(m.group()))), sentence)


def generate(folder: Path, target_chunks: int, seed: int = 7, chars_per_chunk: int = 310) -> int:
    """Write documents totalling about `target_chunks` chunks; returns the number of files."""
    rng = random.Random(seed)
    pool = sentence_pool()
    folder.mkdir(parents=True, exist_ok=True)
    budget = target_chunks * chars_per_chunk
    written = files = 0
    while written < budget:
        names = {old: _name(rng) for old in rng.sample(_NAMES, 4)}
        paragraphs = []
        for _ in range(rng.randint(3, 12)):
            sentences = [_vary(rng.choice(pool), names, rng) for _ in range(rng.randint(2, 7))]
            paragraphs.append(" ".join(sentences))
        title = f"{_name(rng)} {_name(rng)} report {files}"
        body = f"title: {title}\ndate: 20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}\n\n" + "\n\n".join(paragraphs)
        path = folder / f"{files // 1000:03d}" / f"doc-{files:06d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(body, encoding="utf-8")
        written += len(body)
        files += 1
    return files
