"""Check the rendered book the way a reader sees it: every page of ``_toc.yml`` loaded in headless Chromium.

The book (``_build/html``) is served from a local HTTP server on 127.0.0.1 (a free port) and each page of
``_toc.yml`` is loaded in Debian's headless Chromium, driven through the Chrome DevTools Protocol over a
pipe (``--remote-debugging-pipe``): no browser download, no driver, no pip dependency. For every page:

- it loads (HTTP 200, document complete) and the console has no errors (console errors, uncaught
  exceptions, failed requests of the book's own files);
- every ``<img>`` has a non-zero natural width, and a chapter shows at least as many figures as its
  ``.ipynb`` stores (so a figure lost between the notebook and the page is caught);
- every internal link and anchor resolves (the target file is served and the ``#id`` exists in it);
- its landmarks are there: the title of the source (first ``# `` heading), and what :data:`LANDMARKS`
  declares for it (figures, captions, the notation and source links, tables with numbers);
- math is typeset: once MathJax has finished, the visible text holds no raw TeX (:func:`raw_tex`) and every
  formula of the page (Sphinx's ``.math`` elements) holds MathJax output (``mjx-container``), without error;
- no raw Markdown table (rows of pipes, ``|---|---:|``) in the visible text (:func:`markdown_table_rows`);
- the main content lies inside the viewport horizontally and, at desktop width, the sidebar shows
  (:func:`layout_problems`), both as a reader sees the page and in the layout the screenshot captures;
- a full-page screenshot is saved (``_build/screenshots/<docname>.png``) so a person can look.

Internet access is cut (``--host-resolver-rules``) so the result does not depend on the network; the book
serves everything itself (MathJax included, ``book/_ext/mathjax_local.py``), so a request to any remote
address not in :data:`ALLOWED_EXTERNAL` (empty) is reported.

Expected landmarks are declarative (:data:`LANDMARKS`, :func:`landmarks_for`): extend the map when a
chapter gains something a reader must see.
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import html.parser
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from repro.errors import ReproError

# Flags that work on these machines (issue 7), plus --disable-dev-shm-usage for containers with a small
# /dev/shm, and a resolver rule that cuts every host but the local server (results must not depend on
# the network). --user-data-dir (a fresh one per browser) and --remote-debugging-pipe are added at launch.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser")
INSTALL_COMMAND = "sudo apt-get install -y chromium chromium-driver"
# Remote resources a page may request (they fail here, offline, without failing the check). None: the book
# renders offline (it used to load MathJax from cdn.jsdelivr.net, and showed raw TeX without the network).
ALLOWED_EXTERNAL: tuple[str, ...] = ()
VIEWPORT = (1280, 900)
DESKTOP_WIDTH = 1200  # px; from this viewport width on, the theme shows the sidebar (pydata's xl breakpoint)
MAX_SCREENSHOT_HEIGHT = 30000  # px; longer pages are cut (Chromium's limit for one capture is near this)


# ----------------------------------------------------------------------------------------------------------
# What each page must show
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Landmarks:
    """What a reader must find on a page, beyond loading without errors and working links/images.

    title: the page's first heading equals the source's first ``# `` heading.
    min_figures: at least this many loaded ``<img>`` in the article.
    figure_captions: every figure of the article sits in a ``<figure>`` with a non-empty caption.
    notation_link: the article links the notation glossary (``book/notation``).
    source_download: the article offers the chapter's paired ``.py`` for download.
    tables_have_numbers: every table of the article has a digit in at least one cell.
    named_tables: name -> regex (case-insensitive) on a table's caption or the heading above it. A named
        table that is present must have numbers; a heading matching the regex must have such a table.
    required_tables: names of ``named_tables`` that must be present.
    """
    title: bool = True
    min_figures: int = 0
    figure_captions: bool = False
    notation_link: bool = True
    source_download: bool = False
    tables_have_numbers: bool = False
    named_tables: dict[str, str] = field(default_factory=dict)
    required_tables: tuple[str, ...] = ()


NOTATION_DOC = "book/notation"
# A notebook chapter: a figure, the glossary and its .py source. Captions (myst-nb's
# `mystnb: {figure: {caption: ...}}` cell metadata) are checked once a chapter declares them below.
CHAPTER = Landmarks(min_figures=1, source_download=True)
PAGE = Landmarks()
RESULT_TABLES = {"Table 5": r"table\s*5|part[- ]segmentation", "invariance": r"invarian"}
# The lead extends this map: per docname, what that page must show (defaults: CHAPTER for notebooks/*,
# PAGE for the rest). E.g. once Table 5 is on the results page, add "Table 5" to required_tables.
LANDMARKS: dict[str, Landmarks] = {
    NOTATION_DOC: Landmarks(notation_link=False, tables_have_numbers=False),
    "book/results": Landmarks(tables_have_numbers=True, named_tables=RESULT_TABLES,
                              required_tables=("Table 5", "invariance")),
    "notebooks/00_sample_data": Landmarks(min_figures=5, source_download=True),
    "notebooks/01_dataset_creation": Landmarks(min_figures=4, source_download=True),
    "notebooks/02_generating_tracks": Landmarks(min_figures=5, source_download=True),
    "notebooks/03_training": Landmarks(min_figures=3, source_download=True),
    "notebooks/04_invariance": Landmarks(min_figures=3, source_download=True, tables_have_numbers=True),
    "notebooks/05_part_segmentation": Landmarks(min_figures=1, source_download=True, tables_have_numbers=True),
}


def landmarks_for(doc: str) -> Landmarks:
    """The declared landmarks of a page (:data:`LANDMARKS`), else the default of its kind."""
    if doc in LANDMARKS:
        return LANDMARKS[doc]
    return CHAPTER if doc.startswith("notebooks/") else PAGE


# ----------------------------------------------------------------------------------------------------------
# The pages: _toc.yml and the sources behind them
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageSpec:
    """One page to check: its docname, path under the HTML root, and what it must show."""
    doc: str
    path: str
    landmarks: Landmarks = PAGE
    title: str | None = None          # expected first heading (from the source); None: not checked
    stored_figures: int = 0           # images in the notebook's stored outputs (0 for .md pages)


def toc_documents(root: Path) -> list[str]:
    """Docnames of ``_toc.yml`` in reading order (root first; parts, chapters and nested sections)."""
    toc_file = Path(root) / "_toc.yml"
    if not toc_file.is_file():
        raise ReproError(f"{toc_file} not found: run from the repository root (the book's _toc.yml).")
    toc = yaml.safe_load(toc_file.read_text())
    docs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "file" in node:
                docs.append(_docname(node["file"]))
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))

    if "root" not in toc:
        raise ReproError(f"{toc_file} has no `root:` entry (Jupyter Book jb-book format).")
    docs.append(_docname(toc["root"]))
    walk(toc)
    return docs


def _docname(entry: str) -> str:
    entry = str(entry).strip().lstrip("/")
    return re.sub(r"\.(md|ipynb|rst)$", "", entry)


def source_of(root: Path, doc: str) -> Path:
    """The source file of a docname (``.md``, ``.ipynb`` or ``.rst``)."""
    for suffix in (".md", ".ipynb", ".rst"):
        path = Path(root) / f"{doc}{suffix}"
        if path.is_file():
            return path
    raise ReproError(f"_toc.yml lists {doc!r} but no {doc}.md/.ipynb/.rst exists: fix the entry or add the page.")


_REMOVED_TAGS = {"remove-cell", "remove_cell", "remove-output", "remove_output"}


def expected_title(source: Path) -> str | None:
    """The first ``# `` heading of a page's source (first markdown cell for a notebook)."""
    if source.suffix == ".ipynb":
        nb = json.loads(source.read_text())
        texts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                 for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]
    else:
        texts = [source.read_text()]
    for text in texts:
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def stored_figures(source: Path) -> int:
    """Number of image outputs a notebook stores that the book renders in the chapter (glued-only outputs
    and cells tagged remove-output/remove-cell are not rendered there)."""
    if source.suffix != ".ipynb":
        return 0
    nb = json.loads(source.read_text())
    count = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or _REMOVED_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            if "scrapbook" in out.get("metadata", {}):  # myst_nb.glue(..., display=False)
                continue
            if any(mime.startswith("image/") for mime in out.get("data", {})):
                count += 1
    return count


