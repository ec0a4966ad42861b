"""The architecture as import rules: only bot/ knows Telegram; the two core pipelines stay apart; the
product never imports the benchmarks or the developer tools."""

from __future__ import annotations

import ast

from tests.conftest import ROOT


def _imports(folder: str) -> dict[str, set[str]]:
    """Every module each Python file under `folder` imports (absolute names)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[path.relative_to(ROOT).as_posix()] = names
    return found


def _offending(folders: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path} imports {name}"
        for folder in folders
        for path, names in _imports(folder).items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_only_the_bot_imports_telegram() -> None:
    assert _imports("index") and _offending(["index", "corpusbot"], ("telegram",)) == []


def test_ingest_and_search_do_not_import_each_other() -> None:
    assert _offending(["index/ingest"], ("index.search",)) == []
    assert _offending(["index/search"], ("index.ingest",)) == []


def test_the_product_never_imports_benchmarks_or_developer_tools() -> None:
    assert _offending(["index", "bot", "corpusbot"], ("bench", "devtools", "tests")) == []
