#!/usr/bin/env python3
"""Pose from frozen features on motion the generator never made: captured takes performed by the test subjects.

    python research/heldout_motion.py BENCH OUT [RUN ...] [--which step_001000] [--untrained] [--bvh F1,F2]
                                   [--fractions 1,0.1] [--phi-steps 200] [--every 4] [--seed 0]

BENCH is a TVTI-Synth room dataset (e.g. the bench's h36m-like set, `tvti-bench-out/data/h36m-like`). The tool films
the BVH takes (default: every .bvh in ../shared/data/mocap, CMU motion capture) with BENCH's test subjects, in its
room, with its cameras, seed and frame size (and the preset's views and noise), into OUT/heldout (`tvti-synth --bvh
... --bvh-splits test`; made once; a take whose performer leaves the frame is cut in halves). Then, for every feature
source (each trained RUN at the checkpoint --which, an untrained `ours` network with --untrained,
and background subtraction), it fits Φ on BENCH's training subjects with the label fractions, selects it on BENCH's
validation subjects, as the bench does, and reads N-MPJPE, MPJPE and P-MPJPE twice: on the captured takes, and on
BENCH's own test videos for comparison. Beside them stand the mean training pose and the per-video mean pose of the
test videos (an oracle that sees no image). Nothing is trained on the captured takes: they are read, not tuned on.

Results go to OUT/heldout.json and a table on standard output."""
import re, sys
from pathlib import Path


def fail(msg: str):
    print(f"heldout_motion: error: {msg}", file=sys.stderr)
    sys.exit(2)


def default_bvh() -> list[Path]:
    from tvti.core import shared_data_dir
    d = shared_data_dir()
    return sorted((d / "mocap").glob("*.bvh")) if d is not None else []


def cut_bvh(src: Path, dst: Path, start: int, stop: int):
    "Write frames [start, stop) of the BVH file `src` to `dst` (the hierarchy unchanged)."
    lines = Path(src).read_text().splitlines()
    m = next(i for i, l in enumerate(lines) if l.strip().upper() == "MOTION")
    frames = [l for l in lines[m + 3:] if l.strip()]
    from tvti.core import atomic_write
    head = lines[:m + 1] + [f"Frames: {stop - start}", lines[m + 2]]
    with atomic_write(dst, "w") as f:
        f.write("\n".join(head + frames[start:stop]) + "\n")