def book_pages(root: Path) -> list[PageSpec]:
    """A :class:`PageSpec` for every page of ``_toc.yml``."""
    specs = []
    for doc in toc_documents(root):
        source = source_of(root, doc)
        specs.append(PageSpec(doc=doc, path=f"{doc}.html", landmarks=landmarks_for(doc),
                              title=expected_title(source), stored_figures=stored_figures(source)))
    return specs


def _words(text: str | None) -> list[str]:
    """Alphanumeric words, lower-cased: compares a markdown heading with its rendered text."""
    return re.findall(r"[a-z0-9]+", (text or "").lower())


# ----------------------------------------------------------------------------------------------------------
# What a reader must not see: source syntax left in the visible text, content outside the viewport
# ----------------------------------------------------------------------------------------------------------

# Scanned in the visible text of a page, code blocks and typeset math left out (so `r"\("` in code is fine).
_RAW_TEX = re.compile(r"""
    \\\(.*?\\\) | \\\[.*?\\\] | \$\$.*?\$\$     # a whole formula in MathJax's or Markdown's delimiters
  | \\[()\[\]] | \$\$                           # a lone delimiter (a formula split over lines)
  | \$[^\s$][^$\n]*?[\\_^{][^$\n]*?\$           # $...$ with TeX inside (a price such as $5 is not)
  | \\[A-Za-z]{2,}                              # a TeX command outside delimiters: \frac, \mathcal, \sum
""", re.X)
# A Markdown table left as text: its delimiter row (|---|---:|; anywhere in a line, since a paragraph joins
# the rows into one), or a line of cells between pipes (| a | b |).
_TABLE_DELIMITER = re.compile(r"(?:^|\|)\s*:?-+:?\s*\|\s*:?-+:?\s*(?:\||$)", re.M)
_TABLE_ROW = re.compile(r"^\s*\|(?:[^|\n]*\|){2,}\s*$", re.M)


