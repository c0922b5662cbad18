#!/usr/bin/env python3
"""What does `tvti-prepare h36m` cost per frame? Time, memory and disk on a folder in Human3.6M's layout whose videos
have the release's size.

    python tools/bench_prepare.py OUT [--frames 1200] [--every 5] [--size 256] [--video PATH]

The release may not be shipped, so the folder is made here: one subject (S1), one take filmed by the four cameras,
each video --frames frames of 1000 x 1002 pixels (1000 x 1000 for two cameras, as the release has them) made from a
real video (default `../shared/data/video/demo.mp4`, played forwards and backwards), with CDF pose files of the
right shapes (their values do not matter here). `tvti-prepare h36m` then runs on it as a user runs it, twice: on
the folder and on one whose videos are twice as long, to show that its memory does not grow with the length of a
video. Reported: wall-clock seconds, source frames decoded per second, the peak resident memory of the process,
and the disk per stored frame. Results go to OUT/prepare.json and OUT/prepare.md; the made folders are removed
unless --keep."""
import json, shutil, subprocess, sys
from pathlib import Path
import numpy as np


def fail(msg: str):
    print(f"bench_prepare: error: {msg}", file=sys.stderr)
    sys.exit(2)


def make_release(root: Path, frames: np.ndarray):
    "One take (S1, 'Walking 1') in Human3.6M's layout, filmed by the four cameras with `frames`."
    import cv2
    from cdflib.cdfwrite import CDF
    from tvti.prepare import H36M_CAMERAS
    T = len(frames)
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 300, (1, T, 96)).astype(np.float32)
    pose[0, :, 2::3] += 5000                                     # in front of the camera
    for cam, (*_, w0, h0) in H36M_CAMERAS.items():
        feat = root / "S1" / "MyPoseFeatures" / "D3_Positions_mono"
        feat.mkdir(parents=True, exist_ok=True)
        c = CDF(str(feat / f"Walking 1.{cam}.cdf"), cdf_spec={"Majority": "row_major"}, delete=True)
        c.write_var({"Variable": "Pose", "Data_Type": CDF.CDF_FLOAT, "Num_Elements": 1, "Rec_Vary": True,
                     "Dim_Sizes": [T, 96]}, var_attrs={}, var_data=pose)
        c.close()
        (root / "S1" / "Videos").mkdir(parents=True, exist_ok=True)
        vw = cv2.VideoWriter(str(root / "S1" / "Videos" / f"Walking 1.{cam}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                             50, (w0, h0))
        for f in frames:
            vw.write(cv2.resize(f, (w0, h0), interpolation=cv2.INTER_LINEAR)[..., ::-1])
        vw.release()


def run_prepare(root: Path, out: Path, every: int, size: int) -> dict:
    "Run tvti-prepare in a child process; its wall time and peak resident memory."
    tool = shutil.which("tvti-prepare") or str(Path(sys.executable).parent / "tvti-prepare")
    code = ("import resource, subprocess, sys, time; t = time.time(); "
            "r = subprocess.run(sys.argv[1:]); "
            "print(time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)")
    r = subprocess.run([sys.executable, "-c", code, tool, "h36m", str(root), str(out), "--every", str(every),
                        "--size", str(size), "--quiet"], capture_output=True, text=True)
    secs, mb, rc = r.stdout.strip().splitlines()[-1].split()
    if int(rc): fail(f"tvti-prepare failed: {r.stderr.strip().splitlines()[-1]}")
    return {"seconds": float(secs), "peak_mb": float(mb)}


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="bench_prepare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="folder for the results (and, while running, the made release and its preparation)")
    ap.add_argument("--frames", type=int, default=1200, help="frames per video (default 1200; 4 cameras)")
    ap.add_argument("--every", type=int, default=5, help="tvti-prepare --every (default 5, as the paper)")
    ap.add_argument("--size", type=int, default=256, help="tvti-prepare --size (default 256)")
    ap.add_argument("--video", default=str(Path(__file__).resolve().parents[2] / "shared/data/video/demo.mp4"),
                    help="the source of the frames (default ../shared/data/video/demo.mp4; synthetic if absent)")
    ap.add_argument("--keep", action="store_true", help="keep the made folders")
    a = ap.parse_args(argv)
    if a.frames < 10 or a.every < 1 or a.size < 16: fail("--frames >= 10, --every >= 1 and --size >= 16 expected")
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_store import source_frames, _cpu
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res = {"frames_per_video": a.frames, "videos": 4, "every": a.every, "size": a.size, "cpu": _cpu(), "runs": {}}
    for k in (1, 2):
        rel, prep = out / f"release-x{k}", out / f"prepared-x{k}"
        shutil.rmtree(rel, ignore_errors=True); shutil.rmtree(prep, ignore_errors=True)
        make_release(rel, source_frames(Path(a.video), 256, a.frames * k))
        r = run_prepare(rel, prep, a.every, a.size)
        stored = sum(1 for _ in prep.rglob("*.jpg"))
        r |= {"source_frames": 4 * a.frames * k, "stored_frames": stored,
              "decode_fps": 4 * a.frames * k / r["seconds"],
              "kb_per_stored_frame": sum(p.stat().st_size for p in prep.rglob("*") if p.is_file()) / stored / 1024}
        res["runs"][f"x{k}"] = r
        print(f"bench_prepare: x{k}: " + ", ".join(f"{q} {v:.1f}" for q, v in r.items()), file=sys.stderr)
        if not a.keep: shutil.rmtree(rel); shutil.rmtree(prep)
    (out / "prepare.json").write_text(json.dumps(res, indent=2) + "\n")
    lines = [f"`tvti-prepare h36m --every {a.every} --size {a.size}` on one take filmed by Human3.6M's four cameras "
             f"(videos of 1000 x 1002 and 1000 x 1000 pixels at 50 fps, MPEG-4), {res['cpu']}:", "",
             "| videos of | source frames | stored frames | seconds | source frames/s | peak memory (MB) | "
             "disk per stored frame (KB) |", "|---|---|---|---|---|---|---|"]
    for k, r in res["runs"].items():
        lines.append(f"| {a.frames * int(k[1:])} frames | {r['source_frames']} | {r['stored_frames']} | "
                     f"{r['seconds']:.0f} | {r['decode_fps']:.0f} | {r['peak_mb']:.0f} | "
                     f"{r['kb_per_stored_frame']:.1f} |")
    (out / "prepare.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
