#!/usr/bin/env python3
"""What does a frozen code hold at each kept state of a run: pose, or where the subject stands? Read on validation
subjects only.

    python research/code_probe.py DATA RUN [RUN ...] [--which step_000500,step_001000,step_002000] [--every 4]
                                  [--phi-steps 200,1000] [--out OUT.json]

For every RUN and kept state (`--which`, the curve's `step_NNNNNN` files or best/latest) the run's encoder gives
`I_tv` and `I_ti` on every --every-th frame of the train and validation splits. Test subjects are never read. Then:

- `phi_S`: validation N-MPJPE of the pose regressor Φ of the protocol (13_pose's `fit_regressor`, S Adam steps, kept
  at its best validation MPJPE) fitted on `I_tv` of the training subjects with all labels. S = the curve's 200 reads
  as the curve reads; a longer Φ says whether 200 steps leave a code under-fitted.
- `ridge`: the same read with a linear regressor (ridge, closed form, its weight chosen on validation), and `knn`
  with the mean pose of the 8 nearest training codes: whether the pose is still in the code when Φ fails to find it.
- `pose_r2`, `box_r2`, `ti_box_r2`: the fraction of validation variance that ridge explains, from `I_tv`, of the
  root-relative pose and of the true box (centre x, centre y, size), and of the box from `I_ti`. A code that tells the
  box ever better while it tells the pose ever worse has found the subject's place in the room as a shortcut.
- `norm`, `spread`: the mean length of `I_tv` and its participation ratio (how many directions its variance uses).

OUT (JSON) keeps one entry per run folder and state, with the settings it was read with; an entry already there is
never computed again, and a file read with other settings is refused."""
import sys
from pathlib import Path
import numpy as np

KNN = 8
RIDGE_WEIGHTS = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)


def fail(msg: str):
    print(f"code_probe: error: {msg}", file=sys.stderr)
    sys.exit(2)


def ridge_fit(X, Y, weight: float):
    "Ridge regression of Y (N, D) on standardised X (N, F) with an intercept; returns (W (F, D), b (D,))."
    mx, my = X.mean(0), Y.mean(0)
    Xc = X - mx
    W = np.linalg.solve(Xc.T @ Xc + weight * len(X) * np.eye(X.shape[1]), Xc.T @ (Y - my))
    return W, my - mx @ W


def r2(pred, Y) -> float:
    "1 - residual / total variance, summed over Y's columns."
    return float(1 - ((pred - Y) ** 2).sum() / ((Y - Y.mean(0)) ** 2).sum())


def best_ridge(Xtr, Ytr, Xva, Yva, score) -> tuple[float, np.ndarray]:
    "The ridge weight whose validation predictions score lowest; returns (its score, its predictions)."
    best = (float("inf"), None)
    for w in RIDGE_WEIGHTS:
        W, b = ridge_fit(Xtr, Ytr, w)
        p = Xva @ W + b
        s = score(p)
        if s < best[0]: best = (s, p)
    return best


def participation(X) -> float:
    "Participation ratio of the covariance's eigenvalues: (sum l)^2 / sum l^2, from 1 to the code's length."
    ev = np.clip(np.linalg.eigvalsh(np.cov(X.T)), 0, None)
    return float(ev.sum() ** 2 / max((ev ** 2).sum(), 1e-30))


def box_target(F, ds, split: str, every: int) -> np.ndarray:
    "True boxes of the extracted frames as (centre x, centre y, size), in image fractions."
    seqs = [s for s in ds if s.split == split]
    bb = np.stack([np.asarray(seqs[i].bbox[t], np.float64) for i, t in zip(F["seq"], F["t"])])
    H, W = seqs[0].height, seqs[0].width
    return np.stack([(bb[:, 0] + bb[:, 2]) / 2 / W, (bb[:, 1] + bb[:, 3]) / 2 / H,
                     np.sqrt((bb[:, 2] - bb[:, 0]) * (bb[:, 3] - bb[:, 1]) / (H * W))], 1)