def raw_tex(text: str, context: int = 0) -> list[str]:
    """The pieces of TeX source in ``text`` (what a reader sees where MathJax did not typeset a formula),
    each with up to ``context`` characters of its line on either side."""
    return [m.string[max(m.string.rfind("\n", 0, m.start()) + 1, m.start() - context):m.start()] + m.group()
            + m.string[m.end():m.end() + context].split("\n", 1)[0] for m in _RAW_TEX.finditer(text)]


def markdown_table_rows(text: str) -> list[str]:
    """The lines of ``text`` that are Markdown table syntax (rendered as a paragraph instead of a table)."""
    return [line for line in text.splitlines() if _TABLE_DELIMITER.search(line) or _TABLE_ROW.match(line)]


def layout_problems(layout: dict) -> list[str]:
    """Problems of a page's horizontal layout, from :data:`_LAYOUT_JS`: every main-content element lies
    inside the viewport (a shifted page clips the first characters of every line) and, at desktop width,
    the sidebar shows whole."""
    width, problems = layout["width"], []
    if not layout["main"]:
        problems.append("no main content (#main-content, main or article)")
    for box in layout["main"]:
        if box["left"] < -0.5 or box["right"] > width + 0.5:
            problems.append(f"main content ({box['name']}) lies outside the viewport: x from {box['left']:.0f} "
                            f"to {box['right']:.0f} px, the viewport from 0 to {width} px")
    side = layout["sidebar"]
    if width >= DESKTOP_WIDTH and not (side and side["visible"] and side["left"] >= -0.5
                                       and side["right"] <= width + 0.5):
        where = f"x from {side['left']:.0f} to {side['right']:.0f} px" if side and side["visible"] else "hidden"
        problems.append(f"the sidebar (.bd-sidebar-primary) does not show whole on a {width} px wide viewport: "
                        + (where if side else "missing"))
    return problems


def _excerpts(items: list[str], n: int = 3, width: int = 120) -> str:
    return "; ".join(repr(s if len(s) <= width else s[:width] + "...") for s in items[:n])


# ----------------------------------------------------------------------------------------------------------
# Building the book and knowing whether a build is current
# ----------------------------------------------------------------------------------------------------------

def book_inputs(root: Path) -> list[Path]:
    """Files whose change makes a built book stale."""
    root = Path(root)
    files = [root / "_config.yml", root / "_toc.yml"]
    for doc in toc_documents(root):
        source = source_of(root, doc)
        files.append(source)
        if source.with_suffix(".py").is_file() and source.suffix == ".ipynb":
            files.append(source.with_suffix(".py"))
    files += sorted((root / "book").rglob("*.bib")) + sorted((root / "book" / "_ext").glob("*.py"))
    return [f for f in files if f.is_file()]


def book_is_current(root: Path, html_dir: Path) -> bool:
    """True when ``html_dir`` has every page of ``_toc.yml``, each newer than every input of the book."""
    html_dir = Path(html_dir)
    pages = [html_dir / f"{doc}.html" for doc in toc_documents(root)]
    if not (html_dir / "search.html").is_file() or not all(p.is_file() for p in pages):
        return False
    oldest_page = min(p.stat().st_mtime for p in pages)
    return all(f.stat().st_mtime <= oldest_page for f in book_inputs(root))


def build_command(root: Path) -> list[str]:
    """The README's `make book` command: Jupyter Book 1, warnings as errors."""
    exe = Path(sys.executable).with_name("jupyter-book")
    return [str(exe), "build", str(root), "--all", "--builder", "html", "-W", "-n", "--keep-going"]


def build_book(root: Path, timeout: float = 900) -> Path:
    """Build the book in place (``<root>/_build/html``) and return that folder."""
    res = subprocess.run(build_command(root), capture_output=True, text=True, timeout=timeout, cwd=root)
    if res.returncode != 0:
        raise ReproError("the book does not build (`make book`); its output ends with:\n"
                         + res.stdout[-3000:] + res.stderr[-3000:])
    return Path(root) / "_build" / "html"


# ----------------------------------------------------------------------------------------------------------
# Serving the HTML
# ----------------------------------------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------------------------
# Chromium over the DevTools protocol (pipe transport)
# ----------------------------------------------------------------------------------------------------------

class BrowserError(ReproError):
    """Chromium could not be started, died, or did not answer."""


