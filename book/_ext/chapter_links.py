"""Sphinx extension: a line under the title of every page linking the notation glossary and, for a
notebook chapter, offering its canonical jupytext source (``notebooks/NN_name.py``) for download.

Done once here rather than by hand in every chapter, so a new chapter gets both links as soon as it is
in ``_toc.yml``. The download is a Sphinx ``download_reference`` (the ``{download}`` role): Sphinx copies
the ``.py`` into ``_downloads/`` and a missing file fails the ``-W`` build. The browser test
(``tests/browser``) checks that both links are present and resolve.
Config: ``chapter_links_notation`` (docname of the glossary, default ``book/notation``).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx


def _links(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    notation = app.config.chapter_links_notation
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or docname == notation or not section.children:
        return
    para = nodes.paragraph(classes=["chapter-links"])
    para += nodes.Text("Notation: ")
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget="/" + notation, refexplicit=True, refwarn=True, refdoc=docname
    )
    ref += nodes.inline("", "glossary of symbols", classes=["xref", "std", "std-doc"])
    para += ref
    source = Path(env.doc2path(docname))
    paired = source.with_suffix(".py")
    if source.suffix == ".ipynb" and paired.is_file():
        para += nodes.Text(" · Source: ")
        dl = addnodes.download_reference(
            "",
            refdomain="",
            reftype="download",
            refexplicit=True,
            reftarget="/" + paired.relative_to(app.srcdir).as_posix(),
            refdoc=docname,
        )
        dl += nodes.literal("", paired.name, classes=["xref", "download"])
        para += dl
        para += nodes.Text(" (jupytext percent format; the .ipynb with outputs is in the download menu)")
    section.insert(1, para)  # children[0] is the title


def setup(app: Sphinx) -> dict:
    app.add_config_value("chapter_links_notation", "book/notation", "env")
    # Before Sphinx's DownloadFileCollector (priority 500) so that it registers the .py download.
    app.connect("doctree-read", _links, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
