"""A small news site on 127.0.0.1 for the web-page and feed tests: realistic article pages (navigation,
footer, advert boxes, metadata), an RSS 2.0 and an Atom feed, and the ways fetching goes wrong."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).resolve().parent / "data" / "web"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>The Harbour Gazette: local news</title><link>{base}/local</link><description>Local news</description>
<item><title>Council approves the Riverside tram line</title><link>{base}/local/2026/03/riverside-tram</link>
<guid isPermaLink="false">gazette-4411</guid><pubDate>Wed, 18 Mar 2026 09:30:00 GMT</pubDate>
<description>The council voted for the tram line.</description></item>
<item><title>Ferry timetable changes for the summer</title><link>{base}/local/ferry-gone</link>
<guid isPermaLink="false">gazette-4412</guid><pubDate>Thu, 19 Mar 2026 08:00:00 GMT</pubDate>
<description><![CDATA[<p>From 1 June 2026 the island ferry sails every ninety minutes,
with the last crossing at 22:40.</p>]]></description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Le Courrier de l'Aube — Culture</title>
<id>urn:courrier:culture</id><updated>{updated}</updated>
<entry><title>Jazz à Clairvaux : le festival dévoile sa programmation</title>
<link href="{base}/culture/jazz-a-clairvaux-programmation"/><id>urn:courrier:article:901</id>
<published>2026-04-02T07:15:00+02:00</published><updated>2026-04-02T07:15:00+02:00</updated>
<summary>La trente-deuxième édition aura lieu du 9 au 14 juillet.</summary></entry>
<entry><title>Le musée de la bonneterie rouvre</title><id>urn:courrier:article:902</id>
<link href="{base}/culture/musee-sans-page"/>
<published>2026-04-03T10:00:00+02:00</published><updated>{museum_updated}</updated>
<content type="html">&lt;p&gt;{museum_text}&lt;/p&gt;</content></entry>
</feed>"""


@dataclass
class Site:
    """The running site: its base URL, what it was asked, and the museum entry's version (1 or 2)."""

    base: str
    requests: list[str] = field(default_factory=list)
    museum_version: int = 1

    def url(self, path: str) -> str:
        return self.base + path


MUSEUM = {
    1: ("2026-04-03T10:00:00+02:00", "Le musée de la bonneterie de Troyes rouvre le 12 avril après travaux."),
    2: ("2026-04-05T09:00:00+02:00", "Le musée de la bonneterie de Troyes rouvrira finalement le 19 avril."),
}


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    routes = {
        "/local/2026/03/riverside-tram": ("text/html; charset=utf-8", PAGES / "tram-line.html"),
        "/culture/jazz-a-clairvaux-programmation": ("text/html", PAGES / "festival-jazz.html"),
        "/heritage/skerry.htm": ("text/html; charset=iso-8859-1", PAGES / "lighthouse-plain.html"),
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def send(self, status: int, kind: str, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            site.requests.append(self.path)
            if self.path in routes:
                kind, file = routes[self.path]
                self.send(200, kind, file.read_bytes())
            elif self.path == "/go/jazz":
                self.send(302, "text/plain", b"moved", {"Location": "/culture/jazz-a-clairvaux-programmation"})
            elif self.path == "/feeds/local.rss":
                self.send(200, "application/rss+xml", RSS.format(base=site.base).encode())
            elif self.path == "/feeds/culture.atom":
                updated, text = MUSEUM[site.museum_version]
                body = ATOM.format(base=site.base, updated=updated, museum_updated=updated, museum_text=text)
                self.send(200, "application/atom+xml; charset=utf-8", body.encode())
            elif self.path == "/slow":
                time.sleep(3)
                self.send(200, "text/html", b"<html><body><p>late</p></body></html>")
            elif self.path == "/huge":
                self.send(200, "text/html", b"<html><body>" + b"<p>filler text</p>" * 200_000 + b"</body></html>")
            elif self.path == "/archive.zip":
                self.send(200, "application/zip", b"PK\x05\x06" + b"\x00" * 18)
            elif self.path == "/empty-page":
                empty = b"<html><head><title>Nothing</title></head><body><nav>Home</nav></body></html>"
                self.send(200, "text/html", empty)
            else:
                self.send(404, "text/html", b"<html><body><h1>Not found</h1></body></html>")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return None  # a client that gives up on /huge or /slow is what those pages are for


@contextmanager
def news_site() -> Iterator[Site]:
    server = _QuietServer(("127.0.0.1", 0), _handler(Site("")))
    site = Site(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(site)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
