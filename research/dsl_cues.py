#!/usr/bin/env python3
"""What solves the contrastive task? The DSL loss (Eq. 5-6) that each cue of a labelled dataset reaches alone.

    python research/dsl_cues.py DATA [RUN ...] [--which best] [--untrained] [--out OUT.json] [--steps 2000]
                                [--tuples 4096]

A diagnosis that reads labels, so it never feeds training. For every frame of the train and validation splits it
forms five cues: the true 3D pose (root-relative), the true box (centre and size), the background inside that box
(8 x 8 RGB), the lighting (mean colour of the pixels off the person), and the last three together. For each cue a
small MLP (2 x 128, ReLU, a 32-number code) is trained with the DSL loss on tuples of the train split, drawn as
training draws them (same d_pos and d_max), then scored on tuples of the validation subjects. A cue that reaches a
loss as low as the true pose's would let a model solve the task without pose. Beside them: the `I_tv` of each
trained RUN (its frozen encoder on the plain crops, no extra layer), with --untrained that of a new `ours` network
(seed 0) as a control, a constant code, and random codes."""
import json, sys
from pathlib import Path
import numpy as np
import torch
import torch.nn as nn

CUES = ("pose", "box", "background", "lighting", "box+background+lighting")


def fail(msg: str):
    print(f"dsl_cues: error: {msg}", file=sys.stderr)
    sys.exit(2)


def frame_cues(seq) -> dict:
    "Per-frame cues of one labelled sequence: (T, D) float arrays."
    import cv2
    T, H, W = len(seq), seq.height, seq.width
    pose = np.asarray(seq.pose3d, np.float32)
    pose = (pose - pose[:, :1]).reshape(T, -1) / 1000
    bb = np.asarray(seq.bbox, np.float32)                                              # (T, 4) x0, y0, x1, y1
    box = np.stack([(bb[:, 0] + bb[:, 2]) / 2 / W, (bb[:, 1] + bb[:, 3]) / 2 / H,
                    (bb[:, 2] - bb[:, 0]) / W, (bb[:, 3] - bb[:, 1]) / H], 1)
    bg, light = [], []
    for t in range(T):
        b = np.asarray(seq.background_at(t))
        x0, y0, x1, y1 = np.clip(np.round(bb[t]).astype(int), 0, [W - 1, H - 1, W - 1, H - 1])
        bg.append(cv2.resize(b[y0:y1 + 1, x0:x1 + 1], (8, 8), interpolation=cv2.INTER_AREA).reshape(-1) / 255)
        off = np.asarray(seq.mask[t]) == 0
        light.append(np.asarray(seq.frames[t])[off].mean(0) / 255 if off.any() else np.zeros(3))
    bg, light = np.asarray(bg, np.float32), np.asarray(light, np.float32)
    seq.release()
    return {"pose": pose, "box": box, "background": bg, "lighting": light,
            "box+background+lighting": np.concatenate([box, bg, light], 1)}


def tuple_arrays(sampler, n: int, rng) -> tuple:
    "`n` tuples as index arrays (sequence, reference, nearby, intermediate, away)."
    tups = sampler.sample(n, rng)
    return tuple(np.array([getattr(u, k) for u in tups]) for k in ("seq", "ref", "near", "inter", "away"))


def dsl_of(code, tup, d_max: int) -> float:
    "The DSL loss (Eq. 6) of per-frame codes `code[seq][t]` on the tuples `tup`."
    from tvti.losses import dsl_all
    s, r, n, i, a = tup
    z = lambda t: torch.as_tensor(np.stack([code[q][u] for q, u in zip(s, t)]), dtype=torch.float32)
    d = lambda t: torch.as_tensor(np.abs(t - r), dtype=torch.float32)
    return float(dsl_all(z(r), z(n), z(i), z(a), d(n), d(i), d(a), d_max))


def fit_cue(train_cue, train_sampler, d_max: int, steps: int, seed: int, batch: int = 256):
    """An MLP from the cue to a 32-number code, trained with the DSL loss on train tuples; returns it with the cue's
    mean and std."""
    from tvti.losses import dsl_all
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    allx = np.concatenate(train_cue)
    mu, sd = allx.mean(0), allx.std(0) + 1e-6
    net = nn.Sequential(nn.Linear(allx.shape[1], 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 32))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    X = [torch.as_tensor((c - mu) / sd, dtype=torch.float32) for c in train_cue]
    for _ in range(steps):
        s, r, n, i, a = tuple_arrays(train_sampler, batch, rng)
        z = lambda t: net(torch.stack([X[q][u] for q, u in zip(s, t)]))
        d = lambda t: torch.as_tensor(np.abs(t - r), dtype=torch.float32)
        loss = dsl_all(z(r), z(n), z(i), z(a), d(n), d(i), d(a), d_max)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval(), mu, sd


