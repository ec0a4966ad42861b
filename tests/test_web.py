"""Web pages by address (`corpusbot add`, an admin's link to the bot) and news feeds, against a local site."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
import pytest

from corpusbot import cli
from devtools import fake_telegram as tg
from index.answer.answerer import QuestionAnswerer, build
from index.errors import FetchError
from index.ingest.feeds import FeedPoller, FeedReader
from index.ingest.loaders import parse_document, write_file
from index.ingest.web import corpus_file, default_fetcher, fetch
from index.live import LiveCorpus
from index.settings import Settings
from tests.bot_harness import running_bot
from tests.fakes import HashingEmbedder
from tests.news_site import Site, news_site

ADMIN, MEMBER = 501, 502
TRAM = "/local/2026/03/riverside-tram"


@pytest.fixture
def site() -> Site:
    with news_site() as running:
        yield running  # type: ignore[misc]


def local_fetch(url: str, timeout: float = 5.0, max_bytes: int = 1_000_000):  # type: ignore[no-untyped-def]
    return fetch(url, timeout=timeout, max_bytes=max_bytes, allow_private=True)


def test_a_page_becomes_its_article_with_title_date_author_and_address(site: Site) -> None:
    doc_id, data = corpus_file(local_fetch(site.url(TRAM)))
    assert doc_id == "web/127.0.0.1/local-2026-03-riverside-tram.md"
    document = parse_document(data, doc_id)
    assert document.title == "Council approves the Riverside tram line"
    assert (document.date, document.author) == ("2026-03-18", "Maria Okafor")
    assert document.url == "https://gazette.example.org/local/2026/03/riverside-tram"  # the page's canonical link
    assert "412 million pounds" in document.text and "Priya Raman" in document.text
    for boilerplate in ("cookies", "Subscribe", "Bus drivers", "Most read", "All rights reserved", "Harbourfan77"):
        assert boilerplate not in document.text


def test_fetch_failures_say_what_went_wrong(site: Site) -> None:
    with pytest.raises(FetchError, match="not found \\(HTTP 404\\)"):
        local_fetch(site.url("/no-such-page"))
    with pytest.raises(FetchError, match="within 1 s"):
        local_fetch(site.url("/slow"), timeout=1.0)
    with pytest.raises(FetchError, match="1 MB limit"):
        local_fetch(site.url("/huge"))
    with pytest.raises(FetchError, match="content type application/zip"):
        corpus_file(local_fetch(site.url("/archive.zip")))
    with pytest.raises(FetchError, match="no article text"):
        corpus_file(local_fetch(site.url("/empty-page")))
    with pytest.raises(FetchError, match="not a web address"):
        local_fetch("file:///etc/passwd")
    assert local_fetch(site.url("/go/jazz")).url.endswith("/culture/jazz-a-clairvaux-programmation")  # redirected


def test_private_and_local_addresses_are_refused_unless_allowed(site: Site) -> None:
    public = default_fetcher(allow_private=False)
    for url in (site.url(TRAM), "http://localhost:9/x", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(FetchError, match="FETCH_PRIVATE_HOSTS=true"):
            public(url)
    assert site.requests == []  # refused before any connection

    def redirect_inward(request: httpx.Request) -> httpx.Response:  # a public page that redirects inside
        return httpx.Response(302, headers={"Location": "http://192.168.0.10/admin"})

    inward = httpx.MockTransport(redirect_inward)
    with pytest.raises(FetchError, match=r"192\.168\.0\.10"):
        fetch("http://93.184.216.34/", timeout=5, max_bytes=1000, allow_private=False, transport=inward)


def test_corpusbot_add_saves_and_indexes_pages_and_adds_nothing_on_failure(
    site: Site, settings: Settings, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    components = build(settings, embedder=HashingEmbedder())
    urls = [site.url(TRAM), site.url("/go/jazz"), site.url("/no-such-page"), site.url("/archive.zip")]
    status = cli._add(components, settings, argparse.Namespace(urls=urls, quiet=True))
    out, err = capsys.readouterr()
    assert status == 1  # two of four failed
    assert "Added: Council approves the Riverside tram line (web/127.0.0.1/local-2026-03-riverside-tram.md" in out
    assert "Added: Jazz à Clairvaux" in out
    assert "Not added: " + site.url("/no-such-page") + ": the page was not found (HTTP 404)" in err
    assert "content type application/zip" in err
    assert sorted(p.name for p in (corpus / "web" / "127.0.0.1").iterdir()) == [
        "culture-jazz-a-clairvaux-programmation.md",
        "local-2026-03-riverside-tram.md",
    ]
    again = cli._add(components, settings, argparse.Namespace(urls=urls[:1], quiet=True))
    assert again == 0 and "Already in the corpus, unchanged: Council approves" in capsys.readouterr().out
    assert components.answerer().stats().documents == 2  # running it twice adds nothing
    answer = components.answerer().ask("Combien coûte le pass pour les six soirées du festival ?")
    assert answer.answered and "145 euros" in answer.text
    assert answer.citations[0].url == "https://courrier-aube.example.fr/culture/jazz-a-clairvaux-programmation"
    assert answer.citations[0].date == "2026-04-02"


async def test_an_admins_link_is_added_like_an_upload_and_others_links_are_questions(
    site: Site, live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,), fetch_private_hosts=True) as bot:
        reply = await bot.reply_to(tg.message(site.url(TRAM), user_id=ADMIN), ADMIN)
        assert "Added <b>Council approves the Riverside tram line</b>, 2026-03-18" in reply.params["text"]
        question = tg.message("Who is the opposition leader criticising the levy?", user_id=ADMIN)
        answer = await bot.reply_to(question, ADMIN)
        assert "Priya Raman" in answer.params["text"] and "Riverside tram" in answer.params["text"]
        missing = await bot.reply_to(tg.message(site.url("/no-such-page"), user_id=ADMIN), ADMIN)
        assert "Not added" in missing.params["text"] and "HTTP 404" in missing.params["text"]
        requests = len(site.requests)
        await bot.reply_to(tg.message(site.url("/culture/jazz-a-clairvaux-programmation"), user_id=MEMBER), MEMBER)
        assert len(site.requests) == requests  # a member's link is read as a question, never fetched
    assert sorted(p.name for p in (corpus / "web" / "127.0.0.1").iterdir()) == ["local-2026-03-riverside-tram.md"]


async def test_the_bot_refuses_links_to_its_own_network_by_default(
    site: Site, live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    async with running_bot(answerer, live=corpus_live, admin_user_ids=(ADMIN,)) as bot:
        reply = await bot.reply_to(tg.message(site.url(TRAM), user_id=ADMIN), ADMIN)
        assert "Not added" in reply.params["text"] and "FETCH_PRIVATE_HOSTS=true" in reply.params["text"]
    assert site.requests == [] and not (corpus / "web").exists()


def test_feed_items_become_dated_cited_documents_once_and_updates_replace_them(
    site: Site, settings: Settings, corpus: Path
) -> None:
    components = build(settings, embedder=HashingEmbedder())
    reader = FeedReader(local_fetch, lambda doc_id, data: write_file(corpus, doc_id, data), corpus)
    feeds = (site.url("/feeds/local.rss"), site.url("/feeds/culture.atom"), site.url("/feeds/missing.xml"))
    first = FeedPoller(reader, feeds, 15).poll_all()
    assert [len(r.added) for r in first] == [2, 2, 0] and "HTTP 404" in first[2].problem
    components.indexer().run(corpus)
    answerer = components.answerer()
    tram = answerer.ask("How much is the Riverside tram line budgeted at?")
    assert tram.answered and "412 million pounds" in tram.citations[0].passage  # the article, not the item's line
    assert tram.citations[0].url == site.url(TRAM)  # cited with the item's link
    assert tram.citations[0].date == "2026-03-18"
    ferry = answerer.ask("How often does the island ferry sail from June?")  # its link is gone: the item's text
    assert ferry.answered and "ninety minutes" in ferry.text and ferry.citations[0].date == "2026-03-19"
    assert ferry.citations[0].url == site.url("/local/ferry-gone")

    again = FeedPoller(reader, feeds, 15).poll_all()
    assert [(len(r.added), len(r.updated), r.unchanged) for r in again[:2]] == [(0, 0, 2), (0, 0, 2)]
    site.museum_version = 2  # the museum entry is corrected upstream
    fetched_before = len(site.requests)
    updated = FeedPoller(reader, feeds, 15).poll_all()
    assert [(len(r.added), len(r.updated)) for r in updated[:2]] == [(0, 0), (0, 1)]
    assert len(site.requests) - fetched_before == 4  # three feeds and the one changed item's page, nothing else
    report = components.indexer().run(corpus)
    assert len(report.updated) == 1 and not report.added and report.documents == 4
    museum = components.answerer().ask("Quand le musée de la bonneterie rouvrira-t-il ?")
    assert museum.answered and "19 avril" in museum.text and "12 avril" not in museum.text


def test_the_poller_feeds_a_live_corpus_in_its_own_thread(
    site: Site, live_corpus: tuple[LiveCorpus, QuestionAnswerer], corpus: Path
) -> None:
    corpus_live, answerer = live_corpus
    reader = FeedReader(local_fetch, corpus_live.put, corpus)
    poller = FeedPoller(reader, (site.url("/feeds/culture.atom"),), minutes=0.01)
    poller.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(answerer.stats().docs) < 3:
            time.sleep(0.05)
        assert len(answerer.stats().docs) == 3  # alpha.txt and the two entries
        assert poller.passes >= 1
        answer = answerer.ask("Quel est le prix du pass pour les six soirées ?")
        assert answer.answered and "145 euros" in answer.text
    finally:
        poller.stop()
