#!/usr/bin/env python3
"""Does a faster training step still compute the same thing? Two checkouts of tvti, the same training, both precisions.

    python research/step_agreement.py BEFORE OUT [--steps 200] [--data data_samples/tiny]

BEFORE is another checkout of tvti (e.g. the commit before a speed change: `git worktree add BEFORE COMMIT`).
Trains `ours` (tiny, seed 0, batch 4, channels-last) for --steps steps with each checkout's own code, in fp32 and
in bf16, logging every step, and writes OUT/step-agreement.csv (step, code, precision, total loss),
OUT/step-agreement.json and OUT/step-agreement.png (publish them with `python tools/publish.py agreement OUT`).

Identical code is deterministic on a CPU, so any gap between the two fp32 curves comes from rounding in the changed
code, and grows along the training as rounding does. The tolerance is the noise of the precision itself: the gap
between the old code's fp32 and bf16 curves. Both gaps are measured on the running mean of the total loss (20
steps), as the largest relative difference over the steps after the first window. The new code agrees when its
fp32 gap and its bf16 gap (each against the old code in the same precision) are at most that tolerance."""
import json, os, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 20

CHILD = """
import json, sys, tvti
from tvti.train import train
a = json.loads(sys.argv[1])
print("TVTI " + tvti.__file__, flush=True)
train(a["data"], a["run"], preset="ours", config="tiny", progress=False, steps=a["steps"], batch=4, seed=0,
      bf16=a["bf16"], channels_last=True, log_every=1, val_every=a["steps"], sample_every=a["steps"])
"""


def fail(msg: str):
    print(f"step_agreement: error: {msg}", file=sys.stderr)
    sys.exit(2)


def gap(a, b, window: int = WINDOW) -> float:
    """Largest relative difference between the running means (over `window` steps) of two loss curves, after the first
    window."""
    import pandas as pd
    ma, mb = pd.Series(a).rolling(window).mean(), pd.Series(b).rolling(window).mean()
    return float(((ma - mb).abs() / mb.abs()).iloc[window - 1:].max())


def run_one(tree: Path, data: Path, run: Path, steps: int, bf16: bool) -> list[float]:
    "The total loss of every step of one training with the tvti in `tree`."
    import pandas as pd
    arg = json.dumps(dict(data=str(data), run=str(run), steps=steps, bf16=bf16))
    r = subprocess.run([sys.executable, "-c", CHILD, arg], capture_output=True, text=True, cwd=tree,
                       env={**os.environ, "PYTHONPATH": str(tree)})
    if r.returncode != 0:
        fail(f"training with {tree} failed:\n{r.stderr[-2000:]}")
    used = next((l[5:] for l in r.stdout.splitlines() if l.startswith("TVTI ")), "")
    if not Path(used).resolve().is_relative_to(tree.resolve()):
        fail(f"the training meant for {tree} imported {used}")
    log = pd.read_csv(run / "log.csv")
    return log["total"].astype(float).tolist()


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="step_agreement", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="another checkout of tvti (a folder holding tvti/train.py)")
    ap.add_argument("out", help="folder for step-agreement.csv, .json and .png (created)")
    ap.add_argument("--steps", type=int, default=200, help="training steps of each run (default 200)")
    ap.add_argument("--data", default=str(ROOT / "data_samples" / "tiny"),
                    help="dataset folder (default: the committed sample)")
    a = ap.parse_args(argv)
    before, out, data = Path(a.before), Path(a.out), Path(a.data).resolve()
    if not (before / "tvti" / "train.py").is_file():
        fail(f"{before}: expected a checkout of tvti (a folder holding tvti/train.py)")
    if a.steps < 2 * WINDOW:
        fail(f"--steps {a.steps}: expected at least {2 * WINDOW}, two windows of the running mean")
    if not (data / "dataset.json").is_file():
        fail(f"--data {data}: no dataset.json there")
    import pandas as pd
    out.mkdir(parents=True, exist_ok=True)
    curves = {}
    with tempfile.TemporaryDirectory() as tmp:
        for code, tree in (("before", before), ("this", ROOT)):
            for prec in ("fp32", "bf16"):
                print(f"step_agreement: training {code} in {prec} ({a.steps} steps)", file=sys.stderr)
                curves[code, prec] = run_one(tree, data, Path(tmp) / f"{code}-{prec}", a.steps, prec == "bf16")
    rows = [dict(step=i + 1, code=c, precision=p, total=v) for (c, p), vs in curves.items() for i, v in enumerate(vs)]
    pd.DataFrame(rows).to_csv(out / "step-agreement.csv", index=False)
    tol = gap(curves["before", "bf16"], curves["before", "fp32"])
    git_log = ["git", "-C", str(before), "log", "-1", "--format=%h %cs"]
    commit = subprocess.run(git_log, capture_output=True, text=True).stdout.strip()
    res = dict(steps=a.steps, window=WINDOW, data=str(data), before=f"{before} ({commit})" if commit else str(before),
               tolerance=tol, gap_fp32=gap(curves["this", "fp32"], curves["before", "fp32"]),
               gap_bf16=gap(curves["this", "bf16"], curves["before", "bf16"]))
    res["agrees"] = res["gap_fp32"] <= tol and res["gap_bf16"] <= tol
    (out / "step-agreement.json").write_text(json.dumps(res, indent=2) + "\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axs = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
    for ax, prec in zip(axs, ("fp32", "bf16")):
        for code, style in (("before", "-"), ("this", "--")):
            ax.plot(range(1, a.steps + 1), pd.Series(curves[code, prec]).rolling(WINDOW).mean(), style, label=f"{code}")
        ax.set_title(f"{prec}: running mean of the total loss ({WINDOW} steps)", fontsize=9)
        ax.set_xlabel("step")
        ax.legend()
    axs[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(out / "step-agreement.png", dpi=90)
    plt.close(fig)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