def find_chromium() -> str | None:
    """Path of the headless Chromium to use: ``$REPRO_CHROMIUM``, else ``chromium`` on PATH."""
    env = os.environ.get("REPRO_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


# Chromium reads protocol messages from fd 3 and writes to fd 4. A tiny Python trampoline moves the pipe
# ends there before exec (a shell cannot do it portably; preexec_fn could clobber Popen's own pipe).
_TRAMPOLINE = ("import os,sys; r,w=int(sys.argv[1]),int(sys.argv[2]); os.dup2(r,3); os.dup2(w,4); "
               "os.close(r); os.close(w); os.execv(sys.argv[3], sys.argv[3:])")


class Chromium:
    """A headless Chromium driven with the DevTools protocol over ``--remote-debugging-pipe``.

    Single-threaded: :meth:`call` and :meth:`Tab.wait_for` read messages until their answer arrives,
    keeping the events of each session (tab) for the caller.
    """

    def __init__(self, executable: str, *, flags: tuple[str, ...] = CHROMIUM_FLAGS, timeout: float = 30.0):
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="repro-chromium-")
        self._log = open(Path(self._profile).with_suffix(".log"), "w+b")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Move the child's ends above 9 so the trampoline's dup2 onto 3/4 cannot close one of them.
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        args = [sys.executable, "-c", _TRAMPOLINE, str(child_r), str(child_w), executable, *flags,
                f"--user-data-dir={self._profile}", "--remote-debugging-pipe", "about:blank"]
        try:
            self._proc = subprocess.Popen(args, pass_fds=(child_r, child_w), stdin=subprocess.DEVNULL,
                                          stdout=self._log, stderr=self._log)
        finally:
            os.close(child_r)
            os.close(child_w)
        self._out = to_chrome_w
        self._in = from_chrome_r
        self._buf = b""
        self._next_id = 0
        self._answers: dict[int, dict] = {}
        self.events: dict[str | None, list[dict]] = {}
        try:
            self.version = self.call("Browser.getVersion")["product"]
        except BrowserError:
            self.close()
            raise

    # -- transport
    def _read(self, timeout: float) -> bool:
        """Read what is available (up to ``timeout`` s) and file it; False when nothing came."""
        ready, _, _ = select.select([self._in], [], [], max(timeout, 0))
        if not ready:
            return False
        chunk = os.read(self._in, 1 << 20)
        if not chunk:
            raise BrowserError(f"Chromium exited (status {self._proc.poll()}); its log ends with:\n{self.log_tail()}")
        self._buf += chunk
        *messages, self._buf = self._buf.split(b"\0")
        for raw in messages:
            msg = json.loads(raw)
            if "id" in msg:
                self._answers[msg["id"]] = msg
            else:
                self.events.setdefault(msg.get("sessionId"), []).append(msg)
        return True

    def call(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float | None = None) -> dict:
        """Send one protocol command and return its result (raises :class:`BrowserError` on error)."""
        self._next_id += 1
        msg_id = self._next_id
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except (BrokenPipeError, OSError) as exc:
            raise BrowserError(f"Chromium is gone ({exc}); its log ends with:\n{self.log_tail()}") from exc
        deadline = time.monotonic() + (timeout or self.timeout)
        while msg_id not in self._answers:
            if time.monotonic() > deadline:
                raise BrowserError(f"Chromium did not answer {method} within {timeout or self.timeout} s")
            self._read(deadline - time.monotonic())
        answer = self._answers.pop(msg_id)
        if "error" in answer:
            raise BrowserError(f"{method} failed: {answer['error'].get('message')}")
        return answer.get("result", {})

    def log_tail(self, n: int = 2000) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-n:]

    def new_tab(self, viewport: tuple[int, int] = VIEWPORT) -> "Tab":
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, session, target, viewport)
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.call(f"{domain}.enable")
        tab.resize(*viewport)
        return tab

    def close(self) -> None:
        """Close the browser (politely, then by force) and remove its profile."""
        if self._proc.poll() is None:
            with contextlib.suppress(BrowserError, OSError):
                self.call("Browser.close", timeout=5)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)
        with contextlib.suppress(OSError):
            Path(self._profile).with_suffix(".log").unlink()

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Tab:
    """One page target of :class:`Chromium` (a flattened session)."""

    def __init__(self, browser: Chromium, session: str, target: str, viewport: tuple[int, int] = VIEWPORT):
        self.browser, self.session, self.target, self.viewport = browser, session, target, viewport

    @property
    def events(self) -> list[dict]:
        return self.browser.events.setdefault(self.session, [])

    def call(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        return self.browser.call(method, params, session=self.session, timeout=timeout)

    def wait_for(self, method: str, start: int = 0, timeout: float = 30.0) -> dict:
        """Wait for an event named ``method`` among this tab's events from index ``start`` on."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[start:]:
                if event.get("method") == method:
                    return event
            if time.monotonic() > deadline:
                raise BrowserError(f"no {method} within {timeout} s")
            self.browser._read(min(0.5, deadline - time.monotonic()))

    def navigate(self, url: str, timeout: float = 30.0) -> None:
        """Load ``url`` and wait for its load event; this tab's earlier events are dropped."""
        self.events.clear()
        result = self.call("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise BrowserError(f"{url} did not load: {result['errorText']}")
        self.wait_for("Page.loadEventFired", timeout=timeout)

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """Value of a JavaScript expression (promises awaited)."""
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in res:
            details = res["exceptionDetails"]
            why = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript failed: {why}")
        return res["result"].get("value")

    def resize(self, width: int, height: int) -> None:
        """Emulate a desktop viewport of ``width`` x ``height`` CSS pixels."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _content_height(self) -> int:
        metrics = self.call("Page.getLayoutMetrics")
        return int((metrics.get("cssContentSize") or metrics["contentSize"])["height"])

    def screenshot(self, path: Path, probe: str | None = None) -> tuple[Path, Any]:
        """A full-page PNG of the current page, and the value of the JavaScript ``probe`` in the layout captured.

        The viewport is stretched to the page's height and captured as it is, then restored; the page keeps
        the viewport's width. Not ``captureBeyondViewport``: under an emulated viewport Chromium lays the page
        out again for such a capture, at a size no script sees, and long pages came out shifted left (the
        sidebar and the first characters of every line cut off) while the page reported a correct layout.
        Here the layout captured is the one ``probe`` measures.
        """
        width, height = self.viewport
        try:
            full = height
            for _ in range(3):  # the page's height can depend on the viewport's (elements sized in vh)
                wanted = min(max(self._content_height(), height), MAX_SCREENSHOT_HEIGHT)
                if wanted == full:
                    break
                full = wanted
                self.resize(width, full)
            self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            value = self.evaluate(probe) if probe else None
            shot = self.call("Page.captureScreenshot", {"format": "png"}, timeout=60)
        finally:
            self.resize(width, height)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".png.part")
        tmp.write_bytes(base64.b64decode(shot["data"]))
        tmp.replace(path)
        return path, value


# ----------------------------------------------------------------------------------------------------------
# Checking pages
# ----------------------------------------------------------------------------------------------------------

# The horizontal layout (for :func:`layout_problems`): the viewport's width and where the main content and the
# sidebar lie. Evaluated as the reader sees the page and in the layout the screenshot captures.
MAIN_CONTENT = ("#main-content", "main", "article")
SIDEBAR = ".bd-sidebar-primary"
_LAYOUT_JS = r"""
(() => {
  const box = (el, name) => { const r = el.getBoundingClientRect(); return {name, left: r.left, right: r.right,
      visible: r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true})}; };
  const main = new Map();  // element -> the first selector naming it
  for (const s of %s) { const el = document.querySelector(s); if (el && !main.has(el)) main.set(el, s); }
  const side = document.querySelector(%s);
  return {width: document.documentElement.clientWidth, main: [...main].map(([el, s]) => box(el, s)),
          sidebar: side ? box(side, 'sidebar') : null};
})()
""" % (json.dumps(list(MAIN_CONTENT)), json.dumps(SIDEBAR))

# Runs in the page after its load event: waits for images, MathJax's typesetting and fonts, then reports
# what a reader sees.
_COLLECT_JS = r"""
(async () => {
  for (const img of document.images) img.loading = 'eager';
  await Promise.all([...document.images].map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  // MathJax (a deferred script) typesets after the load event; its fonts load once the formulas are laid out.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await new Promise(r => requestAnimationFrame(r));
  if (document.fonts) await document.fonts.ready;
  await new Promise(r => setTimeout(r, 50));
  const text = el => (el ? el.textContent : '').replace(/\s+/g, ' ').trim();
  const article = document.querySelector('article') || document.body;
  const headings = [...article.querySelectorAll('h1,h2,h3,h4,h5,h6')];
  const headingAbove = el => {
    let best = '';
    for (const h of headings) if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) best = text(h);
    return best.replace(/#$/, '').trim();
  };
  const nav = performance.getEntriesByType('navigation')[0] || {};
  // The visible text, a line per block element; code left out (TeX there is legitimate), each typeset formula
  // shown as [math] (so that a report shows which pieces around it were left as text).
  const lines = [];
  let line = '', block = null, formula = null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const el = node.parentElement;
    if (!el || el.closest('pre, code, script, style, textarea')
        || !el.checkVisibility({visibilityProperty: true})) continue;
    const mjx = el.closest('mjx-container');
    const b = (mjx || el).closest('p, li, dt, dd, td, th, caption, figcaption, h1, h2, h3, h4, h5, h6, '
                                  + 'blockquote, div, body');
    if (b !== block) { lines.push(line); line = ''; block = b; }
    if (mjx) { if (mjx !== formula) line += ' [math] '; formula = mjx; continue; }
    line += node.data;
  }
  lines.push(line);
  const formulas = [...document.querySelectorAll('.math')];
  return {
    status: nav.responseStatus ?? null,
    readyState: document.readyState,
    docTitle: document.title,
    h1: headings.length && headings[0].tagName === 'H1' ? text(headings[0]).replace(/#$/, '').trim() : null,
    headings: headings.map(h => text(h).replace(/#$/, '').trim()),
    images: [...document.images].map(i => ({
      src: i.getAttribute('src') || '', url: i.currentSrc || i.src, width: i.naturalWidth,
      inArticle: article.contains(i),
      caption: i.closest('figure') ? text(i.closest('figure').querySelector('figcaption')) : null})),
    links: [...document.querySelectorAll('a[href]')].map(a => ({
      href: a.getAttribute('href'), url: a.href, inArticle: article.contains(a),
      text: text(a).slice(0, 80), download: a.hasAttribute('download')})),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
         .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
    tables: [...article.querySelectorAll('table')].map(t => ({
      caption: text(t.querySelector('caption')), heading: headingAbove(t),
      rows: t.tBodies.length ? [...t.tBodies].reduce((n, b) => n + b.rows.length, 0) : t.rows.length,
      cells: [...t.querySelectorAll('td')].map(text)})),
    searchBox: !!document.querySelector('form[action*="search"] input[name="q"]'),
    visibleText: lines.map(l => l.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n'),
    math: {mathjax: !!(window.MathJax && MathJax.version), formulas: formulas.length,
           typeset: formulas.filter(f => f.querySelector('mjx-container')).length,
           errors: [...document.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || text(e))},
    layout: __LAYOUT__,
  };
})()
""".replace("__LAYOUT__", _LAYOUT_JS.strip())


@dataclass
class PageReport:
    """What the check of one page found. ``problems`` is empty when a reader sees the page as intended."""
    doc: str
    url: str
    problems: list[str] = field(default_factory=list)
    title: str | None = None
    figures: int = 0
    formulas: int = 0                 # formulas typeset by MathJax
    external_requests: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    seconds: float = 0.0


@dataclass
class BookReport:
    pages: dict[str, PageReport]
    browser: str = ""
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        return [f"{doc}: {p}" for doc, page in self.pages.items() for p in page.problems]


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
                    body = resp.read()
                    status = resp.status
                    ctype = resp.headers.get("Content-Type", "")
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
            return f"target {target[len(self.base) - 1:]} is missing (HTTP {status or 'no answer'})"
        if fragment and ids is not None and fragment not in ids:
            return f"anchor #{fragment} does not exist in {target[len(self.base) - 1:]}"
        return None


def _external(url: str, base: str) -> bool:
    return url.startswith(("http://", "https://", "ws://", "wss://")) and not url.startswith(base)


def _allowed(url: str) -> bool:
    return url.startswith(ALLOWED_EXTERNAL)


def _console_problems(events: list[dict], base: str) -> tuple[list[str], list[str]]:
    """(problems, external URLs requested) from a page's protocol events."""
    problems, external, urls = [], [], {}
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            if _external(url, base):
                external.append(url)
                if not _allowed(url):
                    problems.append(f"requests a resource from the internet (not in ALLOWED_EXTERNAL): {url}")
        elif method == "Network.responseReceived":
            url, status = params["response"]["url"], params["response"]["status"]
            # The browser asks every site for /favicon.ico by itself; the book declares none.
            if url.startswith(base) and status >= 400 and url != base + "favicon.ico":
                problems.append(f"{url[len(base) - 1:]} answered HTTP {status}")
        elif method == "Network.loadingFailed":
            url = urls.get(params["requestId"], "?")
            if url.startswith(base) and not params.get("canceled"):
                problems.append(f"{url[len(base) - 1:]} failed to load: {params.get('errorText')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            problems.append(f"console error: {args[:300]}")
        elif method == "Runtime.exceptionThrown":
            det = params.get("exceptionDetails", {})
            desc = det.get("exception", {}).get("description") or det.get("text", "")
            problems.append(f"uncaught exception: {desc.splitlines()[0] if desc else '?'}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            url = entry.get("url", "")
            if entry.get("level") != "error" or (url and _external(url, base) and _allowed(url)):
                continue
            if entry.get("source") == "network" and url.startswith(base):
                continue  # already reported from the Network events, with the status
            problems.append(f"console error ({entry.get('source')}): {entry.get('text', '')[:300]}")
    return list(dict.fromkeys(problems)), external


def _has_number(cells: list[str]) -> bool:
    return any(re.search(r"\d", c) for c in cells)


def evaluate_page(spec: PageSpec, data: dict, page_url: str, resolver: LinkResolver,
                  notation_url: str) -> list[str]:
    """Problems of one loaded page, from what :data:`_COLLECT_JS` reported."""
    lm, problems = spec.landmarks, []
    if data["status"] not in (200, None) or data["readyState"] != "complete":
        problems.append(f"page did not load (HTTP {data['status']}, document {data['readyState']})")
    if lm.title:
        if not data["h1"]:
            problems.append("no title: the page has no first-level heading")
        elif spec.title is not None and _words(spec.title) != _words(data["h1"]):
            problems.append(f"title is {data['h1']!r}, the source's first heading is {spec.title!r}")
    # Figures: every image loads; a chapter shows what its notebook stores and what its landmarks declare.
    for img in data["images"]:
        if img["width"] == 0:
            problems.append(f"image does not show (natural width 0): src={img['src'][:120]!r}")
    article_imgs = [i for i in data["images"] if i["inArticle"] and i["width"] > 0]
    if len(article_imgs) < lm.min_figures:
        problems.append(f"{len(article_imgs)} figure(s) shown, at least {lm.min_figures} expected (LANDMARKS)")
    if len(article_imgs) < spec.stored_figures:
        problems.append(f"{len(article_imgs)} figure(s) shown, the notebook stores {spec.stored_figures}")
    if lm.figure_captions:
        for img in (i for i in data["images"] if i["inArticle"]):
            if not img["caption"]:
                problems.append(f"figure without caption: src={img['src'][:120]!r}")
    # Links and anchors.
    ids = set(data["ids"])
    for link in data["links"]:
        href, url = link["href"], link["url"]
        if href.startswith(("javascript:", "mailto:", "data:")) or href == "#" or not resolver.is_internal(url):
            continue
        why = resolver.problem(url, page_url, ids)
        if why:
            problems.append(f"broken link {href!r} ({link['text']!r}): {why}")
    article_links = [l for l in data["links"] if l["inArticle"]]
    if lm.notation_link and not any(l["url"].split("#")[0] == notation_url for l in article_links):
        problems.append("no link to the notation glossary in the page")
    if lm.source_download:
        py = spec.doc.rsplit("/", 1)[-1] + ".py"
        if not any(l["download"] and l["url"].endswith("/" + py) for l in article_links):
            problems.append(f"no download link for the chapter's source {py}")
    # Tables: never empty; with numbers where declared; named tables where their section is.
    tables = data["tables"]
    for i, table in enumerate(tables):
        label = table["caption"] or table["heading"] or f"table {i + 1}"
        if table["rows"] == 0 or not any(table["cells"]):
            problems.append(f"empty table: {label!r}")
        elif lm.tables_have_numbers and not _has_number(table["cells"]):
            problems.append(f"table without numbers: {label!r}")
    for name, pattern in lm.named_tables.items():
        rx = re.compile(pattern, re.I)
        found = [t for t in tables if rx.search(t["caption"]) or rx.search(t["heading"])]
        for t in found:
            if not _has_number(t["cells"]):
                problems.append(f"{name} table has no numbers: {t['caption'] or t['heading']!r}")
        sections = [h for h in data["headings"][1:] if rx.search(h)]
        if not found and (name in lm.required_tables or sections):
            where = f" under the section {sections[0]!r}" if sections else ""
            problems.append(f"{name} table missing{where}")
    if not data["searchBox"]:
        problems.append("no search box")
    # Math typeset, no source syntax left in the text, the content inside the viewport.
    math, text = data["math"], data["visibleText"]
    if math["formulas"] > math["typeset"]:
        why = "MathJax did not run" if not math["mathjax"] else "MathJax ran but left them"
        problems.append(f"{math['formulas'] - math['typeset']} of {math['formulas']} formula(s) not typeset ({why})")
    if math["errors"]:
        problems.append(f"{len(math['errors'])} formula(s) with a TeX error: {_excerpts(math['errors'])}")
    if tex := raw_tex(text, context=30):
        problems.append(f"raw TeX in the visible text ({len(tex)} place(s)): {_excerpts(tex)}")
    if rows := markdown_table_rows(text):
        problems.append(f"raw Markdown table in the visible text ({len(rows)} line(s)): {_excerpts(rows)}")
    problems += layout_problems(data["layout"])
    return problems


def check_pages(browser: Chromium, base_url: str, specs: list[PageSpec],
                screenshots: Path | None = None) -> BookReport:
    """Load every page in ``specs`` from ``base_url`` and check it; screenshots under ``screenshots``."""
    t0 = time.monotonic()
    resolver = LinkResolver(base_url)
    notation_url = urllib.parse.urljoin(base_url, f"{NOTATION_DOC}.html")
    tab = browser.new_tab()
    report = BookReport(pages={}, browser=browser.version)
    try:
        for spec in specs:
            start = time.monotonic()
            url = urllib.parse.urljoin(base_url, spec.path)
            page = PageReport(doc=spec.doc, url=url)
            report.pages[spec.doc] = page
            try:
                tab.navigate(url)
                data = tab.evaluate(_COLLECT_JS)
            except BrowserError as exc:
                page.problems.append(f"page failed to render: {exc}")
                continue
            page.title = data["h1"]
            page.figures = sum(1 for i in data["images"] if i["inArticle"] and i["width"] > 0)
            page.formulas = data["math"]["typeset"]
            page.problems += evaluate_page(spec, data, url, resolver, notation_url)
            console, page.external_requests = _console_problems(list(tab.events), base_url)
            page.problems += console
            if screenshots is not None:
                page.screenshot, layout = tab.screenshot(Path(screenshots) / f"{spec.doc}.png", _LAYOUT_JS)
                page.problems += [f"in the screenshot: {p}" for p in layout_problems(layout)]
            page.seconds = time.monotonic() - start
    finally:
        with contextlib.suppress(BrowserError):
            browser.call("Target.closeTarget", {"targetId": tab.target})
    report.seconds = time.monotonic() - t0
    return report


def check_search(browser: Chromium, base_url: str, from_page: str, query: str, expect_page: str,
                 timeout: float = 15.0) -> list[str]:
    """Type ``query`` into the search box of ``from_page`` and submit it, as a reader would; problems if
    the results page does not list ``expect_page`` (a path under the HTML root)."""
    tab = browser.new_tab()
    try:
        tab.navigate(urllib.parse.urljoin(base_url, from_page))
        start = len(tab.events)
        submitted = tab.evaluate("""(() => {
            const input = document.querySelector('form[action*="search"] input[name="q"]');
            if (!input) return false;
            input.value = %s; input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
            return true; })()""" % json.dumps(query))
        if not submitted:
            return [f"{from_page} has no search box"]
        tab.wait_for("Page.loadEventFired", start=start, timeout=timeout)
        deadline = time.monotonic() + timeout
        hits: list[str] = []
        while time.monotonic() < deadline:
            state = tab.evaluate("""(() => ({
                url: location.href,
                hits: [...document.querySelectorAll('#search-results li a')].map(a => a.href),
                // Sphinx writes the summary only when the search has finished (found or not).
                done: !!(document.querySelector('#search-results p.search-summary') || {}).textContent
              }))()""")
            hits = state["hits"]
            if state["done"] and "search.html" in state["url"]:
                break
            time.sleep(0.1)
        else:
            return [f"search for {query!r} did not finish within {timeout} s (results so far: {len(hits)})"]
        wanted = urllib.parse.urljoin(base_url, expect_page)
        if not any(h.split("#")[0].split("?")[0] == wanted for h in hits):
            return [f"search for {query!r} lists {len(hits)} page(s) but not {expect_page}"]
        return []
    finally:
        with contextlib.suppress(BrowserError):
            browser.call("Target.closeTarget", {"targetId": tab.target})


# ----------------------------------------------------------------------------------------------------------
# Command line: `python -m repro.bookcheck` (after `make book`)
# ----------------------------------------------------------------------------------------------------------

def missing_browser_message() -> str:
    return ("headless Chromium not found (`chromium` on PATH, or $REPRO_CHROMIUM): install it with "
            f"`{INSTALL_COMMAND}` (Debian/Ubuntu), or `sudo .ci/install-chromium --yes`")


def run_check(root: Path, browser_exe: str, *, build: bool = True, screenshots: Path | None = None) -> BookReport:
    """Check the book of ``root`` in ``browser_exe``: build it first unless the build is current; replace
    the screenshots in ``screenshots`` (default ``<root>/_build/screenshots``)."""
    root = Path(root)
    html_dir = root / "_build" / "html"
    if not book_is_current(root, html_dir):
        if not build:
            raise ReproError(f"{html_dir} is missing or older than the book's sources: run `make book` first.")
        build_book(root)
    screenshots = Path(screenshots) if screenshots else root / "_build" / "screenshots"
    shutil.rmtree(screenshots, ignore_errors=True)
    specs = book_pages(root)
    with serve(html_dir) as base, Chromium(browser_exe) as browser:
        report = check_pages(browser, base, specs, screenshots=screenshots)
        chapters = [s for s in specs if s.doc.startswith("notebooks/")] or specs[1:] or specs
        query = max(_words(chapters[0].title) or ["book"], key=len)
        for problem in check_search(browser, base, specs[0].path, query, chapters[0].path):
            report.pages[specs[0].doc].problems.append(problem)
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m repro.bookcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (with _toc.yml)")
    parser.add_argument("--no-build", action="store_true", help="fail instead of building a stale book")
    parser.add_argument("--screenshots", type=Path, default=None, help="default: <root>/_build/screenshots")
    args = parser.parse_args(argv)
    exe = find_chromium()
    if exe is None:
        msg = missing_browser_message()
        if os.environ.get("CI"):
            print(f"bookcheck: FAILED: {msg} (on CI, .ci/install-chromium installs it)", file=sys.stderr)
            return 1
        print(f"bookcheck: SKIPPED: {msg}")
        return 0
    try:
        report = run_check(args.root, exe, build=not args.no_build, screenshots=args.screenshots)
    except ReproError as exc:
        print(f"bookcheck: FAILED: {exc}", file=sys.stderr)
        return 1
    for doc, page in report.pages.items():
        state = "ok" if not page.problems else f"{len(page.problems)} problem(s)"
        print(f"{doc:40s} {state:14s} figures={page.figures:<3d} formulas={page.formulas:<3d} {page.seconds:5.1f} s  "
              f"{page.screenshot or ''}")
        for problem in page.problems:
            print(f"    - {problem}")
    print(f"bookcheck: {len(report.pages)} page(s) in {report.browser}, {report.seconds:.1f} s, "
          f"{len(report.problems)} problem(s)")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
