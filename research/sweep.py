#!/usr/bin/env python3
"""A small, resumable sweep of one model's settings, read on validation subjects only.

    python research/sweep.py DATA OUT --set alpha=0,0.003,0.03,0.1 [--set d_pos=2,10] [--model ours] [--steps 1000]
                          [--seeds 0,1] [--fractions 1,0.1] [--phi-steps 200] [--every 4] [--precision auto]

Each `--set NAME=V1,V2,...` adds one point per value, the other settings at their defaults (one factor at a time).
NAME is a numeric field of the model configuration (`alpha`, `rho`, `temperature`, ...; 05_config), a sampling
distance (`d_pos`, `d_max`, in frames) or the away frame's rule (`away=box`; 04_sampling). Every point trains MODEL
with that one change for --steps steps, once per seed, into OUT/runs/, then fits the pose regressor Φ (--phi-steps)
on the training subjects with each label fraction and reads N-MPJPE on the **validation** subjects. Test subjects
are never read: the sweep chooses settings, and choices are made on validation subjects. Each point is read at its
last step (the bench reads the best validation loss instead). A point already in OUT/points is never computed again,
so an interrupted sweep continues where it stopped; a finished run is evaluated again only if its point file is
missing.

OUT/sweep.csv holds one row per point, seed and fraction; OUT/sweep.md the mean and spread over seeds."""
import csv, json, sys, time
from pathlib import Path

DISTANCES = ("d_pos", "d_max")
SAMPLING = (*DISTANCES, "away")         # training options rather than model settings


