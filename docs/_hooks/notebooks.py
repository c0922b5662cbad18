"""MkDocs hook: the notebooks in `nbs/` become the pages `method/NAME.html` of the site.

The notebooks stay where nbdev wants them; this hook adds each one to the build as if it were
`docs/method/NAME.ipynb`, before mkdocs-jupyter looks at the files, so that it renders them with their
stored outputs (nothing is executed). `nbs/index.ipynb` is the README's source and is left out. What is rendered
is the reader's view that nbdev's own documentation gives: cells marked `#| hide` or `#| default_exp` are left
out, `#| echo: false` shows only the output, and the `#|` lines themselves are dropped. That view is written
to a temporary folder outside the repository for the build; the notebooks are not touched.

A notebook that is not in the `nav` of mkdocs.yml stops the build (`validation: nav: omitted_files: warn`
with `--strict`), so a notebook added to `nbs/` later cannot be left out of the site without anyone noticing;
this hook also fails on its own if the `nav` names a notebook that `nbs/` does not have.
"""
import json
import shutil
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File, Files

NBS = Path(__file__).resolve().parents[2] / "nbs"
SKIP = {"index.ipynb"}  # the README's source, not a page of the method


def notebooks():
    "The notebooks that the site renders, by name."
    return sorted(p for p in NBS.glob("*.ipynb") if p.name not in SKIP)


def reader_view(nb: dict) -> dict:
    "The notebook as a reader sees it: hidden cells out, `echo: false` cells without their code, no `#|` lines."
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":  # a notebook links docs/ files as ../docs/X; on the site, X is at ../X
            cells.append(dict(cell, source="".join(cell["source"]).replace("](../docs/", "](../")))
            continue
        if cell["cell_type"] != "code":
            cells.append(cell)
            continue
        lines = "".join(cell["source"]).split("\n")
        flags = [ln[2:].strip() for ln in lines if ln.startswith("#|")]
        if any(f == "hide" or f.startswith("default_exp") for f in flags):
            continue
        cell = dict(cell, source="\n".join(ln for ln in lines if not ln.startswith("#|")).strip("\n"))
        if any(f.replace(" ", "") == "echo:false" for f in flags):
            cell = dict(cell, metadata=dict(cell.get("metadata", {}), tags=["hide-input"]))
        cells.append(cell)
    return dict(nb, cells=cells)


_tmp = None


def _nav_paths(nav):
    "Every page path named in the nav, at any depth."
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_paths(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_paths(value)


@event_priority(100)  # before mkdocs-jupyter wraps the notebook files
def _add_notebooks(files: Files, config) -> Files:
    global _tmp
    _tmp = Path(tempfile.mkdtemp(prefix="tvti-site-"))
    for nb in notebooks():
        view = _tmp / nb.name
        view.write_text(json.dumps(reader_view(json.loads(nb.read_text()))))
        files.append(File.generated(config, f"method/{nb.name}", abs_src_path=str(view)))
    have = {f"method/{nb.name}" for nb in notebooks()}
    named = {p for p in _nav_paths(config["nav"] or []) if p.startswith("method/") and p.endswith(".ipynb")}
    if named - have:
        raise PluginError(f"mkdocs.yml's nav names notebooks that nbs/ does not have: {sorted(named - have)}")
    return files


@event_priority(-100)  # after mkdocs-jupyter: its wrapper does not pass on the path of a file outside docs/
def _keep_source_paths(files: Files, config) -> Files:
    for f in files:
        inner = getattr(f, "file", None)  # mkdocs-jupyter's NotebookFile keeps the File it wraps here
        if isinstance(inner, File) and "abs_src_path" in vars(inner):
            f.abs_src_path = inner.abs_src_path
    return files


on_files = CombinedEvent(_add_notebooks, _keep_source_paths)


def on_post_build(config):
    if _tmp is not None:
        shutil.rmtree(_tmp, ignore_errors=True)


def on_build_error(error):
    on_post_build(None)
