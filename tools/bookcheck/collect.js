// Runs in a page after its load event: waits for images, MathJax's typesetting and fonts, then reports what a
// reader sees (bookcheck.check.evaluate_page reads the result). __LAYOUT__ is layout.js.
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
