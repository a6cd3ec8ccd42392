"""A local fixture web site on 127.0.0.1 for the contextual tests (imported by the other test modules;
this module holds no tests itself)."""

from __future__ import annotations

import io
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

DEMO_IMG = (
    Path(__file__).resolve().parents[2] / "src" / "adlens" / "contextual" / "data" / "demo_pages" / "img"
)

SPORTS_TEXT = " ".join(
    [
        "The home team won the football championship final on Saturday with a late goal in extra time.",
        "The striker scored twice, the goalkeeper saved a penalty and the coach praised the defence.",
        "Fans filled the stadium and celebrated the league title with the players on the pitch.",
        "The club will now play in the European cup next season after a long season of matches.",
        "The midfielder was named player of the match after running more than twelve kilometres.",
    ]
    * 3
)
GERMAN_TEXT = " ".join(
    [
        "Die Mannschaft gewann am Samstag das Finale der Meisterschaft mit einem späten Tor.",
        "Der Stürmer traf zweimal, der Torwart hielt einen Elfmeter und der Trainer lobte die Abwehr.",
        "Die Fans füllten das Stadion und feierten den Titel gemeinsam mit den Spielern.",
    ]
    * 4
)


def _jpeg(name: str) -> bytes:
    return (DEMO_IMG / name).read_bytes()


def _gif_pixel() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 255, 255)).save(buf, "GIF")
    return buf.getvalue()


def _page(title: str, body: str, lang: str = "en", head: str = "") -> bytes:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="description" content="{title}">{head}</head><body>'
        f'<nav><a href="/">Home</a> <a href="/about">About</a></nav>{body}'
        "<footer>© fixture site · privacy · terms</footer></body></html>"
    ).encode()


JS_ONLY = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Loading…</title></head><body>'
    '<div id="root"></div><script>'
    "document.title = 'Cat care guide';"
    "document.getElementById('root').innerHTML = '<article><h1>Caring for your cat</h1><p>' + "
    + repr(
        "Cats need fresh water, a balanced diet of wet cat food, a clean litter tray, scratching posts "
        "and toys. Take your cat to the veterinarian every year for vaccinations, flea treatment and a "
        "dental check. Kittens and senior cats need special pet food. Play with your cat every day. "
    )
    + " + '</p></article>';</script></body></html>"
).encode()


class FixtureSite:
    """``ThreadingHTTPServer`` on 127.0.0.1 with pages for every pipeline case."""

    def __init__(self) -> None:
        pixel = _gif_pixel()
        article_body = (
            "<main><article><h1>Home team wins the football championship</h1>"
            '<img src="/img/pixel.gif" width="1" height="1" alt="">'
            '<img src="/img/site-logo.jpg" alt="logo">'
            f"<p>{SPORTS_TEXT}</p>"
            '<figure><img src="/img/motorcycle.jpg" width="640" height="432" alt="the team bus"></figure>'
            "<h2>Next season</h2><p>The club signs two new players.</p></article></main>"
        )
        self.routes: dict[str, tuple[int, str, bytes]] = {
            "/article.html": (200, "text/html; charset=utf-8", _page("Football final report", article_body)),
            "/text-only.html": (
                200,
                "text/html",
                _page("Football final", f"<article><p>{SPORTS_TEXT}</p></article>"),
            ),
            "/german.html": (
                200,
                "text/html",
                _page("Fußball", f"<article><p>{GERMAN_TEXT}</p></article>", "de"),
            ),
            "/giant.html": (
                200,
                "text/html",
                _page("Football", f"<article><p>{SPORTS_TEXT * 30}</p></article>"),
            ),
            "/empty.html": (200, "text/html", b"<!doctype html><html><head></head><body></body></html>"),
            "/js-only.html": (200, "text/html", JS_ONLY),
            "/data.json": (200, "application/json", b'{"not": "html"}'),
            "/broken.html": (500, "text/html", b"<h1>server error</h1>"),
            "/img/motorcycle.jpg": (200, "image/jpeg", _jpeg("motorcycle.jpg")),
            "/img/site-logo.jpg": (200, "image/jpeg", _jpeg("coins.jpg")),
            "/img/pixel.gif": (200, "image/gif", pixel),
            "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
        }
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                hits[path] = hits.get(path, 0) + 1
                status, kind, body = routes.get(path, (404, "text/html", b"<h1>not found</h1>"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _shared_node_cache() -> Path:
    return Path(os.environ["ADLENS_HOME"]) / "cache" / "contextual"


def warm_home(home: Path) -> Path:
    """Copy the taxonomy node embeddings other tests already computed into ``home`` (saves ~20 s each)."""
    target = home / "cache" / "contextual"
    target.mkdir(parents=True, exist_ok=True)
    if _shared_node_cache().is_dir():
        for f in _shared_node_cache().glob("nodes-*.npz"):
            if not (target / f.name).exists():
                shutil.copy2(f, target / f.name)
    return home


def share_home(home: Path) -> None:
    """Keep ``home``'s node embeddings for later tests."""
    source = home / "cache" / "contextual"
    _shared_node_cache().mkdir(parents=True, exist_ok=True)
    for f in source.glob("nodes-*.npz") if source.is_dir() else []:
        if not (_shared_node_cache() / f.name).exists():
            shutil.copy2(f, _shared_node_cache() / f.name)
