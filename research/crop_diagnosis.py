#!/usr/bin/env python3
"""Which part of the learned box costs `I_tv` its pose: feed a trained run's encoder other crops and score its codes.

    python research/crop_diagnosis.py RUN DATA [--out OUT.json] [--modes learned,true,...] [--every 4]
                                      [--phi-steps 300] [--on test]

For every mode, the run's encoder reads crops of every `every`-th frame of the training, validation and test
subjects; Φ is fitted on each code as `tvti-eval --identity` does (`tvti.analysis.pose_from_code`) and read on the
test subjects (`--on val`: on the validation subjects, where Φ's step is also chosen): N-MPJPE, and MPJPE within
a video. The crops:

- `learned`: the run's own box (what `tvti-eval` scores);
- `true`: the dataset's true box (labels);
- `true_centre`: the learned size around the true centre (labels);
- `true_size`: the true size around the learned centre (labels);
- `mask_centre`: the learned size around the centroid of the run's own decoded mask, as pasted in the frame
  (no labels: one step of a mean shift at test time);
- `true_mask_centre`: the learned size around the centroid of the true mask (labels).

It also reports, on the same subjects, how the learned box differs from the true one: the centre's offset in
half-sizes of the true box and the size ratio, their means, spreads, and spreads within a video. No test
subject's label is used to choose anything; settings are compared with `--on val`."""
import json, sys, warnings
from pathlib import Path
import numpy as np
import torch
from fastcore.script import call_parse

MODES = ("learned", "true", "true_centre", "true_size", "mask_centre", "true_mask_centre")


def crop_features(obj, ds, split: str, mode: str, every: int = 4, batch: int = 32) -> dict:
    """Codes of `mode`'s crops of every `every`-th frame of `split`, with poses, video ids and (learned vs true) box
    statistics."""
    from tvti.core import TvtiError
    from tvti.stn import crop, pixels_to_box
    from tvti.data import frames_tensor
    from tvti.losses import mask_centroid
    seqs = [s for s in ds if s.split == split]
    if not seqs:
        raise TvtiError(f"{ds.root}: no sequences in split {split!r}")
    if seqs[0].bbox is None or seqs[0].pose3d is None:
        raise TvtiError(f"{ds.root}: split {split!r} has no true boxes or 3D poses")
    items = [(i, t) for i, s in enumerate(seqs) for t in range(0, len(s), every)]
    tv, ti, stats = [], [], []
    for k in range(0, len(items), batch):
        ch = items[k:k + batch]
        f = frames_tensor([seqs[i].frames[t] for i, t in ch])
        H, W = f.shape[-2:]
        boxes = np.stack([np.asarray(seqs[i].bbox[t], dtype=np.float32) for i, t in ch])
        gt = pixels_to_box(torch.from_numpy(boxes), H, W)
        with torch.no_grad():
            lb = obj.model.detector(f)                                          # (s_x, s_y, u_x, u_y)
            if mode == "mask_centre":
                bg = frames_tensor([seqs[i].background_at(t) for i, t in ch])
                batch_in = dict(frames=f, backgrounds=bg, seq=torch.zeros(len(f), dtype=torch.long))
                M = obj.run_model(batch_in, None, jitter=False)["M"]
                box = torch.cat([lb[:, :2], mask_centroid(M)], 1)
            elif mode == "true_mask_centre":
                if seqs[0].mask is None:
                    raise TvtiError(f"{ds.root}: split {split!r} has no true masks (mode true_mask_centre)")
                gm = torch.from_numpy(np.stack([np.asarray(seqs[i].mask[t]) for i, t in ch]))[:, None]
                box = torch.cat([lb[:, :2], mask_centroid(gm)], 1)
            else:
                box = dict(learned=lb, true=gt,
                           true_centre=torch.cat([lb[:, :2], gt[:, 2:]], 1),
                           true_size=torch.cat([gt[:, :2], lb[:, 2:]], 1))[mode]
            I_tv, I_ti, _ = obj.model.encoder(crop(f, box, obj.cfg.crop), False)
        tv.append(I_tv)
        ti.append(I_ti)
        stats.append(torch.cat([(lb[:, 2:] - gt[:, 2:]) / gt[:, :2], lb[:, :2] / gt[:, :2]], 1))
    for s in seqs:
        s.release()
    return dict(tv=torch.cat(tv), ti=torch.cat(ti), stats=torch.cat(stats), seq=np.array([i for i, _ in items]),
                pose3d=torch.from_numpy(np.stack([seqs[i].pose3d[t] for i, t in items])).float())