def run_codes(run, ds, split: str, which: str = "best") -> list:
    """The frozen `I_tv` of run folder `run` (its checkpoint `which`; or of a network given as such) on every frame of
    `split`, per sequence."""
    from tvti.pose import load_run, extract_features
    obj = load_run(run, which) if isinstance(run, (str, Path)) else run.eval()
    F = extract_features(obj, ds, split)
    tv = F["tv"].numpy()
    return [tv[F["seq"] == k] for k in range(len(F["names"]))]


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="dsl_cues", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="a labelled dataset folder (pose3d, bbox, mask) with train and val splits, "
                                 "e.g. the bench's h36m-like set")
    ap.add_argument("runs", nargs="*", help="trained run folders whose I_tv is scored too")
    ap.add_argument("--which", default="best",
                    help="the checkpoint of each RUN: best (default), latest, or e.g. step_000500 (tvti-bench --curve)")
    ap.add_argument("--untrained", action="store_true",
                    help="also score the I_tv of an untrained ours network (seed 0)")
    ap.add_argument("--out", help="write the results to this JSON file")
    ap.add_argument("--steps", type=int, default=2000, help="Adam steps of each cue's MLP (default 2000)")
    ap.add_argument("--tuples", type=int, default=4096, help="validation tuples scored (default 4096)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.steps < 1 or a.tuples < 1:
        fail(f"--steps {a.steps} and --tuples {a.tuples} must be at least 1")
    from tvti.core import TvtiError
    from tvti.data import load_dataset
    from tvti.sampling import TupleSampler
    try:
        ds = load_dataset(a.data)
        for split in ("train", "val"):
            seqs = [s for s in ds if s.split == split]
            if not seqs:
                fail(f"{a.data}: no {split!r} sequences; the diagnosis trains on train tuples "
                     "and scores validation tuples")
            missing = [k for k in ("pose3d", "bbox", "mask") if getattr(seqs[0], k) is None]
            if missing:
                fail(f"{a.data}: the {split!r} sequences lack {', '.join(missing)}; the cues need them "
                     "(tvti-synth writes them)")
        for r in a.runs:
            if not (Path(r) / "config.json").is_file():
                fail(f"{r}: not a tvti-train run folder (no config.json)")
            if not (Path(r) / "checkpoints" / f"{a.which}.pt").is_file():
                fail(f"{r}: has no checkpoint {a.which}.pt (--which)")
        tr, va = TupleSampler(ds, "train"), TupleSampler(ds, "val")
        d_max = tr.d_max
        cues = {sp: [frame_cues(s) for s in smp.seqs] for sp, smp in (("train", tr), ("val", va))}
        val_tup = tuple_arrays(va, a.tuples, np.random.default_rng(a.seed + 1))
        res = {"data": str(a.data), "d_pos": tr.d_pos, "d_max": d_max, "val_tuples": a.tuples, "mlp_steps": a.steps,
               "loss": {}}
        for c in CUES:
            net, mu, sd = fit_cue([f[c] for f in cues["train"]], tr, d_max, a.steps, a.seed)
            with torch.no_grad():
                code = [net(torch.as_tensor((f[c] - mu) / sd, dtype=torch.float32)).numpy() for f in cues["val"]]
            res["loss"][c] = dsl_of(code, val_tup, d_max)
            print(f"dsl_cues: {c}: {res['loss'][c]:.4f}", file=sys.stderr)
        g = np.random.default_rng(a.seed)
        constant = [np.ones((len(f["pose"]), 32), np.float32) for f in cues["val"]]
        res["loss"]["constant code"] = dsl_of(constant, val_tup, d_max)
        noise = [g.standard_normal((len(f["pose"]), 32)).astype(np.float32) for f in cues["val"]]
        res["loss"]["random codes"] = dsl_of(noise, val_tup, d_max)
        for r in a.runs:
            res["loss"][f"I_tv of {r} ({a.which})"] = dsl_of(run_codes(r, ds, "val", a.which), val_tup, d_max)
        if a.untrained:
            import warnings
            from tvti.core import seed_everything
            from tvti.variants import Objective, get_variant
            from tvti.config import get_config
            seed_everything(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                net = Objective(get_variant("ours"), get_config("tiny"))
            res["loss"]["I_tv of an untrained ours"] = dsl_of(run_codes(net, ds, "val"), val_tup, d_max)
    except TvtiError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename or a.data}: {e.strerror}")
    width = max(len(k) for k in res["loss"])
    print(f"DSL loss (Eq. 6) on {a.tuples} validation tuples (d_pos {res['d_pos']}, d_max {d_max}):")
    for k, v in res["loss"].items():
        print(f"  {k:<{width}}  {v:.4f}")
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
