#!/usr/bin/env python3
"""Copy a finished run's tables and figures into docs/, which the README (nbs/index.ipynb) shows.

    python tools/publish.py quickstart tvti-demo-out     # -> docs/quickstart/
    python tools/publish.py bench tvti-bench-out         # -> docs/bench/ (tables, figure, bench.json)
    python tools/publish.py speed tvti-bench-out         # -> docs/bench/speed.md, speed.json
    python tools/publish.py agreement OUT                # -> docs/bench/step-agreement.* (research/step_agreement.py)
    python tools/publish.py curve tvti-curve-out         # -> docs/bench/curve.csv, curve.png, curve.json, plateau.md
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
    points); the figure, the plateaus and the skipped points drawn again from the merged rows. Everything is computed
    before anything is written, and each file is replaced whole."""
    import pandas as pd, matplotlib.pyplot as plt
    from dataclasses import asdict
    from tvti.core import load_json, save_json, atomic_write
    from tvti.curve import (merge_runs, plot_curve, plateau, past_plateau, plateau_markdown, CURVE_FIELDS, CurvePlan,
                            published_curve, published_rows)
    read = lambda f: pd.read_csv(f).to_dict("records") if f.is_file() else []      # pandas 3 reads floats exactly
    info = load_json(src / "curve.json")
    plan = CurvePlan(**{**info["plan"], "fractions": tuple(info["plan"]["fractions"])})
    if (dst / "curve.csv").is_file() and (dst / "curve.json").is_file():
        path, old = published_curve(dst, plan)                                    # the same plan ...
        if old.get("data_fingerprint"):                                           # ... and the same data
            published_rows(path, old, info["image_free_levels"], info.get("data_fingerprint") or {})
    rows = merge_runs(read(dst / "curve.csv"), read(src / "curve.csv"))
    df = pd.DataFrame(rows, columns=CURVE_FIELDS)
    fig = plot_curve(rows, levels=info["image_free_levels"], seeds=plan.models)
    md = plateau_markdown(rows, plan.models, plan.cap)
    points = df.drop_duplicates(["model", "seed", "steps"])
    have = {(m, int(n)) for m, n in zip(points["model"], points["steps"])}
    info.update(plan=asdict(plan), plateau=plateau(rows, plan.models), points=len(points),
                skipped={m: v for m in plan.models if (v := [n for n in plan.steps() if (m, n) not in have
                                                             and past_plateau(rows, m, n, plan.models, plan.first)])},
                cpus={str(c): int(n) for c, n in points.groupby(points["cpu"].fillna("?"))["steps"].size().items()})
    with atomic_write(dst / "curve.csv", "w") as f: df.to_csv(f, index=False)
    with atomic_write(dst / "curve.png") as f: fig.savefig(f, format="png", dpi=90)
    with atomic_write(dst / "plateau.md", "w") as f: f.write(md + "\n")
    plt.close(fig)
    save_json(info, dst / "curve.json")
    print(f"merged {src} into {dst}: curve.csv ({len(points)} points), curve.png, curve.json, plateau.md")

def main(argv):
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.exit(__doc__)
    (folder, files), src = KINDS[argv[0]], Path(argv[1])
    dst = ROOT / "docs" / folder
    missing = [f for f in files if not (src / f).is_file()]
    if missing:
        sys.exit(f"publish: {src} lacks {', '.join(missing)}: is it a finished {argv[0]} output folder?")
    dst.mkdir(parents=True, exist_ok=True)
    if argv[0] == "curve":
        from tvti.core import TvtiError
        try: return publish_curve(src, dst)
        except TvtiError as e: sys.exit(f"publish: {e}")
    for f in files:
        shutil.copyfile(src / f, dst / f"{f}.new")
        (dst / f"{f}.new").replace(dst / f)
    print(f"copied {', '.join(files)} from {src} to {dst}")

if __name__ == "__main__":
    main(sys.argv[1:])
