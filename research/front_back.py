#!/usr/bin/env python3
"""Does the image leave a pose's left and right undecided? Φ on the true 2D pose, with and without left/right labels.

    python research/front_back.py DATA [OUT.json]      # DATA: a tvti-synth folder with pose2d and pose3d labels

Fits Φ (`tvti.pose.fit_regressor`'s MLP, 300 steps, as `tvti-eval`) on every 4th frame's 2D joints, made
pelvis-relative and scaled to unit extent, as a crop would. It fits twice: once with the joints as labelled, once
with each frame's left and right limbs exchanged where needed so that the left hip lies on the image's right. The
second is what a picture holds when left and right limbs look alike (TVTI-Synth's do). It prints N-MPJPE and the
within-video MPJPE of `tvti.analysis.pose_from_code` on the test split for both: a level that image features such
as `I_tv` could reach."""
import sys, json
from pathlib import Path
import numpy as np
import torch

LEFT, RIGHT = [4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]     # H36M order: hip, knee, ankle, shoulder, elbow, wrist

def features(p2, labelled: bool) -> torch.Tensor:
    "(N, 17, 2) pixel joints -> (N, 34): pelvis-relative, unit extent; unlabelled: left hip put on the image's right."
    p = p2 - p2[:, :1]
    p = p / np.maximum(np.linalg.norm(p, axis=-1).max(1), 1e-6)[:, None, None]
    if not labelled:
        swap = p[:, 4, 0] < p[:, 1, 0]
        q = p.copy()
        q[np.ix_(swap, LEFT)] = p[np.ix_(swap, RIGHT)]
        q[np.ix_(swap, RIGHT)] = p[np.ix_(swap, LEFT)]
        p = q
    return torch.tensor(p.reshape(len(p), -1), dtype=torch.float32)

def fail(msg: str):
    print(f"front_back: error: {msg}", file=sys.stderr)
    sys.exit(2)

def main(argv):
    if len(argv) not in (1, 2) or argv[0] in ("-h", "--help"):
        if argv[:1] in (["-h"], ["--help"]):
            print(__doc__)
            return
        fail("usage: python research/front_back.py DATA [OUT.json] (--help for more)")
    from tvti.core import TvtiError, os_error_message, seed_everything
    from tvti.data import load_dataset
    from tvti.analysis import pose_from_code
    seed_everything(0)
    try:
        ds = load_dataset(argv[0])
        if ds.joints != "h36m17":
            raise TvtiError(f"{argv[0]}: joints {ds.joints!r}; the left/right test reads Human3.6M's 17 (h36m17)")
        splits = ("train", "val", "test") if ds.split("val") else ("train", "test")  # Φ selects on train without val
        for sp in splits:
            seqs = ds.split(sp)
            if not seqs:
                raise TvtiError(f"{argv[0]}: no {sp!r} sequences")
            if any(s.pose2d is None or s.pose3d is None for s in seqs):
                raise TvtiError(f"{argv[0]}: every {sp!r} sequence needs pose2d and pose3d")
        out = {}
        for labelled in (True, False):
            F = {}
            for sp in splits:
                seqs = ds.split(sp)
                items = [(i, t) for i, s in enumerate(seqs) for t in range(0, len(s), 4)]
                F[sp] = {"x": features(np.stack([np.asarray(seqs[i].pose2d[t], float) for i, t in items]), labelled),
                         "pose3d": torch.from_numpy(np.stack([seqs[i].pose3d[t] for i, t in items])).float(),
                         "seq": np.array([i for i, _ in items])}
            name = "labelled" if labelled else "unlabelled"
            out[name] = pose_from_code(F, "x", seed=0, steps=300)
            r = out[name]
            print(f"2D pose, {name:10s}: N-MPJPE {r['n_mpjpe']:.1f}, within a video {r['within_video_mpjpe']:.1f} "
                  f"(constant in a video: {r['within_video_zero']:.1f})", flush=True)
        if len(argv) == 2:
            dst = Path(argv[1])
            tmp = dst.with_name(f".{dst.name}.partial")
            tmp.write_text(json.dumps(out, indent=1))
            tmp.replace(dst)
    except TvtiError as e:
        fail(str(e))
    except OSError as e:
        fail(os_error_message(e))

if __name__ == "__main__":
    main(sys.argv[1:])
