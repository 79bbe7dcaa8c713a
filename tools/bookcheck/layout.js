// The horizontal layout of a page (bookcheck.text.layout_problems): the viewport's width and where the main
// content and the sidebar lie. __MAIN__ and __SIDEBAR__ are filled in from bookcheck.browser.
(() => {
  const box = (el, name) => { const r = el.getBoundingClientRect(); return {name, left: r.left, right: r.right,
      visible: r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true})}; };
  const main = new Map();  // element -> the first selector naming it
  for (const s of __MAIN__) { const el = document.querySelector(s); if (el && !main.has(el)) main.set(el, s); }
  const side = document.querySelector(__SIDEBAR__);
  return {width: document.documentElement.clientWidth, main: [...main].map(([el, s]) => box(el, s)),
          sidebar: side ? box(side, 'sidebar') : null};
})()
