"""The `corpusbot` command: index, ask, chat, eval, stats and serve."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corpusbot import render
from corpusbot.messages import explain
from index.answer.conversation import Memory
from index.errors import CorpusbotError
from index.settings import Settings

if TYPE_CHECKING:  # the heavy modules load only for the commands that need them
    from index.answer.answerer import Components, QuestionAnswerer
    from index.models import IndexReport

log = logging.getLogger("corpusbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corpusbot", description="Cited answers over a document corpus.")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: CORPUS_DIR or ./corpus)")
    parser.add_argument("--index-dir", type=Path, help="where the embedded index lives (default: INDEX_DIR)")
    parser.add_argument("--model", help="embedding model (default: EMBEDDING_MODEL or e5-small-q4)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="index (or update the index of) the corpus folder")
    index.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    index.add_argument("--quiet", action="store_true", help="no progress bar")

    ask = commands.add_parser("ask", help="answer one question")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.add_argument("--search", action="store_true", help="top passages only, no answer extraction")

    add = commands.add_parser("add", help="fetch web pages (or documents) by address into the corpus, and index them")
    add.add_argument("urls", nargs="+", metavar="URL")
    add.add_argument("--quiet", action="store_true", help="no progress bar")

    commands.add_parser("chat", help="interactive question-answering session")

    evaluation = commands.add_parser("eval", help="evaluate on a JSONL question file")
    evaluation.add_argument("file", type=Path)
    evaluation.add_argument("--json", action="store_true")

    commands.add_parser("stats", help="what the index holds")
    commands.add_parser("serve", help="run the Telegram bot")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.corpus:
        overrides["corpus_dir"] = args.corpus
    if args.index_dir:
        overrides["index_dir"] = args.index_dir
    if args.model:
        overrides["embedding_model"] = args.model
    return Settings(**overrides)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings(args)
        return _run(args, settings)
    except CorpusbotError as exc:
        log.debug("command failed", exc_info=True)
        print(f"corpusbot: {explain(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `corpusbot stats | head -1`: the reader is gone, nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the one edge where unexpected failures become a friendly line
        log.exception("unexpected error")
        print(f"corpusbot: unexpected error ({type(exc).__name__}); see the log above.", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bot.app import serve
        from bot.settings import BotSettings

        return serve(settings, BotSettings())

    from index.answer.answerer import build

    if not settings.chroma_host:  # the embedded index: know at once whether another process holds it
        from index.store import locking

        locking.acquire(settings.index_dir, settings.index_lock_wait, on_wait=_say_waiting(settings))
    components = build(settings)
    try:
        return _run_core(args, settings, components)
    finally:
        components.store.close()  # let go of the embedded index as soon as the command is done


def _say_waiting(settings: Settings) -> Callable[[str], None]:
    def say(holder: str) -> None:
        print(
            f"corpusbot: the index is in use by {holder}; waiting up to {settings.index_lock_wait:g} s…",
            file=sys.stderr,
        )

    return say


def _run_core(args: argparse.Namespace, settings: Settings, components: Components) -> int:
    if args.command == "index":
        return _index(components, settings, args)
    if args.command == "add":
        return _add(components, settings, args)
    answerer = components.answerer()
    if args.command == "ask":
        question = " ".join(args.question)  # the answerer cleans it
        if args.search:
            search = answerer.browse(question)
            print(render.search_json(search) if args.json else render.search_text(search))
        else:
            answer = answerer.ask(question)
            print(render.answer_json(answer) if args.json else render.answer_text(answer))
        return 0
    if args.command == "chat":
        if settings.watch_corpus:  # files added, changed or removed meanwhile are answerable at once
            live = components.live(answerer)
            live.catch_up()  # and those that landed before the chat started
            live.start_watching(_say_corpus_changed)
            feeds = components.feed_poller(live.put)
            feeds.start()  # polled in a thread of their own, every FEED_MINUTES
        return _chat(answerer, settings.follow_up_minutes * 60)
    if args.command == "eval":
        from index.evaluation import evaluate, load_questions

        questions = load_questions(args.file)
        # Five citations per question, so hit@5 means something; the order is the same as with TOP_K.
        evaluated = components.answerer(top_k=max(5, settings.top_k))
        # Lines that follow others up are asked as conversations (see tests/data/follow-up-questions.jsonl).
        conversational = any(q.follow_up_of for q in questions)
        report = evaluate(questions, evaluated.ask, evaluated.reply if conversational else None)
        if args.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            print(render.eval_text(report))
        return 0
    if args.command == "stats":
        print(render.stats_text(answerer.stats()))
        return 0
    raise AssertionError(args.command)


def _index(components: Components, settings: Settings, args: argparse.Namespace) -> int:
    if settings.feeds:  # each feed once, its new and updated items written into the corpus folder
        import functools

        from index.ingest.loaders import write_file

        poller = components.feed_poller(functools.partial(write_file, settings.corpus_dir))
        for feed in poller.poll_all():
            print(render.feed_text(feed), file=sys.stderr)
    report = _run_indexer(components, settings, args.quiet, args.rebuild)
    print(render.report_text(report))
    return 0


def _add(components: Components, settings: Settings, args: argparse.Namespace) -> int:
    """Fetch each address into the corpus, index, and say what each became; a failure adds nothing."""
    from index.errors import FetchError
    from index.ingest.loaders import write_file
    from index.ingest.web import corpus_file

    fetch = components.fetcher(allow_private=True)  # the operator's own command: any address
    saved: dict[str, tuple[str, bytes | None]] = {}
    same: set[str] = set()  # fetched again, no different from what the corpus holds
    failed = 0
    for url in args.urls:
        try:
            doc_id, data = corpus_file(fetch(url))
        except FetchError as exc:
            print(f"Not added: {url}: {exc}", file=sys.stderr)
            failed += 1
            continue
        path = settings.corpus_dir / doc_id
        before = path.read_bytes() if path.is_file() else None
        saved[url] = (doc_id, before)
        if before != data:
            write_file(settings.corpus_dir, doc_id, data)
        else:
            same.add(url)
    if not saved:
        return 1
    report = _run_indexer(components, settings, args.quiet)
    problems = {s.path: s.reason for s in report.skipped}
    manifest = components.store.read_manifest()  # what was indexed; no need to load the chunks
    titles = {d.doc_id: (d.title, d.chunks) for d in (manifest.docs.values() if manifest else ())}
    for url, (doc_id, before) in saved.items():
        if doc_id in problems or doc_id not in titles:
            failed += 1
            if before is None:
                (settings.corpus_dir / doc_id).unlink(missing_ok=True)
            else:
                write_file(settings.corpus_dir, doc_id, before)
            print(f"Not added: {url}: {problems.get(doc_id, 'it could not be indexed')}", file=sys.stderr)
            continue
        title, chunks = titles[doc_id]
        done = "Already in the corpus, unchanged" if url in same else "Added"
        print(f"{done}: {title} ({doc_id}, {chunks} passage{'s' if chunks != 1 else ''}) from {url}")
    return 1 if failed else 0


def _run_indexer(components: Components, settings: Settings, quiet: bool, rebuild: bool = False) -> IndexReport:
    from tqdm import tqdm

    bar = tqdm(total=0, unit="chunk", desc="Embedding", disable=quiet or None, file=sys.stderr)
    # Not a terminal (a log file, a service manager): a line every 10 % instead of a bar.
    plain = not quiet and not sys.stderr.isatty()
    reported = [-1]

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        step = 100 * done // max(total, 1) // 10
        if plain and total and step > reported[0]:
            reported[0] = step
            print(f"Embedding: {done}/{total} chunks ({100 * done // total} %)", file=sys.stderr, flush=True)

    def ocr_progress(doc_id: str, page: int, pages: int) -> None:
        if not quiet:
            print(f"OCR: {doc_id}, page {page} of {pages}", file=sys.stderr, flush=True)

    try:
        report = components.indexer(ocr_progress).run(settings.corpus_dir, rebuild=rebuild, progress=progress)
    finally:
        bar.close()
    if report.documents:
        components.calibrate(force=rebuild)  # the relevance bar this index derives for itself
    return report


def _say_corpus_changed(report: IndexReport) -> None:
    if report.changed:
        changes = f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed"
        print(f"\n(corpus re-indexed: {changes})", file=sys.stderr, flush=True)


def _chat(answerer: QuestionAnswerer, follow_up_seconds: float) -> int:
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # invalid bytes piped in must not end the session
    print("Ask a question about the corpus (empty line or Ctrl-D to quit; /new starts a new conversation).")
    memory = Memory(follow_up_seconds)
    while True:
        try:
            question = input("? ").strip()
        except EOFError:
            print()
            return 0
        if not question or question.lower() in {"quit", "exit", ":q"}:
            return 0
        if question.lower() in {"/new", "/reset"}:
            memory.forget("chat")
            print("New conversation: the next question is read on its own.\n")
            continue
        try:
            turn = answerer.reply(question, memory.get("chat"))
            memory.remember("chat", turn)
            print(render.answer_text(turn.answer))
        except CorpusbotError as exc:
            print(f"corpusbot: {explain(exc)}")
        print()
