"""MkDocs hook: `<!-- api: modules -->` in a page becomes one mkdocstrings block per module of the package.

The list is read from `tvti/` at build time, in the order of the notebooks the modules are generated from, so
that a module added later appears in the API reference without anyone editing the page.
"""
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "tvti"


def modules():
    "Every public module of the package, as (notebook, module name), in notebook order."
    out = []
    for py in PKG.glob("*.py"):
        if py.name.startswith("_"):
            continue
        m = re.search(r"File to edit: \.\./nbs/(\S+)\.ipynb", py.read_text()[:2000])
        out.append((m.group(1) if m else "~" + py.stem, py.stem))
    return sorted(out)


def on_page_markdown(markdown, page, config, files):
    if "<!-- api: modules -->" not in markdown:
        return markdown
    blocks = "\n\n".join(f"::: tvti.{name}" for _, name in modules())
    return markdown.replace("<!-- api: modules -->", blocks)
