// MathJax 3 for every page: the Markdown pages (pymdownx.arithmatex writes \( \) and \[ \]) and the
// notebooks (their Markdown keeps $ and $$). tex-svg.js beside this file is MathJax 3.2.2's es5/tex-svg.js
// from the npm package `mathjax` (Apache-2.0, LICENSE beside it), vendored so that the site needs no network.
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"]},
  svg: {fontCache: "global"},
};