def film(folder: Path, info: dict, bvh: list, progress: bool):
    """Film the takes `bvh` with the test subjects; a take whose performer leaves the frame is cut in halves (each
    centred in the room again) until every part stays in view. The parts are written under folder/../takes."""
    from tvti.body import read_bvh
    from tvti.core import TvtiError
    from tvti.synth import synthesize, PRESETS
    p, parts = PRESETS[info["preset"]], {Path(f).stem: Path(f) for f in bvh}
    cuts = folder.parent / "takes"
    while True:
        try:
            return synthesize(folder, info["preset"], seed=int(info["seed"]), size=tuple(info["size"]), frames=4,
                              actions=p.actions[:1], videos=1, bvh=[str(f) for f in parts.values()],
                              bvh_splits=("test",), progress=progress, overwrite=True)
        except TvtiError as e:
            name = next((n for n in parts if f"_mocap-{n}." in str(e) or f"_mocap-{n}:" in str(e)), None)
            if name is None or "left the frame" not in str(e):
                raise
            n = len(read_bvh(parts[name]).positions)
            if n < 240:
                raise
            cuts.mkdir(parents=True, exist_ok=True)
            src = parts.pop(name)
            for k, (a, b) in enumerate(((0, n // 2), (n // 2, n))):
                parts[f"{name}-{k + 1}"] = cuts / f"{name}-{k + 1}.bvh"
                cut_bvh(src, parts[f"{name}-{k + 1}"], a, b)
            print(f"heldout_motion: {name}: the performer leaves the frame; filmed as two halves", file=sys.stderr)


def make_heldout(bench, out: Path, bvh: list, progress: bool = True):
    """The captured takes performed by BENCH's test subjects in BENCH's room: a Dataset of those sequences only
    (split test)."""
    from tvti.data import Dataset, load_dataset
    from tvti.synth import PRESETS
    info = bench.info
    preset = PRESETS.get(info.get("preset"))
    if info.get("generator") != "tvti-synth" or preset is None or preset.kind != "room":
        fail(f"{bench.root}: not a TVTI-Synth room dataset (its dataset.json names generator "
             f"{info.get('generator')!r}, preset {info.get('preset')!r})")
    folder = out / "heldout"
    if (folder / "dataset.json").exists():
        ds = load_dataset(folder)
        other = [k for k in ("preset", "seed", "size") if ds.info.get(k) != info.get(k)]
        if other:
            found = ", ".join(f"{k} {ds.info.get(k)!r}" for k in other)
            fail(f"{folder}: was filmed for another dataset ({found}); choose another OUT")
        made = sorted({re.sub(r"(-\d)+$", "", s.action[len("mocap-"):]) for s in ds if s.action.startswith("mocap-")})
        if made != sorted(Path(f).stem for f in bvh):
            fail(f"{folder}: holds the takes {', '.join(made)}; choose another OUT for other takes")
    else:
        ds = film(folder, info, bvh, progress)
    seqs = [s for s in ds if s.split == "test" and s.action.startswith("mocap-")]
    if not seqs:
        fail(f"{folder}: holds no captured takes of test subjects")
    return Dataset(ds.root, ds.info, seqs)


def levels(bench, test_seqs) -> dict:
    "N-MPJPE, MPJPE and P-MPJPE of the mean training pose and of each test video's own mean pose on `test_seqs`."
    from tvti.data import Dataset
    from tvti.pose import image_free_levels
    lv = image_free_levels(Dataset(bench.root, bench.info, bench.split("train") + list(test_seqs)))
    return {"mean training pose": lv["global"], "each video's mean pose (oracle)": lv["per_video"]}


def score(obj, bench, heldout, args) -> dict:
    """Φ fitted on BENCH's train subjects, chosen on its val subjects, read on the captured takes and on BENCH's test
    videos."""
    from tvti.pose import evaluate, extract_features
    e = args.every
    base = {(sp, e): extract_features(obj, bench, sp, every=e) for sp in ("train", "val")}
    out = {}
    for name, test in (("captured takes", heldout), ("bench test videos", bench)):
        cache = dict(base)
        cache["test", e] = extract_features(obj, test, "test", every=e)
        r = evaluate(obj, bench, args.fractions, ("mlp",), steps=args.phi_steps, seed=args.seed, every=e, cache=cache)
        out[name] = {f: {k: d["mlp"][k] for k in ("n_mpjpe", "mpjpe", "p_mpjpe")} for f, d in r["fractions"].items()}
        if "mask_iou" in r:
            out[name]["mask_iou"] = r["mask_iou"]
    return out


def main(argv=None):
    import argparse, warnings
    ap = argparse.ArgumentParser(prog="heldout_motion", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench", help="a TVTI-Synth room dataset with train, val and test subjects "
                                  "(e.g. the bench's h36m-like set)")
    ap.add_argument("out", help="folder for the filmed takes and the results")
    ap.add_argument("runs", nargs="*", help="trained run folders (tvti-train, tvti-bench, tvti-bench --curve)")
    ap.add_argument("--which", default="best",
                    help="each RUN's checkpoint: best (default), latest, or e.g. step_001000")
    ap.add_argument("--untrained", action="store_true", help="also an untrained ours network (seed --seed)")
    ap.add_argument("--bvh", help="comma-separated BVH files (default: every .bvh in ../shared/data/mocap)")
    ap.add_argument("--fractions", default="1,0.1", help="label fractions of Φ (default 1,0.1)")
    ap.add_argument("--phi-steps", type=int, default=200, help="optimiser steps of each Φ (default 200, as the bench)")
    ap.add_argument("--every", type=int, default=4, help="every n-th frame of each video (default 4, as the bench)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet", action="store_true", help="no progress bar while filming")
    args = ap.parse_args(argv)
    from tvti.core import TvtiError, save_json
    from tvti.data import load_dataset
    from tvti.pose import load_run
    from tvti.pose import control_source
    try:
        args.fractions = tuple(float(f) for f in args.fractions.split(","))
    except ValueError:
        fail(f"--fractions {args.fractions!r}: expected comma-separated numbers in (0, 1]")
    bvh = [Path(f) for f in args.bvh.split(",")] if args.bvh else default_bvh()
    if not bvh:
        fail("no BVH takes: ../shared/data/mocap is absent; give --bvh FILE[,FILE...]")
    missing = [str(f) for f in bvh if not f.is_file()]
    if missing:
        fail(f"--bvh {missing[0]}: no such file")
    out = Path(args.out)
    try:
        bench = load_dataset(args.bench)
        for sp in ("train", "val", "test"):
            if not bench.split(sp):
                fail(f"{args.bench}: no {sp!r} sequences; train, val and test subjects are needed")
        sources = [(f"{Path(r).name} ({args.which})", lambda r=r: load_run(r, args.which)) for r in args.runs]
        if args.untrained:
            sources.append((f"untrained ours (seed {args.seed})",
                            lambda: control_source("untrained-ours", args.seed)))
        sources.append(("background subtraction", lambda: control_source("background-subtraction", 0)))
        out.mkdir(parents=True, exist_ok=True)
        heldout = make_heldout(bench, out, bvh, progress=not args.quiet)
        res = dict(bench=str(Path(args.bench).resolve()), takes=[f.name for f in bvh],
                   test_subjects=sorted({s.subject for s in heldout}), heldout_frames=sum(len(s) for s in heldout),
                   every=args.every, phi_steps=args.phi_steps, seed=args.seed,
                   levels={"captured takes": levels(bench, heldout),
                           "bench test videos": levels(bench, bench.split("test"))},
                   sources={})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, make in sources:
                res["sources"][name] = score(make(), bench, heldout, args)
        save_json(res, out / "heldout.json")                      # once, complete
    except TvtiError as e:
        fail(str(e))
    f0 = f"{max(args.fractions):g}"
    print(f"N-MPJPE (mm), Φ fitted with {float(f0):.0%} of the labels of {args.bench}'s training subjects, "
          "chosen on its validation subjects")
    print(f"{'source':<44} {'captured takes':>15} {'bench test':>11}")
    for name, r in res["sources"].items():
        print(f"{name:<44} {r['captured takes'][f0]['n_mpjpe']:15.1f} {r['bench test videos'][f0]['n_mpjpe']:11.1f}")
    captured, own = res["levels"]["captured takes"], res["levels"]["bench test videos"]
    for name in captured:
        print(f"{name:<44} {captured[name]['n_mpjpe']:15.1f} {own[name]['n_mpjpe']:11.1f}")


if __name__ == "__main__":
    main()
