"""MkDocs hook: `<!-- run: NAME -->` in a page becomes the line that says which published run a table is from.

The tables themselves are included from the files that `tools/publish.py` writes (pymdownx.snippets); the line
above each one (command, date, machine, duration) is read here from the same run's JSON, as the README does,
so that a republish updates the site with nothing edited by hand. A name without its JSON file fails the build.
"""
import csv
import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

DOCS = Path(__file__).resolve().parents[1]


def _json(rel):
    path = DOCS / rel
    if not path.is_file():
        raise PluginError(f"<!-- run: --> needs {path}, which is missing")
    return json.loads(path.read_text())


def quickstart():
    q = _json("quickstart/run.json")
    return (f"`{q['command']}`, {q['date']}, on {q['machine']}: {q['seconds'] / 60:.1f} min, "
            f"peak memory {q['peak_rss_mb'] / 1024:.2f} GiB.")


def bench():
    b = _json("bench/bench.json")
    p = b["plan"]
    return (f"`{b['command']}`, {b['date']}, on {b['machine']}: {b['seconds'] / 60:.0f} min; "
            f"{len(p['seeds'])} seed(s), {p['steps']} training steps per model, {p['size']}x{p['size']} frames.")


def curve():
    c = _json("bench/curve.json")
    with open(DOCS / "bench/curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    done = sorted({int(r["steps"]) for r in rows if int(r["steps"]) > 0})
    points = {}
    for r in rows: points.setdefault(r.get("cpu") or "CPU not recorded", set()).add((r["model"], r["seed"], r["steps"]))
    plateaus = "; ".join(f"{m} {'at' if p['plateau'] else 'not yet, last complete point'} {p['steps']}"
                         for m, p in c["plateau"].items()) or "none read yet"
    cpus = "; ".join(f"{len(p)} on {cpu}" for cpu, p in sorted(points.items()))
    return (f"`{c['command']}`, {c['date']}: {c['points']} points" + (f" ({cpus})" if cpus else "") + ", trained to "
            f"{', '.join(map(str, done)) or 'none yet'} steps of the plan's {c['plan']['first']} to "
            f"{c['plan']['cap']}; the current folder's {c['seconds'] / 3600:.1f} h of work. Plateaus: {plateaus}.")


def speed():
    s = _json("bench/speed.json")
    return (f"`{s.get('command', 'tvti-bench --speed')}`, {s['date']}, on {s['machine']}. Each measurement runs in "
            "a fresh process; FLOPs counted by PyTorch's FlopCounterMode, the peak measured by a 2048x2048 matrix "
            "product in the same run.")


LINES = {"quickstart": quickstart, "bench": bench, "curve": curve, "speed": speed}


def on_page_markdown(markdown, page, config, files):
    def line(m):
        name = m.group(1)
        if name not in LINES:
            raise PluginError(f"{page.file.src_uri}: unknown <!-- run: {name} -->; known: {', '.join(LINES)}")
        return LINES[name]()
    return re.sub(r"<!-- run: ([\w-]+) -->", line, markdown)
