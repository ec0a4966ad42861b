"""Chunking: sentence boundaries in French and English, exact offsets, overlap, pages."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from index.ingest.chunking import chunk_document
from index.ingest.loaders import load_corpus
from index.models import Document
from index.sentences import split_paragraphs, split_sentences
from tests.conftest import SEED_CORPUS


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_french_quotes_abbreviations_and_apostrophes() -> None:
    text = "« Donc, tout est stable », a déclaré Poutine. M. Barry a ajouté qu’il fallait attendre. « Oui. » Non !"
    assert sentences(text) == [
        "« Donc, tout est stable », a déclaré Poutine.",
        "M. Barry a ajouté qu’il fallait attendre.",
        "« Oui. »",
        "Non !",
    ]


def test_english_initials_and_captions() -> None:
    text = "J. Smith met Dr. Jones in the U.S. yesterday. Talks went well (Photo: AP) The next round starts soon."
    assert sentences(text) == [
        "J. Smith met Dr. Jones in the U.S. yesterday.",
        "Talks went well (Photo: AP)",
        "The next round starts soon.",
    ]


def test_seed_chunks_point_at_exact_file_offsets() -> None:
    [doc] = load_corpus(SEED_CORPUS, 10**7).documents
    raw = (SEED_CORPUS / doc.doc_id).read_text(encoding="utf-8")
    chunks = chunk_document(doc, 450, 120)
    assert len(chunks) > 5
    for chunk in chunks:
        assert raw[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 450 + 450 // 4
    # Every sentence of the document lies whole inside at least one chunk.
    spans = [
        span for p_start, p_end in split_paragraphs(doc.text) for span in split_sentences(doc.text, p_start, p_end)
    ]
    for start, end in spans:
        s, e = start + doc.body_offset, end + doc.body_offset
        assert any(c.start <= s and e <= c.end for c in chunks)
    assert {c.paragraph for c in chunks} == {1, 2}


def test_overlap_repeats_whole_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    doc = Document(doc_id="d", path="d", title="t", text=text)
    chunks = chunk_document(doc, 120, 60)
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end, "consecutive chunks overlap"
        assert text[after.start - 1] == " " and text[after.start] == "S", "overlap starts on a sentence"


def test_short_paragraphs_share_a_chunk_and_keep_their_position() -> None:
    # A man page or an HTML reference: a heading, then many one-line options.
    options = "\n\n".join(f"--option-{i}\n\nTurns feature {i} on for every file listed." for i in range(40))
    text = f"Introduction text that explains the tool in one sentence.\n\nOPTIONS\n\n{options}"
    chunks = chunk_document(Document(doc_id="m.txt", path="m.txt", title="t", text=text), 700, 150)
    assert len(chunks) < 10  # 82 paragraphs, about 2,800 characters
    assert all(len(c.text) >= 350 for c in chunks[:-1])  # none is a lone heading or option
    assert chunks[0].text.startswith("Introduction") and "OPTIONS" in chunks[0].text
    paragraphs = [a for a, _ in split_paragraphs(text)]
    assert all(paragraphs[c.paragraph - 1] == c.start for c in chunks)  # position = its first paragraph


def test_a_chunk_ends_with_its_paragraph_when_it_can() -> None:
    first = " ".join(f"First paragraph sentence {i}." for i in range(14))  # ~390 characters
    second = " ".join(f"Second paragraph sentence {i}." for i in range(14))
    text = f"{first}\n\n{second}"
    chunks = chunk_document(Document(doc_id="d.txt", path="d.txt", title="t", text=text), 700, 150)
    assert [c.text for c in chunks] == [first, second]
    assert [c.paragraph for c in chunks] == [1, 2]


def test_a_heading_joins_the_long_paragraph_it_introduces() -> None:
    long_paragraph = " ".join(f"Long paragraph sentence number {i} goes on." for i in range(40))
    text = f"Parameters\n\n{long_paragraph}"
    chunks = chunk_document(Document(doc_id="h.txt", path="h.txt", title="t", text=text), 700, 150)
    assert chunks[0].text.startswith("Parameters\n\nLong paragraph sentence number 0")
    assert chunks[0].paragraph == 1 and len(chunks[0].text) <= 700 * 5 // 4
    assert all(len(c.text) > 100 for c in chunks)


def test_over_long_sentence_is_split_at_spaces() -> None:
    text = "word " * 400
    doc = Document(doc_id="d", path="d", title="t", text=text.strip() + ".")
    chunks = chunk_document(doc, 200, 50)
    assert len(chunks) > 5
    assert all(len(c.text) <= 250 for c in chunks)
    assert all(not c.text.startswith(" ") and doc.text[c.start : c.end] == c.text for c in chunks)


def test_pdf_chunks_carry_page_numbers() -> None:
    text = "Page one text.\n\nPage two text."
    doc = Document(doc_id="r.pdf", path="r.pdf", title="t", text=text, pages=((0, 1), (16, 2)))
    chunks = chunk_document(doc, 200, 0)
    assert [(c.text, c.page) for c in chunks] == [("Page one text.", 1), ("Page two text.", 2)]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc ABC.!?«»’'\n()é:")), max_size=600), st.integers(60, 300))
def test_chunks_are_exact_slices_for_any_text(text: str, size: int) -> None:
    doc = Document(doc_id="d", path="d", title="t", text=text)
    for chunk in chunk_document(doc, size, size // 3):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text


def test_pathological_text_gives_sensible_chunks() -> None:
    import base64

    blob = base64.b64encode(bytes(range(256)) * 8000).decode()  # ~2.7 MB with no space at all
    prose = "Le pont de Lyon ouvre le 3 mars. Les travaux ont duré deux ans."
    text = f'{prose}\n\n<img src="data:image/png;base64,{blob}">\n\n{prose}'
    chunks = chunk_document(Document("page.txt", "page.txt", "Page", text), 700, 150)
    assert len(chunks) == 2 and all("base64" not in c.text and len(c.text) <= 700 for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)

    wall = " ".join(f"mot{n % 997} suite" for n in range(200_000))  # 2.8 MB, one line, no sentence end
    walled = chunk_document(Document("wall.txt", "wall.txt", "Wall", wall), 700, 150)
    assert all(len(c.text) <= 700 for c in walled)
    assert len(wall) / 700 <= len(walled) <= 2 * len(wall) / 700
