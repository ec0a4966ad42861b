"""The manifest's documents as stored: written and read back the same, by this process and by another one."""

from __future__ import annotations

import json
from dataclasses import replace

from index.models import DocumentInfo
from index.store import manifest as manifest_module
from index.store.manifest import Manifest


def _manifest(docs: dict[str, DocumentInfo]) -> Manifest:
    return Manifest(model="m", dimension=3, chunk_size=800, chunk_overlap=100, docs=docs)


def _docs() -> dict[str, DocumentInfo]:
    titles = ["Plain", 'Quotes " and \\ backslash', "Two lines,\nand a comma before the break", "Été à Kyïv 🌻", ""]
    return {
        f"folder/doc-{n}.md": DocumentInfo(
            doc_id=f"folder/doc-{n}.md",
            title=title,
            date="2023-06-16",
            url="https://example.org/a,\nb" if n == 2 else "",
            chunks=n + 1,
            version=f"{n:016x}",
            path=f"folder/doc-{n}.md",
            background=0.25 if n else None,
            lang="fr",
            backgrounds={"en": 0.1, "fr": 0.2} if n else {},
        )
        for n, title in enumerate(titles)
    }


def test_documents_read_back_as_written_in_this_process_and_in_another(monkeypatch) -> None:
    docs = _docs()
    first = _manifest(docs).to_metadata()
    changed = dict(docs)
    changed["folder/doc-1.md"] = replace(docs["folder/doc-1.md"], chunks=9, version="f" * 16)
    del changed["folder/doc-3.md"]
    changed["new.md"] = replace(docs["folder/doc-0.md"], doc_id="new.md", path="new.md")
    second = _manifest(changed).to_metadata()

    assert json.loads(second["docs"]) == {doc_id: manifest_module._fields(info) for doc_id, info in changed.items()}
    read = Manifest.from_metadata(second)
    assert read is not None and read.docs == changed

    monkeypatch.setattr(manifest_module, "_DOCUMENTS", manifest_module._DocumentsJson())  # another process
    for metadata, expected in ((first, docs), (second, changed), (first, docs)):
        read = Manifest.from_metadata(dict(metadata))
        assert read is not None and read.docs == expected
        read.docs.clear()  # the caller's own dict: the next read is not affected
    assert Manifest.from_metadata(first).docs == docs  # type: ignore[union-attr]


def test_a_manifest_written_on_one_line_by_an_older_version_reads(monkeypatch) -> None:
    docs = _docs()
    metadata = _manifest(docs).to_metadata()
    metadata["docs"] = json.dumps({doc_id: manifest_module._fields(info) for doc_id, info in docs.items()})
    monkeypatch.setattr(manifest_module, "_DOCUMENTS", manifest_module._DocumentsJson())
    read = Manifest.from_metadata(metadata)
    assert read is not None and read.docs == docs
    empty = Manifest.from_metadata(_manifest({}).to_metadata())
    assert empty is not None and empty.docs == {}