def fail(msg: str):
    print(f"sweep: error: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_sets(sets: list[str]) -> list[tuple[str, float]]:
    "['alpha=0,0.1', 'd_pos=2'] -> [('alpha', 0.0), ('alpha', 0.1), ('d_pos', 2)]; the names are checked."
    from dataclasses import fields
    from tvti.config import ModelConfig
    known = {f.name: f for f in fields(ModelConfig)}
    out = []
    for s in sets:
        if "=" not in s:
            fail(f"--set {s!r}: expected NAME=V1,V2,... (e.g. alpha=0,0.003,0.03)")
        name, vals = s.split("=", 1)
        if name not in known and name not in SAMPLING:
            fail(f"--set {name}: not a model setting or a sampling option (d_pos, d_max, away); see 05_config")
        if name == "away":
            from tvti.sampling import AWAY
            bad = [v for v in vals.split(",") if v not in AWAY]
            if bad:
                fail(f"--set away={bad[0]}: expected one of {', '.join(AWAY)}")
            out += [(name, v) for v in vals.split(",")]
            continue
        default = getattr(ModelConfig(), name, 0)
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            fail(f"--set {name}: only numeric settings can be swept")
        whole = name in DISTANCES or isinstance(default, int)
        for v in vals.split(","):
            try:
                x = int(v) if whole else float(v)
            except ValueError:
                fail(f"--set {name}={v}: expected a {'whole ' if whole else ''}number")
            if name in DISTANCES and x < 1:
                fail(f"--set {name}={x}: expected at least 1 frame")
            if name not in DISTANCES:
                from tvti.config import get_config
                from tvti.core import TvtiError
                try:
                    get_config("tiny", **{name: x})
                except TvtiError as e:
                    fail(str(e))
            out.append((name, x))
    if not out:
        fail("nothing to sweep: give at least one --set NAME=V1,V2,...")
    return out


def point_name(name: str, value) -> str:
    return f"{name}={value:.12g}" if isinstance(value, float) else f"{name}={value}"


def fmt(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def order(value) -> tuple:
    return (0, float(value), "") if isinstance(value, (int, float)) else (1, 0.0, str(value))


def run_point(data, out: Path, model: str, name: str, value, seed: int, args, bf16: bool) -> dict:
    "Train (or continue) one point's run, evaluate it on the validation subjects; returns its record."
    import warnings
    from tvti.benchplan import _train_args
    from tvti.core import prefer_channels_last
    from tvti.pose import evaluate, load_run, extract_features
    from tvti.data import load_dataset
    from tvti.train import train
    run = out / "runs" / f"{model}-{point_name(name, value)}-s{seed}"
    preset, extra = _train_args(model)
    opts = dict(extra, val_every=max(args.steps // 4, 1), sample_every=args.steps)
    if name in SAMPLING:
        opts[name] = value
    resume = (run / "config.json").exists()            # train() resumes from the last checkpoint, or starts again
    start_opts = {} if resume else dict(opts, model_overrides={} if name in SAMPLING else {name: value})
    t = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(data, run, preset=preset, steps=args.steps, seed=seed, bf16=bf16,
              channels_last=prefer_channels_last(bf16), progress=False, resume=resume, **start_opts)
    secs = time.time() - t
    obj, ds = load_run(run, "latest"), load_dataset(data)
    val = extract_features(obj, ds, "val", every=args.every)
    cache = {("val", args.every): val, ("test", args.every): val}       # the test subjects are never read
    r = evaluate(obj, ds, args.fractions, ("mlp",), steps=args.phi_steps, seed=seed, every=args.every, cache=cache)
    rows = [dict(model=model, setting=name, value=value, seed=seed, steps=args.steps, fraction=float(f),
                 val_n_mpjpe=d["mlp"]["val_n_mpjpe"], train_seconds=round(secs, 1)) for f, d in r["fractions"].items()]
    return {"rows": rows, "precision": "bf16" if bf16 else "fp32"}


def summarise(out: Path) -> list[dict]:
    "Write sweep.csv and sweep.md from the point files; returns the rows."
    import numpy as np
    rows = [r for p in (out / "points").glob("*.json") for r in json.loads(p.read_text())["rows"]]
    if not rows:
        return rows
    rows.sort(key=lambda r: (r["setting"], *order(r["value"]), r["seed"], -r["fraction"]))
    from tvti.core import atomic_write
    with atomic_write(out / "sweep.csv", "w") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    groups = {}
    for r in rows:
        groups.setdefault((r["setting"], r["value"], r["fraction"]), []).append(r["val_n_mpjpe"])
    lines = ["| setting | value | labels | validation N-MPJPE, mean ± sd | seeds |", "|---|---|---|---|---|"]
    for (s, v, f), xs in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[0][2], *order(kv[0][1]))):
        sd = f" ± {np.std(xs, ddof=1):.1f}" if len(xs) > 1 else ""
        lines.append(f"| {s} | {fmt(v)} | {f:.0%} | {np.mean(xs):.1f}{sd} | {len(xs)} |")
    with atomic_write(out / "sweep.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    return rows


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="a labelled dataset folder with train and val splits (e.g. the bench's h36m-like set)")
    ap.add_argument("out", help="the sweep's folder (made if missing; continued if it holds this sweep)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2",
                    help="a setting and its values (repeatable)")
    ap.add_argument("--model", default="ours", help="the benchmark model swept (default ours)")
    ap.add_argument("--steps", type=int, default=1000, help="training steps of every point (default 1000)")
    ap.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    ap.add_argument("--fractions", default="1,0.1", help="label fractions of Φ (default 1,0.1)")
    ap.add_argument("--phi-steps", type=int, default=200, help="optimiser steps of each Φ (default 200, as the bench)")
    ap.add_argument("--every", type=int, default=4, help="evaluate every n-th frame (default 4, as the bench)")
    ap.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"))
    args = ap.parse_args(argv)
    from tvti.core import TvtiError, bf16_supported, save_json
    from tvti.data import load_dataset
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        fail(f"--seeds {args.seeds!r}: expected comma-separated whole numbers")
    try:
        args.fractions = tuple(float(f) for f in args.fractions.split(","))
    except ValueError:
        fail(f"--fractions {args.fractions!r}: expected comma-separated numbers in (0, 1]")
    if args.steps < 1:
        fail(f"--steps {args.steps}: expected at least 1")
    if not all(0 < f <= 1 for f in args.fractions):
        fail(f"--fractions {args.fractions}: expected numbers in (0, 1]")
    if args.every < 1 or args.phi_steps < 1:
        fail(f"--every ({args.every}) and --phi-steps ({args.phi_steps}) must be at least 1")
    from tvti.benchplan import _train_args
    try:
        _train_args(args.model)
    except TvtiError as e:
        fail(str(e))
    points = parse_sets(args.set)
    bf16 = bf16_supported("cpu") if args.precision == "auto" else args.precision == "bf16"
    out = Path(args.out)
    try:
        ds = load_dataset(args.data)
        if not any(s.split == "val" for s in ds):
            fail(f"{args.data}: no 'val' sequences; the sweep reads validation subjects")
        from tvti.sampling import distances_for
        dp, dm = distances_for(ds)
        for n, v in points:
            d = dict(d_pos=dp, d_max=dm) | ({n: v} if n in DISTANCES else {})
            if not d["d_pos"] < d["d_max"]:
                fail(f"--set {n}={v}: needs d_pos < d_max (the data's defaults: d_pos {dp}, d_max {dm})")
        plan = dict(data=str(Path(args.data).resolve()), model=args.model, steps=args.steps,
                    fractions=list(args.fractions), phi_steps=args.phi_steps, every=args.every,
                    precision="bf16" if bf16 else "fp32")
        out.mkdir(parents=True, exist_ok=True)
        if (out / "sweep.json").exists():
            old = json.loads((out / "sweep.json").read_text())
            diff = [k for k in plan if old.get(k) != plan[k]]
            if diff:
                was = ", ".join(f"{old.get(k)!r}" for k in diff)
                fail(f"{out}: holds a sweep with other {', '.join(diff)} ({was}); choose another OUT")
        else:
            save_json(plan, out / "sweep.json")
        (out / "points").mkdir(exist_ok=True)
        # breadth first: every value once before the next seed
        todo = [(s, n, v) for s in seeds for n, v in points]
        for i, (s, n, v) in enumerate(todo):
            pf = out / "points" / f"{args.model}-{point_name(n, v)}-s{s}.json"
            if pf.exists():
                continue
            t = time.time()
            rec = run_point(args.data, out, args.model, n, v, s, args, bf16)
            save_json(rec, pf)
            summarise(out)
            full = [r["val_n_mpjpe"] for r in rec["rows"] if r["fraction"] == max(args.fractions)]
            print(f"sweep: {i + 1}/{len(todo)} {point_name(n, v)} seed {s}: validation N-MPJPE {full[0]:.1f} "
                  f"({time.time() - t:.0f} s)", flush=True)
        summarise(out)
    except TvtiError as e:
        fail(str(e))
    print((out / "sweep.md").read_text() if (out / "sweep.md").exists() else "sweep: no points")


if __name__ == "__main__":
    main()
