#!/usr/bin/env python3
"""Box IoU against hand-labelled person boxes on real videos: trained runs, background subtraction and the untrained
network, on the labelled frames only.

    python research/real_boxes.py LABELS --video FILE=DATA [--video ...] [--run FILE:NAME=RUN ...]
                                  [--seed 0] [--config tiny] [--out OUT.json] [--figure OUT.png]

LABELS is a JSON like docs/real/boxes.json: per video file name its full size and, per frame, boxes (x0, y0, x1, y1)
in whole pixels of the full-size video, both edges inside. DATA is the `tvti-ingest` folder of that video (one
sequence; its meta.json gives the video's size, first frame and stride, so labelled frame v is stored frame
(v - start) / stride). Labels are scaled to the stored frames as inclusive pixel edges (`tvti.sizes.scale_box`).

Every video is read by `background-subtraction` (`tvti.pose.BackgroundSubtraction`, the bench's control: the box around
every pixel that differs from the background estimate by more than 0.1), `foreground-box` (the same with specks left
out: the per-frame box whose median size `tvti-train` takes as the box prior's size on footage not made by tvti-synth,
`tvti.sampling.estimate_box_size`) and `untrained` (the `untrained-ours` control of `--config` with the random weights
of `--seed`), and by each `--run FILE:NAME=RUN` given for it (its checkpoint `--which`: best, the default, else latest).
Each predicted box is scored three ways: `best` (IoU with the best-matching labelled person; the primary score), `union`
(with the box around every labelled person of the frame) and `who:NAME` (with one named person, on the frames that label
them). Frames without a label are left out. OUT keeps every frame's boxes and IoUs and the means."""
import argparse, json, sys
from pathlib import Path
import numpy as np

COLOURS = {"background-subtraction": "tab:orange", "foreground-box": "gold", "untrained": "tab:gray"}
RUN_COLOURS = ("tab:blue", "tab:green", "tab:red", "tab:purple")


def fail(msg: str):
    print(f"real_boxes: error: {msg}", file=sys.stderr)
    sys.exit(2)


def iou(a, b) -> float:
    "IoU of two whole-pixel boxes (x0, y0, x1, y1), both edges inside (the box covers x0 - 0.5 .. x1 + 0.5)."
    w = min(a[2], b[2]) - max(a[0], b[0]) + 1
    h = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(w, 0) * max(h, 0)
    area = lambda r: max(r[2] - r[0] + 1, 0) * max(r[3] - r[1] + 1, 0)
    return float(inter / max(area(a) + area(b) - inter, 1e-9))


def union_box(boxes) -> list:
    "The smallest box holding every box of `boxes`."
    b = np.asarray(boxes, float)
    return [float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())]


def score_frame(pred, labels: dict) -> dict:
    """IoUs of one predicted box against a frame's labels {who: box}: `best`, `union` and `who:NAME` per person;
    {} for a frame without labels."""
    if not labels: return {}
    out = {f"who:{k}": iou(pred, b) for k, b in labels.items()}
    out["best"] = max(out.values())
    out["union"] = iou(pred, union_box(list(labels.values())))
    return out


def read_labels(path: Path) -> dict:
    "{file: video entry} of a labels JSON, checked."
    try:
        doc = json.loads(path.read_text())
    except OSError as e:
        fail(f"{path}: cannot read it ({e.strerror})")
    except json.JSONDecodeError as e:
        fail(f"{path}: not JSON ({e})")
    vids = doc.get("videos") if isinstance(doc, dict) else None
    if not isinstance(vids, list) or not vids:
        fail(f"{path}: expected an object with a non-empty list 'videos'")
    out = {}
    for v in vids:
        if not isinstance(v, dict) or not all(k in v for k in ("file", "width", "height", "labels")):
            fail(f"{path}: every video needs 'file', 'width', 'height' and 'labels'")
        for e in v["labels"]:
            if not isinstance(e, dict) or "frame" not in e:
                fail(f"{path}: {v['file']}: every label needs a 'frame' and its 'boxes'")
            for b in e.get("boxes", []):
                box = b.get("box") if isinstance(b, dict) else None
                if not (isinstance(box, list) and len(box) == 4 and all(isinstance(x, (int, float)) for x in box)):
                    fail(f"{path}: {v['file']} frame {e['frame']}: expected 'box': [x0, y0, x1, y1], got {box!r}")
                x0, y0, x1, y1 = box
                if not (0 <= x0 <= x1 < v["width"] and 0 <= y0 <= y1 < v["height"]):
                    fail(f"{path}: {v['file']} frame {e['frame']}: box {b['box']} is not inside "
                         f"{v['width']}x{v['height']}")
        out[v["file"]] = v
    return out


