"""Debian's headless Chromium, driven by Playwright (launched with ``executable_path``: no browser download,
never ``playwright install``), and what it records while a page loads.

:func:`launch` starts the browser, :func:`open_page` a page (a fresh context) at the book's viewport,
:class:`PageEvents` the requests, responses, failures, console errors and uncaught exceptions of one page,
:func:`screenshot` a full-page PNG taken in the layout a reader sees.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from repro.errors import ReproError

# Flags that work on these machines (issue 7), plus --disable-dev-shm-usage for containers with a small
# /dev/shm, and a resolver rule that cuts every host but the local server (results must not depend on the
# network). Playwright adds --headless and a fresh profile itself.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser")
INSTALL_COMMAND = "sudo apt-get install -y chromium"
# Remote resources a page may request (they fail here, offline, without failing the check). None: the book
# renders offline (it used to load MathJax from cdn.jsdelivr.net, and showed raw TeX without the network).
ALLOWED_EXTERNAL: tuple[str, ...] = ()
VIEWPORT = (1280, 900)
MAX_SCREENSHOT_HEIGHT = 30000  # px; longer pages are cut (Chromium's limit for one capture is near this)
TIMEOUT_MS = 30_000
# Where the main content and the sidebar are, for layout.js (and text.layout_problems' messages).
MAIN_CONTENT = ("#main-content", "main", "article")
SIDEBAR = ".bd-sidebar-primary"


class BrowserError(ReproError):
    """Chromium could not be started, died, or a page did not load or answer."""


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


def missing_browser_message() -> str:
    return (
        "headless Chromium not found (`chromium` on PATH, or $REPRO_CHROMIUM): install it with "
        f"`{INSTALL_COMMAND}` (Debian/Ubuntu), or `sudo .ci/install-chromium --yes`"
    )


@contextlib.contextmanager
def launch(executable: str) -> Iterator[Browser]:
    """Headless Chromium at ``executable``, closed on exit."""
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, args=list(CHROMIUM_FLAGS), headless=True, timeout=TIMEOUT_MS
            )
        except PlaywrightError as exc:
            raise BrowserError(f"Chromium ({executable}) did not start: {exc.message.splitlines()[0]}") from None
        try:
            yield browser
        finally:
            with contextlib.suppress(PlaywrightError):
                browser.close()


def open_page(browser: Browser, viewport: tuple[int, int] = VIEWPORT) -> Page:
    """A new page (in its own context) at a desktop viewport of ``viewport`` CSS pixels."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def script(name: str) -> str:
    """The JavaScript of ``<name>.js`` beside this module, its leading comment removed; ``collect`` embeds
    ``layout``."""
    lines = Path(__file__).with_name(f"{name}.js").read_text().splitlines()
    text = "\n".join(l for l in lines if not l.startswith("//"))
    if name == "layout":
        return text.replace("__MAIN__", json.dumps(list(MAIN_CONTENT))).replace("__SIDEBAR__", json.dumps(SIDEBAR))
    return text.replace("__LAYOUT__", script("layout").strip())


def navigate(page: Page, url: str) -> None:
    """Load ``url`` and wait for its load event."""
    try:
        page.goto(url, wait_until="load")
    except PlaywrightError as exc:
        raise BrowserError(f"{url} did not load: {exc.message.splitlines()[0]}") from None


def evaluate(page: Page, expression: str) -> Any:
    """Value of a JavaScript expression (promises awaited)."""
    try:
        return page.evaluate(expression)
    except PlaywrightError as exc:
        raise BrowserError(f"JavaScript failed: {exc.message.splitlines()[0]}") from None


def _external(url: str, base: str) -> bool:
    return url.startswith(("http://", "https://", "ws://", "wss://")) and not url.startswith(base)


@dataclass
class PageEvents:
    """What one page did while it loaded (Playwright's page events), as problems of the page.

    Requests to the internet that :data:`ALLOWED_EXTERNAL` does not list, the book's own files answered with
    HTTP >= 400 (but the favicon every browser asks for) or failing to load, console errors and assertions,
    and uncaught exceptions. Chromium's own log entries about failed loads (console messages without
    arguments) are left to the network events, which carry the status.
    """

    base: str
    problems: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> "PageEvents":
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("console", self._console)
        page.on("pageerror", self._exception)
        return self

    def _local(self, url: str) -> str | None:
        return url[len(self.base) - 1 :] if url.startswith(self.base) else None

    def _request(self, request: Request) -> None:
        if _external(request.url, self.base):
            self.external.append(request.url)
            if not request.url.startswith(ALLOWED_EXTERNAL):
                self.problems.append(f"requests a resource from the internet (not in ALLOWED_EXTERNAL): {request.url}")

    def _response(self, response: Response) -> None:
        path = self._local(response.url)
        if path and response.status >= 400 and path != "/favicon.ico":
            self.problems.append(f"{path} answered HTTP {response.status}")

    def _failed(self, request: Request) -> None:
        path, why = self._local(request.url), request.failure or ""
        if path and why != "net::ERR_ABORTED":  # a cancelled load is not a failure
            self.problems.append(f"{path} failed to load: {why}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "assert"):
            return
        if message.args:  # console.error(...) of a script
            self.problems.append(f"console error: {message.text[:300]}")
            return
        url = message.location.get("url", "")  # an entry of Chromium's own log
        if message.text.startswith("Failed to load resource") and (
            self._local(url) or url.startswith(ALLOWED_EXTERNAL)
        ):
            return  # reported from the network events, with the status
        self.problems.append(f"console error (log): {message.text[:300]}")

    def _exception(self, error: PlaywrightError) -> None:
        first = (error.stack or "").splitlines()[:1] or [f"{error.name}: {error.message}"]
        self.problems.append(f"uncaught exception: {first[0]}")

    def result(self) -> tuple[list[str], list[str]]:
        """(problems without repeats, external URLs requested)."""
        return list(dict.fromkeys(self.problems)), self.external


def screenshot(page: Page, path: Path, probe: str | None = None) -> tuple[Path, Any]:
    """A full-page PNG of the current page, and the value of the JavaScript ``probe`` in the layout captured.

    The viewport is stretched to the page's height and captured as it is, then restored; the page keeps the
    viewport's width. Not a capture beyond the viewport: under an emulated viewport Chromium lays the page out
    again for such a capture, at a size no script sees, and long pages came out shifted left (the sidebar and
    the first characters of every line cut off) while the page reported a correct layout. Here the layout
    captured is the one ``probe`` measures.
    """
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    try:
        full = height
        for _ in range(3):  # the page's height can depend on the viewport's (elements sized in vh)
            content = evaluate(page, "document.documentElement.scrollHeight")
            wanted = min(max(int(content), height), MAX_SCREENSHOT_HEIGHT)
            if wanted == full:
                break
            full = wanted
            page.set_viewport_size({"width": width, "height": full})
        evaluate(page, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        value = evaluate(page, probe) if probe else None
        png = page.screenshot(type="png", timeout=60_000)
    finally:
        page.set_viewport_size({"width": width, "height": height})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".png.part")
    tmp.write_bytes(png)
    tmp.replace(path)
    return path, value