def probe(F: dict, B: dict, phi_steps, seed: int = 0) -> dict:
    """The reads of one state from its train/val features `F[split]` (extract_features' dicts) and true boxes
    `B[split]`."""
    import torch
    from sklearn.neighbors import KNeighborsRegressor
    from tvti.pose import fit_regressor, n_mpjpe, root_relative
    tr, va = F["train"], F["val"]
    Ytr, Yva = tr["pose3d"], va["pose3d"]
    res = {}
    for s in phi_steps:
        phi, mu, sd, _ = fit_regressor(tr["tv"], Ytr, va["tv"], Yva, "mlp", steps=s, seed=seed)
        with torch.no_grad(): p = phi((va["tv"] - mu) / sd).view(-1, 17, 3) * 1000
        res[f"phi_{s}"] = n_mpjpe(p, Yva).item()
    std = lambda X, ref: (X - ref.mean(0)) / ref.std(0).clip(1e-6)
    xtr, xva = (std(np.asarray(F[sp]["tv"], np.float64), np.asarray(tr["tv"], np.float64)) for sp in ("train", "val"))
    ytr = root_relative(Ytr).flatten(1).numpy().astype(np.float64)
    yva = root_relative(Yva).flatten(1).numpy().astype(np.float64)
    to_pose = lambda p: torch.as_tensor(p, dtype=torch.float32).view(-1, 17, 3)
    res["ridge"], p = best_ridge(xtr, ytr, xva, yva, lambda p: n_mpjpe(to_pose(p), Yva).item())
    res["pose_r2"] = r2(p, yva)
    knn = KNeighborsRegressor(KNN).fit(xtr, ytr)
    res["knn"] = n_mpjpe(to_pose(knn.predict(xva)), Yva).item()
    res["box_r2"] = r2(best_ridge(xtr, B["train"], xva, B["val"], lambda p: -r2(p, B["val"]))[1], B["val"])
    ttr, tva = (std(np.asarray(F[sp]["ti"], np.float64), np.asarray(tr["ti"], np.float64)) for sp in ("train", "val"))
    res["ti_box_r2"] = r2(best_ridge(ttr, B["train"], tva, B["val"], lambda p: -r2(p, B["val"]))[1], B["val"])
    tv = np.asarray(va["tv"], np.float64)
    res["norm"], res["spread"] = float(np.linalg.norm(tv, axis=1).mean()), participation(tv)
    return res


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="code_probe", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="a labelled dataset folder (pose3d, bbox) with train and val splits, "
                                 "e.g. the curve's data/h36m-like")
    ap.add_argument("runs", nargs="+", help="trained run folders (e.g. the curve's runs/ours-s0)")
    ap.add_argument("--which", default="step_000500,step_001000,step_002000",
                    help="kept states of each RUN, comma-separated (default: the curve's first three doublings)")
    ap.add_argument("--every", type=int, default=4, help="every N-th frame is read (default 4, as the curve)")
    ap.add_argument("--phi-steps", default="200,1000", help="Adam steps of Φ, comma-separated (default 200,1000)")
    ap.add_argument("--out", default="code_probe.json", help="results, one entry per run and state")
    a = ap.parse_args(argv)
    try: phi_steps = [int(s) for s in a.phi_steps.split(",")]
    except ValueError: fail(f"--phi-steps {a.phi_steps!r}: expected whole numbers, e.g. 200,1000")
    if a.every < 1 or min(phi_steps) < 1: fail("--every and --phi-steps must be at least 1")
    which = [w for w in a.which.split(",") if w]
    for r in a.runs:
        if not (Path(r) / "config.json").is_file(): fail(f"{r}: not a tvti-train run folder (no config.json)")
        for w in which:
            if not (Path(r) / "checkpoints" / f"{w}.pt").is_file(): fail(f"{r}: has no checkpoint {w}.pt (--which)")
    from tvti.core import TvtiError, load_json, save_json
    from tvti.data import load_dataset
    from tvti.pose import load_run, extract_features
    out = Path(a.out)
    res = load_json(out, "--out") if out.exists() else {}
    settings = {"data": str(Path(a.data).resolve()), "every": a.every, "phi_steps": phi_steps}
    if res.get("_settings", settings) != settings:
        fail(f"{out}: holds reads made with other settings ({res['_settings']}); choose another --out")
    res["_settings"] = settings
    try:
        ds = load_dataset(a.data)
        if ds.joints != "h36m17": fail(f"{a.data}: joints {ds.joints!r}; the probe reads Human3.6M's 17 (h36m17)")
        for split in ("train", "val"):
            seqs = [s for s in ds if s.split == split]
            if not seqs: fail(f"{a.data}: no {split!r} sequences; the probe fits on train and reads validation")
            if seqs[0].pose3d is None or seqs[0].bbox is None:
                fail(f"{a.data}: the {split!r} sequences lack pose3d or bbox (tvti-synth writes them)")
        for r in a.runs:
            for w in which:
                key = f"{Path(r).resolve()}:{w}"
                if key in res: continue
                obj = load_run(r, w)
                F = {sp: extract_features(obj, ds, sp, every=a.every) for sp in ("train", "val")}
                B = {sp: box_target(F[sp], ds, sp, a.every) for sp in F}
                res[key] = probe(F, B, phi_steps)
                save_json(res, out)
                print(f"code_probe: {key}: " + ", ".join(f"{k} {v:.3f}" for k, v in res[key].items()),
                      file=sys.stderr)
    except TvtiError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename or a.data}: {e.strerror}")


if __name__ == "__main__":
    main(sys.argv[1:])
