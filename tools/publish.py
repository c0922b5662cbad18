#!/usr/bin/env python3
"""Copy a finished run's tables and figures into docs/, which the README (nbs/index.ipynb) shows.

    python tools/publish.py quickstart tvti-demo-out     # -> docs/quickstart/
    python tools/publish.py bench tvti-bench-out         # -> docs/bench/ (tables, figure, bench.json)
    python tools/publish.py speed tvti-bench-out         # -> docs/bench/speed.md, speed.json
    python tools/publish.py agreement OUT                # -> docs/bench/step-agreement.* (research/step_agreement.py)
    python tools/publish.py curve tvti-curve-out         # -> docs/bench/curve.csv, curve.png, curve.json
                                                         #    (tvti-bench --curve)

Then save the index notebook's outputs again and remake the README:

    cd nbs && ../.venv/bin/nbdev-test --save index.ipynb && cd .. && .venv/bin/python tools/make_readme.py"""
import shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"quickstart": ("quickstart", ("results.md", "run.json", "qualitative.png", "swaps.png", "time.png")),
         "bench": ("bench", ("results.csv", "results.md", "ratios.md", "controls.md", "nmpjpe.png", "bench.json")),
         "speed": ("bench", ("speed.md", "speed.json")),
         "agreement": ("bench", ("step-agreement.csv", "step-agreement.json", "step-agreement.png")),
         "curve": ("bench", ("curve.csv", "curve.png", "curve.json"))}

def main(argv):
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.exit(__doc__)
    (folder, files), src = KINDS[argv[0]], Path(argv[1])
    dst = ROOT / "docs" / folder
    missing = [f for f in files if not (src / f).is_file()]
    if missing:
        sys.exit(f"publish: {src} lacks {', '.join(missing)}: is it a finished {argv[0]} output folder?")
    dst.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copyfile(src / f, dst / f"{f}.new")
        (dst / f"{f}.new").replace(dst / f)
    print(f"copied {', '.join(files)} from {src} to {dst}")

if __name__ == "__main__":
    main(sys.argv[1:])
