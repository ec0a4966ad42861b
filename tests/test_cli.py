"""The command line as a user drives it: index, ask (text and --json), search, eval, chat, errors."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpusbot.cli import main
from tests.conftest import ROOT, SEED_CORPUS, SEED_QUESTIONS

pytestmark = [pytest.mark.model, pytest.mark.subprocess]  # the command line as shipped: the real default model


@pytest.fixture(scope="module")
def indexed_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The seed corpus (and a binary file) indexed by `corpusbot index` once for the module: its folder
    (corpus/ and idx/) and what the command printed."""
    root = tmp_path_factory.mktemp("cli-indexed")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    (root / "corpus" / "broken.txt").write_bytes(b"\x00\x00binary")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(printed):
        env.setenv("XDG_CACHE_HOME", str(root / "cache"))  # as the per-test isolation does
        assert main(["--corpus", str(root / "corpus"), "--index-dir", str(root / "idx"), "index", "--quiet"]) == 0
    return root, printed.getvalue()


@pytest.fixture
def indexed(indexed_once: tuple[Path, str], tmp_path: Path) -> list[str]:
    """A copy of the module's index and corpus for one test (tests add files and index again)."""
    root, printed = indexed_once
    assert "Indexed 1 document(s)" in printed
    assert "broken.txt: binary file" in printed
    shutil.copytree(root / "corpus", tmp_path / "indexed-corpus")
    shutil.copytree(root / "idx", tmp_path / "idx")
    return ["--corpus", str(tmp_path / "indexed-corpus"), "--index-dir", str(tmp_path / "idx")]


def test_ask_json_has_answer_and_citations(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*indexed, "ask", "--json", "when does the deployment start?"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["answered"] is True
    assert "7 et 8 juillet" in result["answer"] or "immédiatement" in result["answer"]
    first = result["citations"][0]
    assert set(first) >= {"doc_id", "title", "date", "position", "passage", "score"}
    assert first["doc_id"] == "2023-06-belarus-nuclear-deployment.txt"
    assert first["date"] == "2023-06"
    scores = [c["score"] for c in result["citations"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_text_shows_answer_and_sources(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*indexed, "ask", "Where did Putin and Lukashenko meet?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Answer:") and "Sotchi" in out
    assert "[1] Belarus nuclear deployment — 2023-06 — ¶ 1, chars" in out


def test_out_of_corpus_question_says_nothing_found(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*indexed, "ask", "What is the capital of Australia?"]) == 0
    assert capsys.readouterr().out.strip() == "Nothing relevant found in the corpus for this question."
    assert main([*indexed, "ask", "--json", "Who won the 2022 football World Cup?"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "question": "Who won the 2022 football World Cup?",
        "answered": False,
        "answer": "",
        "citations": [],
    }


def test_search_lists_passages(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*indexed, "ask", "--search", "--json", "12 brigades"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["found"] and result["relevant"] and "12 brigades" in result["passages"][0]["passage"]


def test_a_search_below_the_relevance_bar_shows_passages_marked_as_such(
    indexed: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*indexed, "ask", "What is the capital of Australia?"]) == 0
    assert capsys.readouterr().out.startswith("Nothing relevant found")  # a question is refused...
    assert main([*indexed, "ask", "--search", "What is the capital of Australia?"]) == 0
    shown = capsys.readouterr().out  # ...a search shows the closest passages and says they fall below the bar
    assert shown.startswith("Nothing passes the relevance bar") and "[1] " in shown
    assert main([*indexed, "ask", "--search", "--json", "What is the capital of Australia?"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["found"] and not result["relevant"] and result["passages"]


@pytest.mark.skipif(not SEED_QUESTIONS.exists(), reason="shared/eval not beside the checkout")
def test_eval_prints_figures(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*indexed, "eval", "--json", str(SEED_QUESTIONS)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {"hit@1", "hit@3", "mrr", "abstention_accuracy"} <= set(figures)
    assert figures["questions"] == 15


def test_chat_answers_until_eof(indexed: list[str], tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "corpusbot", *indexed, "chat"],
        input="combien de brigades ?\n\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert "12 brigades" in process.stdout


def test_chat_catches_up_on_files_that_landed_before_it_started(indexed: list[str]) -> None:
    note = "title: Observatory note\n\nThe omega observatory was opened by Ingrid Valtonen in 2019."
    (Path(indexed[1]) / "observatory.txt").write_text(note, encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-m", "corpusbot", *indexed, "chat"],
        input="Who opened the omega observatory?\n\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert "Valtonen" in process.stdout and "Observatory note" in process.stdout


def test_chat_follows_up_continues_and_starts_over(indexed: list[str]) -> None:
    asked = "When does the deployment start?\nWho announced it?\nmore\n/new\nWho announced it?\n\n"
    process = subprocess.run(
        [sys.executable, "-m", "corpusbot", *indexed, "chat"],
        input=asked,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    replies = process.stdout.split("\n? ")[1:]  # the first piece is the greeting
    assert "(about:" not in replies[0]
    assert "(about: When does the deployment start?)" in replies[1] and "Poutine" in replies[1]
    assert "(more on: When does the deployment start?)" in replies[2] and "[4]" in replies[2]
    assert "New conversation" in replies[3]
    assert "(about:" not in replies[4]


def test_errors_are_one_friendly_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--corpus", str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "idx")]
    assert main([*base, "ask", "anything"]) == 2
    assert "has not been indexed yet" in capsys.readouterr().err
    assert main([*base, "index"]) == 2
    assert "Corpus folder not found" in capsys.readouterr().err


def test_model_mismatch_from_the_command_line(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*indexed, "--model", str(ROOT / "no-such-model"), "ask", "x"])
    assert code == 2
    assert "Cannot load embedding model" in capsys.readouterr().err


def test_strange_input_never_ends_in_a_traceback(indexed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    command = [sys.executable, "-m", "corpusbot", *indexed]
    invalid = subprocess.run([*command, "ask", b"combien de brigades caf\xe9 ?"], capture_output=True, cwd=ROOT)
    assert invalid.returncode == 0 and b"Traceback" not in invalid.stderr and b"12 brigades" in invalid.stdout
    piped = subprocess.run(
        [*command, "chat"], input=b"caf\xe9 \xff\xfe ?\ncombien de brigades ?\n\n", capture_output=True, cwd=ROOT
    )
    assert piped.returncode == 0 and b"Traceback" not in piped.stderr and b"12 brigades" in piped.stdout
    head = subprocess.run(
        f"'{sys.executable}' -m corpusbot {' '.join(indexed)} stats | head -1",
        shell=True,
        capture_output=True,
        cwd=ROOT,
    )
    assert head.returncode == 0 and b"Traceback" not in head.stderr and b"document(s)" in head.stdout
    assert main([*indexed, "ask", "--json", "combien de\x00 brigades\x07 ?"]) == 0
    assert json.loads(capsys.readouterr().out)["answered"] is True


def test_index_reports_progress_in_plain_lines_when_not_on_a_terminal(seed_corpus: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "corpusbot", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "i"), "index"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("Embedding: ")]
    assert lines and lines[-1].endswith("(100 %)") and "\r" not in run.stderr
