#!/usr/bin/env python3
"""Copy a finished run's tables and figures into docs/, which the README (nbs/index.ipynb) shows.

    python tools/publish.py quickstart tvti-demo-out     # -> docs/quickstart/
    python tools/publish.py bench tvti-bench-out         # -> docs/bench/ (tables, figure, bench.json)
    python tools/publish.py speed tvti-bench-out         # -> docs/bench/speed.md, speed.json
    python tools/publish.py agreement OUT                # -> docs/bench/step-agreement.* (research/step_agreement.py)
    python tools/publish.py curve tvti-curve-out         # -> docs/bench/curve.csv, curve.png, curve.json
                                                         #    (tvti-bench --curve; merged run by run with
                                                         #    the published curve, tvti.curve.merge_runs)

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

def publish_curve(src: Path, dst: Path):
    """The folder's runs merged into the published curve (a run replaced only by a folder holding as many of its
    points); the figure and curve.json's plateaus drawn again from the merged rows."""
    import pandas as pd
    from tvti.core import load_json, save_json
    from tvti.curve import merge_runs, plot_curve, plateau, CURVE_FIELDS
    read = lambda f: pd.read_csv(f).to_dict("records") if f.is_file() else []
    rows = merge_runs(read(dst / "curve.csv"), read(src / "curve.csv"))
    info = load_json(src / "curve.json")
    seeds = info["plan"]["models"]
    df = pd.DataFrame(rows, columns=CURVE_FIELDS)
    df.to_csv(dst / "curve.csv.new", index=False); (dst / "curve.csv.new").replace(dst / "curve.csv")
    plot_curve(rows, dst / "curve.png", levels=info["image_free_levels"], seeds=seeds)
    runs = df.drop_duplicates(["model", "seed", "steps"])
    info.update(plateau=plateau(rows, seeds), points=len(runs),
                cpus={str(c): int(n) for c, n in runs.groupby(runs["cpu"].fillna("?"))["steps"].size().items()})
    save_json(info, dst / "curve.json")
    print(f"merged {src} into {dst}: curve.csv ({len(runs)} points), curve.png, curve.json")

def main(argv):
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.exit(__doc__)
    (folder, files), src = KINDS[argv[0]], Path(argv[1])
    dst = ROOT / "docs" / folder
    missing = [f for f in files if not (src / f).is_file()]
    if missing:
        sys.exit(f"publish: {src} lacks {', '.join(missing)}: is it a finished {argv[0]} output folder?")
    dst.mkdir(parents=True, exist_ok=True)
    if argv[0] == "curve": return publish_curve(src, dst)
    for f in files:
        shutil.copyfile(src / f, dst / f"{f}.new")
        (dst / f"{f}.new").replace(dst / f)
    print(f"copied {', '.join(files)} from {src} to {dst}")

if __name__ == "__main__":
    main(sys.argv[1:])
