#!/usr/bin/env python3
"""Make README.md from nbs/index.ipynb (Quarto, which `nbdev-readme` needs, cannot be installed here).

    python tools/make_readme.py          # write README.md (and readme_files/ for any figures)
    python tools/make_readme.py --check  # exit 1 if README.md is not what index.ipynb gives

Markdown cells are copied; code cells are shown as Python blocks unless flagged `#| hide` (or `#| echo: false`,
which shows only the output); text outputs become plain blocks, `text/markdown` outputs are copied, and PNG
figures are written to readme_files/ and linked."""
import base64, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NB, README, FIGS = ROOT / "nbs" / "index.ipynb", ROOT / "README.md", ROOT / "readme_files"
HEADER = "<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n"


def _src(cell):
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _directives(src):
    lines = src.splitlines()
    flags = {l.strip()[3:].strip() for l in lines if l.strip().startswith("#|")}
    body = "\n".join(l for l in lines if not l.strip().startswith("#|")).strip()
    return flags, body


def render():
    "README text and {figure name: PNG bytes}."
    nb = json.loads(NB.read_text())
    parts, figs = [HEADER], {}
    for i, cell in enumerate(nb["cells"]):
        src = _src(cell)
        if cell["cell_type"] == "markdown":
            parts.append(src.strip() + "\n\n")
            continue
        if cell["cell_type"] != "code":
            continue
        flags, body = _directives(src)
        if "hide" in flags or "export" in flags:
            continue
        if body and "echo: false" not in flags:
            parts.append(f"```python\n{body}\n```\n\n")
        for j, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            if out.get("output_type") == "stream":
                text = "".join(out["text"])
            elif "image/png" in data:
                name = f"cell{i}_{j}.png"
                figs[name] = base64.b64decode("".join(data["image/png"]))
                parts.append(f"![figure](readme_files/{name})\n\n")
                continue
            elif "text/markdown" in data:
                parts.append("".join(data["text/markdown"]).strip() + "\n\n")
                continue
            elif "text/plain" in data:
                text = "".join(data["text/plain"])
            else:
                continue
            parts.append(f"```\n{text.rstrip()}\n```\n\n")
    return "".join(parts).rstrip() + "\n", figs


def main(argv):
    text, figs = render()
    if "--check" in argv:
        stale = [] if README.exists() and README.read_text() == text else ["README.md"]
        have = {p.name: p.read_bytes() for p in FIGS.glob("*.png")} if FIGS.exists() else {}
        stale += sorted(n for n in set(have) | set(figs) if have.get(n) != figs.get(n))
        if stale:
            print(f"out of date with nbs/index.ipynb: {', '.join(stale)}; run: python tools/make_readme.py",
                  file=sys.stderr)
            return 1
        print("README.md is current")
        return 0
    README.write_text(text)
    if FIGS.exists():
        for p in FIGS.glob("*.png"):
            if p.name not in figs:
                p.unlink()
    if figs:
        FIGS.mkdir(exist_ok=True)
        for n, b in figs.items():
            (FIGS / n).write_bytes(b)
    print(f"wrote README.md ({len(text)} characters, {len(figs)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