STAT_NAMES = ("centre offset x / half-width", "centre offset y / half-height", "width ratio", "height ratio")


def box_statistics(F: dict) -> dict:
    "Mean, spread, and mean spread within a video of `crop_features`' box statistics."
    st, seq = F["stats"].double(), F["seq"]
    within = torch.stack([st[seq == v].std(0, unbiased=False) for v in np.unique(seq)]).mean(0)
    return {n: dict(mean=float(st[:, j].mean()), sd=float(st[:, j].std(unbiased=False)),
                    within_video_sd=float(within[j]))
            for j, n in enumerate(STAT_NAMES)}


def diagnose(run, data, modes=MODES, every: int = 4, phi_steps: int = 300, on: str = "test",
             progress: bool = True) -> dict:
    from tvti.core import TvtiError
    from tvti.pose import load_run
    from tvti.data import load_dataset
    from tvti.analysis import pose_from_code, within_video_gain
    torch.manual_seed(0)
    obj, ds = load_run(run), load_dataset(data)
    if not obj.v.stn:
        raise TvtiError(f"{run}: a {obj.v.name!r} run has no learned box (no STN); nothing to diagnose")
    if "mask_centre" in modes and not obj.v.decoder:
        raise TvtiError(f"{run}: a {obj.v.name!r} run decodes no mask; drop mask_centre from --modes")
    splits = ("train", "val", "test") if any(s.split == "val" for s in ds) else ("train", "test")
    if on not in splits:
        raise TvtiError(f"{ds.root}: has no {on!r} split")
    out = {}
    for mode in modes:
        F = {sp: crop_features(obj, ds, sp, mode, every) for sp in splits}
        F["test"] = F[on]                                               # pose_from_code reads its "test" entry
        a = {f"I_{c}": {"pose": pose_from_code(F, c, steps=phi_steps)} for c in ("tv", "ti") if F["test"][c].shape[1]}
        out[mode] = {c: a[c]["pose"] for c in a} | {"gain": within_video_gain(a)}
        if progress:
            codes = "  ".join(f"{c}: N-MPJPE {r['n_mpjpe']:.1f}, within {r['within_video_mpjpe']:.1f}"
                              for c, r in out[mode].items() if c != "gain")
            print(f"{mode:12s} " + codes + f"  (I_tv below I_ti by {out[mode]['gain']:.0%})", flush=True)
    out["split"], out["box_statistics"] = on, box_statistics(F["test"])
    out["within_video_zero"] = next(iter(out[modes[0]].values()))["within_video_zero"]
    return out


@call_parse
def main(
    run: str,                 # a tvti-train run folder
    data: str,                # the dataset it was trained on (with true boxes and 3D poses)
    out: str = None,          # write the results here as JSON
    # comma-separated crops to score: learned, true, true_centre, true_size, mask_centre, true_mask_centre
    modes: str = ",".join(MODES),
    every: int = 4,           # every n-th frame
    phi_steps: int = 300,     # Φ's Adam steps for each code
    on: str = "test",         # the subjects to score: test, or val (to compare settings)
):
    "Score a trained run's codes on crops of the learned box, the true box, and mixtures of the two."
    from tvti.core import TvtiError, os_error_message
    try:
        ms = tuple(m.strip() for m in modes.split(",") if m.strip())
        bad = [m for m in ms if m not in MODES]
        if bad or not ms:
            raise TvtiError(f"--modes {modes!r}: expected some of {', '.join(MODES)}")
        if on not in ("test", "val"):
            raise TvtiError(f"--on {on!r}: expected test or val")
        if every < 1 or phi_steps < 1:
            raise TvtiError(f"--every and --phi-steps must be at least 1, got {every} and {phi_steps}")
        if out and not Path(out).parent.is_dir():
            raise TvtiError(f"--out {out}: the folder {Path(out).parent} does not exist")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = diagnose(run, data, ms, every, phi_steps, on)
        if out:
            p = Path(out)
            tmp = p.with_name(p.name + ".tmp")
            tmp.write_text(json.dumps(res, indent=1) + "\n")
            tmp.replace(p)
    except (TvtiError, OSError) as e:
        print(f"crop_diagnosis: error: {os_error_message(e) if isinstance(e, OSError) else e}", file=sys.stderr)
        sys.exit(2)
    print(f"on the {on} subjects; a prediction constant in each video: {res['within_video_zero']:.1f}")
    for n, d in res["box_statistics"].items():
        print(f"learned box, {n}: mean {d['mean']:.3f}, sd {d['sd']:.3f}, within a video {d['within_video_sd']:.3f}")