def pairs(items, sep: str, what: str) -> list:
    "'A=B' strings -> [(A, B)]."
    out = []
    for s in items:
        if sep not in s: fail(f"{what} {s!r}: expected {what.upper()}{sep}...")
        out.append(tuple(s.split(sep, 1)))
    return out


def predict(source, seq, ts) -> np.ndarray:
    "(len(ts), 4) pixel boxes (x0, y0, x1, y1) of `source` (an Objective or a control) on frames `ts` of `seq`."
    import torch
    from tvti.data import frames_tensor
    from tvti.stn import box_to_pixels
    f = frames_tensor([seq.frames[t] for t in ts])
    b = frames_tensor([seq.background_at(t) for t in ts])
    with torch.no_grad():
        out = source.run_model(dict(frames=f, backgrounds=b, seq=torch.zeros(len(ts), dtype=torch.long)), None,
                               jitter=False)
    return box_to_pixels(out["box"].float(), seq.height, seq.width).numpy()


def foreground_box(seq, t: int, tau: float = 0.1) -> list:
    """The box of one frame that `tvti.sampling.estimate_box_size` takes the size of: around the pixels differing
    from the background by more than `tau`, connected pieces under 0.02% of the frame (at least 4 pixels) left out;
    the whole frame where none is left (as `BackgroundSubtraction` does)."""
    import cv2
    from tvti.sampling import _foreground
    H, W = seq.height, seq.width
    _, lab, st, _ = cv2.connectedComponentsWithStats(_foreground(seq, t, tau).astype(np.uint8), connectivity=8)
    keep = np.flatnonzero(st[1:, cv2.CC_STAT_AREA] >= max(4, 2e-4 * H * W)) + 1
    if not len(keep): return [0.0, 0.0, W - 1.0, H - 1.0]
    ys, xs = np.nonzero(np.isin(lab, keep))
    return [float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())]


