#!/usr/bin/env python3
"""What the pixels allow: `ours`' own encoder trained *with* 3D labels, scored like `I_tv`.

    python research/supervised_level.py DATA [OUT.json] [STEPS]

The backbone and the time-variant head of `tvti.encoder.SplitEncoder` (the `tiny` configuration, a code of
`tv_dim` numbers), then one linear layer to the 17 joints, trained end to end on crops of the *true* box of every
4th frame of the training subjects (Adam, lr 1e-3, batches of 64, STEPS steps, 2000 by default), each crop
colour-jittered as `E_tv`'s input is in training (`TINY.jitter`). The step is chosen on
the validation subjects' MPJPE; the test subjects are read once. It prints and writes N-MPJPE and the within-video
MPJPE of `tvti.analysis.pose_from_code` (each test video's mean taken out of predictions and targets), beside the
level of a prediction constant in the video. No unsupervised code of the same size, read from the same crops, should
be expected to do better; the gap between this level and `I_tv` is what unsupervised learning leaves on the table."""
import sys, json, warnings
from pathlib import Path
import numpy as np
import torch
import torch.nn as nn

def crops_of(ds, split: str, size: int, every: int = 4) -> dict:
    "Crops (N, 3, size, size) of the true box, 3D poses (N, 17, 3) in mm and video ids of every `every`-th frame."
    from torchvision.ops import roi_align
    from tvti.core import TvtiError
    from tvti.data import frames_tensor
    seqs = [s for s in ds if s.split == split]
    if not seqs:
        raise TvtiError(f"{ds.root}: no sequences in split {split!r}")
    if seqs[0].bbox is None or seqs[0].pose3d is None:
        raise TvtiError(f"{ds.root}: split {split!r} has no true boxes or 3D poses")
    X, P, V = [], [], []
    for i, s in enumerate(seqs):
        ts = list(range(0, len(s), every))
        f = frames_tensor([s.frames[t] for t in ts])
        b = torch.from_numpy(np.stack([np.asarray(s.bbox[t], dtype=np.float32) for t in ts]))
        X.append(roi_align(f, [bb[None] for bb in b], output_size=size, aligned=True))
        P.append(torch.from_numpy(np.stack([s.pose3d[t] for t in ts])).float())
        V += [i] * len(ts)
        s.release()
    return dict(x=torch.cat(X), pose3d=torch.cat(P), seq=np.array(V))

def main(argv):
    if not 1 <= len(argv) <= 3:
        sys.exit(__doc__)
    from tvti.core import TvtiError, os_error_message
    from tvti.data import load_dataset
    from tvti.config import TINY
    from tvti.encoder import SplitEncoder
    from tvti.pose import mpjpe, n_mpjpe, root_relative
    from tvti.analysis import video_residuals
    try:
        steps = argv[2] if len(argv) == 3 else "2000"
        if not steps.isdigit() or int(steps) < 1:
            raise TvtiError(f"STEPS must be a whole number of at least 1, got {steps!r}")
        steps = int(steps)
        ds = load_dataset(argv[0])
        if ds.joints != "h36m17":
            raise TvtiError(f"{argv[0]}: joints {ds.joints!r}; this study regresses Human3.6M's 17 (h36m17)")
        val = "val" if any(s.split == "val" for s in ds) else "train"
        S = {sp: crops_of(ds, sp, TINY.crop) for sp in dict.fromkeys(("train", val, "test"))}
    except (TvtiError, ValueError, OSError) as e:
        print(f"supervised_level: error: {os_error_message(e) if isinstance(e, OSError) else e}", file=sys.stderr)
        sys.exit(2)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = SplitEncoder(TINY)
    net = nn.Sequential(enc.backbone, enc.tv_head, nn.Linear(TINY.tv_dim, 17 * 3))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    tr = S["train"]
    y = root_relative(tr["pose3d"]).flatten(1) / 1000  # metres, as Φ's targets
    predict = lambda x: torch.cat([net(x[k:k + 256]) for k in range(0, len(x), 256)]).view(-1, 17, 3) * 1000
    g = torch.Generator().manual_seed(0)
    best, state, order = float("inf"), None, torch.empty(0, dtype=torch.long)
    for step in range(1, steps + 1):
        if len(order) == 0:
            order = torch.randperm(len(y), generator=g)
        idx, order = order[:64], order[64:]
        net.train()
        loss = ((net(enc.jitter(tr["x"][idx])) - y[idx]) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps:
            net.eval()
            with torch.no_grad():
                e = float(mpjpe(predict(S[val]["x"]), S[val]["pose3d"]))
            print(f"step {step}: loss {loss.item():.4f}, {val} MPJPE {e:.1f}", flush=True)
            if e < best:
                best, state = e, {k: x.clone() for k, x in net.state_dict().items()}
    net.load_state_dict(state)
    net.eval()
    out = {"steps": steps, "best_val_mpjpe": best}
    for sp in dict.fromkeys((val, "test")):
        with torch.no_grad():
            pred = predict(S[sp]["x"])
        gt, seq = S[sp]["pose3d"], S[sp]["seq"]
        rg, rp = video_residuals(gt, seq), video_residuals(pred, seq)
        out[sp] = {"n_mpjpe": float(n_mpjpe(pred, gt)), "within_video_mpjpe": float(mpjpe(rp, rg)),
                   "within_video_zero": float(mpjpe(torch.zeros_like(rg), rg))}
        print(sp, {k: round(x, 1) for k, x in out[sp].items()}, flush=True)
    if len(argv) >= 2:
        Path(argv[1]).write_text(json.dumps(out, indent=1) + "\n")

if __name__ == "__main__":
    main(sys.argv[1:])
