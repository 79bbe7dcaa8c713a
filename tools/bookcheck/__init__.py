"""Check the rendered book the way a reader sees it: every page of ``_toc.yml`` loaded in headless Chromium.

Not part of the ``repro`` package (nothing there needs it, and an install does not ship it): the tests and
``make all`` run it from the checkout, ``python -m tools.bookcheck`` (after ``make book``).

The book (``_build/html``) is served from a local HTTP server on 127.0.0.1 (``server``) and each page of
``_toc.yml`` (``pages``) is loaded in Debian's headless Chromium driven by Playwright (``browser``; launched
with ``executable_path``, no browser download). For every page (``check``, with the JavaScript of
``collect.js`` and ``layout.js`` and the text rules of ``text``):

- it loads (HTTP 200, document complete) and the console has no errors (console errors, uncaught
  exceptions, failed requests of the book's own files);
- every ``<img>`` has a non-zero natural width, and a chapter shows at least as many figures as its
  ``.ipynb`` stores (so a figure lost between the notebook and the page is caught);
- every internal link and anchor resolves (the target file is served and the ``#id`` exists in it);
- its landmarks are there: the title of the source (first ``# `` heading), and what ``pages.LANDMARKS``
  declares for it (figures, captions, the notation and source links, tables with numbers);
- math is typeset: once MathJax has finished, the visible text holds no raw TeX (``text.raw_tex``) and every
  formula of the page (Sphinx's ``.math`` elements) holds MathJax output (``mjx-container``), without error;
- no raw Markdown table (rows of pipes, ``|---|---:|``) in the visible text (``text.markdown_table_rows``);
- the main content lies inside the viewport horizontally and, at desktop width, the sidebar shows
  (``text.layout_problems``), both as a reader sees the page and in the layout the screenshot captures;
- a full-page screenshot is saved (``_build/screenshots/<docname>.png``) so a person can look.
Then the search box of the first page finds a chapter.

Internet access is cut (``--host-resolver-rules``) so the result does not depend on the network; the book
serves everything itself (MathJax included, ``book/_ext/mathjax_local.py``), so a request to any remote
address not in ``browser.ALLOWED_EXTERNAL`` (empty) is reported.
"""
