"""The built book served over HTTP on 127.0.0.1 (a free port), and its internal links resolved against it."""

from __future__ import annotations

import contextlib
import functools
import html.parser
import http.server
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(html_dir: Path) -> Iterator[str]:
    """Serve ``html_dir`` on 127.0.0.1 at a free port; yields the base URL (ending with ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _IdParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


class LinkResolver:
    """Resolves internal URLs against the local server once each: the file is served (HTTP 200) and, for
    an ``#anchor``, an element with that id exists in it."""

    def __init__(self, base_url: str):
        self.base = base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        self._pages: dict[str, tuple[int, set[str] | None]] = {}

    def is_internal(self, url: str) -> bool:
        return url.startswith(self.base)

    def _fetch(self, url: str) -> tuple[int, set[str] | None]:
        if url not in self._pages:
            try:
                with self._opener.open(url, timeout=10) as resp:
                    body, status, ctype = resp.read(), resp.status, resp.headers.get("Content-Type", "")
            except urllib.error.HTTPError as exc:
                status, body, ctype = exc.code, b"", ""
            except (urllib.error.URLError, OSError):
                status, body, ctype = 0, b"", ""
            ids = None
            if status == 200 and "html" in ctype:
                parser = _IdParser()
                parser.feed(body.decode("utf-8", errors="replace"))
                ids = parser.ids
            self._pages[url] = (status, ids)
        return self._pages[url]

    def problem(self, url: str, page_url: str, page_ids: set[str]) -> str | None:
        """Why ``url`` (absolute, internal) does not resolve, or None."""
        target, _, fragment = url.partition("#")
        target = target.split("?", 1)[0]
        fragment = urllib.parse.unquote(fragment)
        if target == page_url.split("#", 1)[0].split("?", 1)[0]:
            status, ids = 200, set(page_ids) | (self._fetch(target)[1] or set())
        else:
            status, ids = self._fetch(target)
        if status != 200:
            return f"target {target[len(self.base) - 1 :]} is missing (HTTP {status or 'no answer'})"
        if fragment and ids is not None and fragment not in ids:
            return f"anchor #{fragment} does not exist in {target[len(self.base) - 1 :]}"
        return None
