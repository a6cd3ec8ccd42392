"""The fixture web site served on 127.0.0.1 (random free port) for the fetch tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A valid 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5e1b3a50000000049454e44ae426082"
)
FRENCH = "Café crème, déjà vu, naïve façade, œuvre — prix 5 € « très » “bien” ‘oui’ … à bientôt."
CP1252_TEXT = " ".join([FRENCH] * 4)
HUGE = 2 * 1024 * 1024

JS_PAGE = """<!doctype html><html><head><title>JS images</title><meta charset="utf-8"></head>
<body><h1>Spring sale</h1><p>Shoes and bags at great prices, this week only. Our spring collection brings
light leather sneakers, canvas totes and weekend bags in six colours, with free delivery on every order
and free returns within thirty days. Visit a store near you or order online.</p>
<div id="slot"></div>
<div style="height: 4000px">spacer</div>
<div class="lazy" data-img="/img/lazy.png">below the fold</div>
<script>
window.addEventListener('load', () => setTimeout(() => {
  const img = document.createElement('img'); img.src = '/img/js.png'; img.alt = 'inserted';
  document.getElementById('slot').appendChild(img);
}, 200));
const io = new IntersectionObserver((entries) => entries.forEach((e) => {
  if (!e.isIntersecting) return;
  const img = document.createElement('img'); img.src = e.target.dataset.img; img.alt = 'lazy';
  e.target.appendChild(img); io.unobserve(e.target);
}));
document.querySelectorAll('.lazy').forEach((el) => io.observe(el));
</script></body></html>"""

SPA_PAGE = """<!doctype html><html><head><title>App</title></head><body>
<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
<script>document.getElementById('root').innerHTML =
  '<h1>Rendered headline</h1><p>Content that only exists after JavaScript ran.</p><img src="/img/spa.png">';
</script></body></html>"""


COOKIE_PAGE = """<!doctype html><html><body><p id="out">no cookies</p>
<p id="echo">no echo</p>
<script>document.getElementById('out').textContent = 'cookies: ' + document.cookie;
fetch('/echo-cookie').then((r) => r.text()).then((t) => { document.getElementById('echo').textContent = t; });
</script></body></html>"""


@dataclass
class FixtureServer:
    base: str
    port: int
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        return sum(1 for p in list(self.hits) if p == path)


def _routes(port: int) -> dict[str, tuple[int, dict[str, str], bytes]]:
    html = "text/html"
    return {
        "/utf8": (200, {"Content-Type": "text/html; charset=utf-8"}, f"<p>{FRENCH}</p>".encode()),
        "/latin1-header": (
            200,
            {"Content-Type": "text/html; charset=ISO-8859-1"},
            "<p>Café crème déjà naïve façade</p>".encode("latin-1"),
        ),
        "/latin1-meta": (
            200,
            {"Content-Type": html},
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
            "</head><body><p>Café crème déjà naïve façade</p></body></html>".encode("latin-1"),
        ),
        "/cp1252": (
            200,
            {"Content-Type": html},
            f"<html><body><p>{CP1252_TEXT}</p></body></html>".encode("cp1252"),
        ),
        "/redirect/1": (302, {"Location": "/redirect/2"}, b""),
        "/redirect/2": (301, {"Location": f"http://127.0.0.1:{port}/redirect/3"}, b""),
        "/redirect/3": (307, {"Location": "/utf8"}, b""),
        "/loop/a": (302, {"Location": "/loop/b"}, b""),
        "/loop/b": (302, {"Location": "/loop/a"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-private": (302, {"Location": "http://10.0.0.1/admin"}, b""),
        "/to-loopback2": (302, {"Location": f"http://127.0.0.2:{port}/img/x.png"}, b""),
        "/status/404": (404, {"Content-Type": html}, b"<h1>not here</h1>"),
        "/status/500": (500, {"Content-Type": html}, b"<h1>boom</h1>"),
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
        "/private/page": (200, {"Content-Type": html}, b"<p>secret</p>"),
        "/image.png": (200, {"Content-Type": "image/png"}, PNG),
        "/image-untyped": (200, {}, PNG),
        "/img/js.png": (200, {"Content-Type": "image/png"}, PNG),
        "/img/lazy.png": (200, {"Content-Type": "image/png"}, PNG),
        "/img/spa.png": (200, {"Content-Type": "image/png"}, PNG),
        "/img/ok.png": (200, {"Content-Type": "image/png"}, PNG),
        "/js-page": (200, {"Content-Type": "text/html; charset=utf-8"}, JS_PAGE.encode()),
        "/spa": (200, {"Content-Type": "text/html; charset=utf-8"}, SPA_PAGE.encode()),
        "/forbidden-sub": (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            b'<html><body><p>Page with subresources.</p><img src="/img/ok.png">'
            b'<img src="http://10.0.0.1/x.png"><img src="/to-loopback2"></body></html>',
        ),
    }


def _make_handler(server: FixtureServer, robots_status: int) -> type[BaseHTTPRequestHandler]:
    routes = _routes(server.port)
    if robots_status != 200:
        routes["/robots.txt"] = (robots_status, {"Content-Type": "text/plain"}, b"Disallow: /\n")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            server.hits.append(path)
            # the client may give up (timeouts, size caps): expected in these tests
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._dispatch(path)

        def _dispatch(self, path: str) -> None:
            if path == "/huge-cl":
                self._huge(with_length=True)
            elif path == "/huge-stream":
                self._huge(with_length=False)
            elif path == "/slow":
                time.sleep(3)
                self._send(200, {"Content-Type": "text/html"}, b"<p>late</p>")
            elif path == "/cookies":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Set-Cookie", "a=1; Path=/")
                self.send_header("Set-Cookie", "b=2; Path=/")
                body = COOKIE_PAGE.encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif path == "/echo-cookie":
                cookie = self.headers.get("Cookie", "none")
                self._send(200, {"Content-Type": "text/plain"}, f"server saw cookie: {cookie}".encode())
            elif path in routes:
                self._send(*routes[path])
            else:
                self._send(404, {"Content-Type": "text/plain"}, b"no such fixture")

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _huge(self, *, with_length: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            if with_length:
                self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            chunk = b"<p>" + b"x" * (65536 - 7) + b"</p>"
            try:
                for _ in range(HUGE // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def serve(robots_status: int = 200) -> Iterator[FixtureServer]:
    """Run the site in a thread; ``robots_status`` != 200 makes /robots.txt answer that status."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    fixture = FixtureServer(base=f"http://127.0.0.1:{port}", port=port)
    httpd.RequestHandlerClass = _make_handler(fixture, robots_status)
    thread = threading.Thread(target=httpd.serve_forever, name="fetch-fixture-server", daemon=True)
    thread.start()
    yield fixture
    httpd.shutdown()
    httpd.server_close()