def figure(panels, path: Path):
    "One row per video, a few frames each: labels dashed white, predictions in colour."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    ncol = max(len(p["frames"]) for p in panels)
    fig, axes = plt.subplots(len(panels), ncol, figsize=(2.6 * ncol, 2.4 * len(panels)), squeeze=False)
    for ax in axes.flat: ax.axis("off")
    rect = lambda b, **kw: Rectangle((b[0] - 0.5, b[1] - 0.5), b[2] - b[0] + 1, b[3] - b[1] + 1, fill=False, **kw)
    for r, p in enumerate(panels):
        for c, (img, labels, preds, t) in enumerate(p["frames"]):
            ax = axes[r, c]
            ax.imshow(img)
            for b in labels: ax.add_patch(rect(b, ec="white", ls="--", lw=1.2))
            for name, b in preds.items(): ax.add_patch(rect(b, ec=p["colours"][name], lw=1.2))
            ax.set_title(f"{p['file']} frame {t}", fontsize=7)
        handles = [Rectangle((0, 0), 1, 1, fill=False, ec=p["colours"][n], label=n) for n in p["colours"]]
        handles.append(Rectangle((0, 0), 1, 1, fill=False, ec="black", ls="--", label="hand label"))
        axes[r, -1].legend(handles=handles, fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial.png")
    fig.savefig(tmp, dpi=100)
    tmp.replace(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("labels", type=Path, help="labels JSON (docs/real/boxes.json)")
    ap.add_argument("--video", action="append", default=[], metavar="FILE=DATA",
                    help="a labelled video's file name and its tvti-ingest folder (repeat per video)")
    ap.add_argument("--run", action="append", default=[], metavar="FILE:NAME=RUN",
                    help="a tvti-train run folder trained on that video, read under NAME (repeatable)")
    ap.add_argument("--which", choices=("best", "latest"), default="best",
                    help="the runs' checkpoint: best (lowest validation loss, as tvti-eval reads) or latest")
    ap.add_argument("--seed", type=int, default=0, help="the untrained network's seed (default 0)")
    ap.add_argument("--config", default="tiny", help="the untrained network's configuration (default tiny)")
    ap.add_argument("--out", type=Path, help="results JSON")
    ap.add_argument("--figure", type=Path, help="figure with labels and predicted boxes on a few frames")
    ap.add_argument("--figure-frames", type=int, default=4, help="frames per video in the figure (default 4)")
    a = ap.parse_args(argv)
    labels = read_labels(a.labels)
    videos = pairs(a.video, "=", "video")
    if not videos: fail("give at least one --video FILE=DATA")
    runs = {}
    for key, run in pairs(a.run, "=", "run"):
        if ":" not in key: fail(f"run {key!r}: expected FILE:NAME=RUN")
        file, name = key.split(":", 1)
        if name in COLOURS: fail(f"run name {name!r} is taken by a control")
        runs.setdefault(file, []).append((name, Path(run)))
    for file in list(runs) + [f for f, _ in videos]:
        if file not in labels: fail(f"{file}: not a video of {a.labels} ({', '.join(labels)})")
    import warnings
    import torch
    from tvti.core import TvtiError, os_error_message, load_json
    from tvti.data import load_dataset
    from tvti.pose import load_run, control_source
    from tvti.sizes import scale_box
    torch.set_grad_enabled(False)
    results = {"labels": str(a.labels), "which": a.which, "seed": a.seed, "config": a.config, "videos": {}}
    panels = []
    try:
        for file, data in videos:
            v = labels[file]
            ds = load_dataset(data)
            if len(ds.sequences) != 1: raise TvtiError(f"{data}: expected one sequence, found {len(ds.sequences)}")
            seq = ds.sequences[0]
            meta = load_json(Path(data) / seq.name / "meta.json", "meta.json")
            H0, W0 = meta.get("source_size", [v["height"], v["width"]])
            if (W0, H0) != (v["width"], v["height"]):
                raise TvtiError(f"{data}: ingested from a {W0}x{H0} video, {file} is labelled at "
                                f"{v['width']}x{v['height']}")
            start, stride = int(meta.get("start", 0)), int(meta.get("stride", 1))
            sx, sy = seq.width / W0, seq.height / H0
            frames, lab = [], []
            for e in v["labels"]:
                if not e.get("boxes"): continue
                k, r = divmod(e["frame"] - start, stride)
                if r or not 0 <= k < len(seq):
                    raise TvtiError(f"{data}: video frame {e['frame']} was not stored (start {start}, stride "
                                    f"{stride}, {len(seq)} frames)")
                frames.append(k)
                lab.append({b["who"]: scale_box(b["box"], sx, sy).tolist() for b in e["boxes"]})
            sources = [("background-subtraction", control_source("background-subtraction")),
                       ("untrained", control_source("untrained-ours", a.seed, a.config))]
            for name, run in runs.get(file, []):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sources.append((name, load_run(run, a.which)))
            res = {"data": str(data), "stored_size": [seq.width, seq.height], "frames": [], "methods": {},
                   "runs": {n: str(r) for n, r in runs.get(file, [])}}
            preds = {name: predict(src, seq, frames) for name, src in sources}
            preds["foreground-box"] = np.array([foreground_box(seq, k) for k in frames])
            for i, (k, lb) in enumerate(zip(frames, lab)):
                res["frames"].append({"frame": k * stride + start, "labels": lb,
                                      "pred": {n: [round(float(x), 2) for x in p[i]] for n, p in preds.items()},
                                      "iou": {n: score_frame(p[i], lb) for n, p in preds.items()}})
            for name in preds:
                scores = [f["iou"][name] for f in res["frames"]]
                keys = sorted({k for s in scores for k in s})
                res["methods"][name] = {k: {"mean": round(float(np.mean([s[k] for s in scores if k in s])), 4),
                                            "frames": sum(k in s for s in scores)} for k in keys}
            results["videos"][file] = res
            pick = np.linspace(0, len(frames) - 1, min(a.figure_frames, len(frames))).round().astype(int)
            colours = {**COLOURS, **{n: RUN_COLOURS[j % len(RUN_COLOURS)] for j, (n, _) in
                                     enumerate(runs.get(file, []))}}
            panels.append({"file": file, "colours": colours,
                           "frames": [(np.asarray(seq.frames[frames[i]]), list(lab[i].values()),
                                       {n: p[i] for n, p in preds.items()}, frames[i] * stride + start)
                                      for i in pick]})
        if a.out:
            a.out.parent.mkdir(parents=True, exist_ok=True)
            tmp = a.out.with_name(f".{a.out.name}.partial")
            tmp.write_text(json.dumps(results, indent=1) + "\n")
            tmp.replace(a.out)
        if a.figure: figure(panels, a.figure)
    except TvtiError as e:
        fail(str(e))
    except OSError as e:
        fail(os_error_message(e))
    for file, res in results["videos"].items():
        print(f"{file}: {len(res['frames'])} labelled frames")
        for name, m in res["methods"].items():
            print(f"  {name:24s} " + "  ".join(f"{k} {x['mean']:.3f} (n={x['frames']})" for k, x in m.items()))
    if a.out: print(f"wrote {a.out}")
    if a.figure: print(f"wrote {a.figure}")


if __name__ == "__main__":
    main()
