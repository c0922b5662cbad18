#!/usr/bin/env python3
"""Which frame store scales? Random-access read rate, disk per frame and resident memory of candidate stores.

    python tools/bench_store.py OUT [--size 256] [--frames 2000] [--reads 2000] [--video PATH] [--workers 0,2]

Frames come from a real video (default `../shared/data/video/demo.mp4`, centre-cropped to --size; played forwards
then backwards until --frames are reached), or from tvti-synth where the video is absent. Each candidate holds the
same frames:

- `npy`: one raw `frames.npy` per video (today's store), memory-mapped;
- `jpeg`: a folder of JPEG files per video (quality 95), read with OpenCV;
- `hdf5`: one chunk per frame in an HDF5 file, gzip level 1 (h5py);
- `mp4-seek`: the frames as an H.264 video (keyframe every 12 frames), a frame read by seeking (PyAV).

Per store: the disk per frame; frames per second read at random positions, in one process and through a
torch DataLoader with each --workers count; and the resident memory a process gains reading --reads random frames
from a video of --frames frames and from one 10 times longer (the store must not grow with a dataset's length).
Results go to OUT/store.json and OUT/store.md; the candidates' files are written under OUT/stores and removed at the
end unless --keep."""
import json, os, shutil, subprocess, sys, time
from pathlib import Path
import numpy as np

STORES = ("npy", "jpeg", "hdf5", "mp4-seek")
QUALITY, GOP = 95, 12


def fail(msg: str):
    print(f"bench_store: error: {msg}", file=sys.stderr)
    sys.exit(2)


def source_frames(video: Path | None, size: int, n: int) -> np.ndarray:
    "n frames (n, size, size, 3) uint8, RGB."
    import cv2
    out = []
    if video is not None and video.is_file():
        cap = cv2.VideoCapture(str(video))
        while True:
            ok, f = cap.read()
            if not ok: break
            h, w = f.shape[:2]
            s = min(h, w)
            f = f[(h - s) // 2:(h + s) // 2, (w - s) // 2:(w + s) // 2]
            out.append(cv2.cvtColor(cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
        cap.release()
    if not out:
        from tvti.background import make_occluded_clip
        out = list(make_occluded_clip(T=64, H=size, W=size, seed=0)[0])
    loop = out + out[::-1]
    return np.stack([loop[i % len(loop)] for i in range(n)])


def write_store(kind: str, frames: np.ndarray, folder: Path):
    import cv2
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "npy": np.save(folder / "frames.npy", frames)
    elif kind == "jpeg":
        (folder / "frames").mkdir(exist_ok=True)
        for t, f in enumerate(frames):
            cv2.imwrite(str(folder / "frames" / f"{t:06d}.jpg"), f[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    elif kind == "hdf5":
        import h5py
        with h5py.File(folder / "frames.h5", "w") as h:
            h.create_dataset("frames", data=frames, chunks=(1, *frames.shape[1:]), compression="gzip",
                             compression_opts=1)
    elif kind == "mp4-seek":
        import av
        with av.open(str(folder / "frames.mp4"), "w") as c:
            st = c.add_stream("libx264", rate=25)
            st.width, st.height, st.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
            st.codec_context.gop_size = GOP
            st.options = {"crf": "18", "bf": "0"}
            for f in frames:
                for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")): c.mux(p)
            for p in st.encode(): c.mux(p)


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class Reader:
    "Random access to frame t of one stored video."
    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder, self.h = kind, folder, None

    def open(self):
        if self.h is not None: return
        if self.kind == "npy": self.h = np.load(self.folder / "frames.npy", mmap_mode="r")
        elif self.kind == "hdf5":
            import h5py
            self.h = h5py.File(self.folder / "frames.h5", "r")["frames"]
        elif self.kind == "mp4-seek":
            import av
            self.c = av.open(str(self.folder / "frames.mp4"))
            self.h = self.c.streams.video[0]
        else: self.h = True

    def __getitem__(self, t: int) -> np.ndarray:
        import cv2
        self.open()
        if self.kind == "npy": return np.array(self.h[t])
        if self.kind == "hdf5": return self.h[t]
        if self.kind == "jpeg":
            return cv2.imread(str(self.folder / "frames" / f"{t:06d}.jpg"), cv2.IMREAD_COLOR)[..., ::-1]
        st = self.h                                  # mp4: seek to the keyframe at or before t, decode up to t
        pts = int(t / st.average_rate / st.time_base)
        self.c.seek(pts, stream=st, backward=True)
        for fr in self.c.decode(st):
            if fr.pts >= pts: return fr.to_ndarray(format="rgb24")
        raise IndexError(t)


class Frames:
    "A torch Dataset of random frames of one stored video."
    def __init__(self, kind, folder, idx): self.r, self.idx = Reader(kind, folder), idx
    def __len__(self): return len(self.idx)
    def __getitem__(self, i): return self.r[int(self.idx[i])]


def read_rate(kind: str, folder: Path, n_frames: int, reads: int, workers: int) -> float:
    import torch
    idx = np.random.default_rng(0).integers(0, n_frames, reads)
    ds = Frames(kind, folder, idx)
    t0 = time.perf_counter()
    if workers == 0:
        for i in range(len(ds)): ds[i]
    else:
        dl = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=workers, collate_fn=lambda b: b)
        for _ in dl: pass
    return reads / (time.perf_counter() - t0)


def rss_mb() -> float:
    "This process's resident memory now, in MB (VmRSS)."
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024


def rss_child(kind: str, folder: Path, n_frames: int, reads: int) -> float:
    "Resident MB a fresh process gains by reading `reads` random frames, the first read excluded (a subprocess)."
    code = ("import sys, numpy as np; sys.path.insert(0, %r); import bench_store as b\n"
            "r = b.Reader(%r, b.Path(%r)); r[0]; base = b.rss_mb()\n"
            "for t in np.random.default_rng(1).integers(0, %d, %d): r[int(t)]\n"
            "print(b.rss_mb() - base)"
            % (str(Path(__file__).parent), kind, str(folder), n_frames, reads))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode: fail(f"the memory probe of {kind} failed: {out.stderr.strip().splitlines()[-1]}")
    return float(out.stdout.strip())


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="bench_store", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="folder for the results (and, while running, the candidates' files)")
    ap.add_argument("--size", type=int, default=256, help="frame side in pixels (default 256)")
    ap.add_argument("--frames", type=int, default=2000, help="frames of the short video (default 2000)")
    ap.add_argument("--reads", type=int, default=2000, help="random reads per measurement (default 2000)")
    ap.add_argument("--video", default=str(Path(__file__).resolve().parents[2] / "shared/data/video/demo.mp4"),
                    help="the source video (default ../shared/data/video/demo.mp4; tvti-synth frames if absent)")
    ap.add_argument("--workers", default="0,2", help="DataLoader worker counts, comma-separated (default 0,2)")
    ap.add_argument("--stores", default=",".join(STORES), help=f"candidates (default {','.join(STORES)})")
    ap.add_argument("--keep", action="store_true", help="keep the candidates' files")
    a = ap.parse_args(argv)
    try: workers = [int(w) for w in a.workers.split(",")]
    except ValueError: fail(f"--workers {a.workers!r}: expected whole numbers, e.g. 0,2")
    stores = a.stores.split(",")
    bad = [s for s in stores if s not in STORES]
    if bad: fail(f"--stores {bad[0]!r}: expected some of {', '.join(STORES)}")
    for kind, pkg in (("hdf5", "h5py"), ("mp4-seek", "av")):
        if kind in stores:
            try: __import__(pkg)
            except ImportError: fail(f"--stores {kind}: needs the package {pkg} (pip install {pkg}), or leave it out")
    if a.size < 16 or a.frames < 10 or a.reads < 1: fail("--size >= 16, --frames >= 10 and --reads >= 1 expected")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    frames = source_frames(Path(a.video), a.size, a.frames)
    res = {"size": a.size, "frames": a.frames, "reads": a.reads, "source": a.video if Path(a.video).is_file()
           else "tvti-synth", "cpu": _cpu(), "stores": {}}
    for kind in stores:
        short, long = out / "stores" / kind / "short", out / "stores" / kind / "long"
        write_store(kind, frames, short)
        r = {"bytes_per_frame": disk_bytes(short) / a.frames}
        r |= {f"read_fps_w{w}": read_rate(kind, short, a.frames, a.reads, w) for w in workers}
        long_frames = np.concatenate([frames] * 10)
        write_store(kind, long_frames, long)
        del long_frames
        r["rss_mb_short"] = rss_child(kind, short, a.frames, a.reads)
        r["rss_mb_long"] = rss_child(kind, long, a.frames * 10, a.reads)
        res["stores"][kind] = r
        print(f"bench_store: {kind}: " + ", ".join(f"{k} {v:.1f}" for k, v in r.items()), file=sys.stderr)
        if not a.keep: shutil.rmtree(out / "stores" / kind)
    if not a.keep: shutil.rmtree(out / "stores", ignore_errors=True)
    (out / "store.json").write_text(json.dumps(res, indent=2) + "\n")
    raw = a.size * a.size * 3
    lines = [f"Frame stores, {a.size} x {a.size} frames from {res['source']}, {a.frames} frames (and 10x for memory), "
             f"{a.reads} random reads; CPU: {res['cpu']}.", "",
             "| store | disk per frame (KB) | vs raw | " + " | ".join(f"frames/s, {w} workers" for w in workers)
             + " | resident MB, short | resident MB, 10x |", "|---|---|---|" + "---|" * len(workers) + "---|---|"]
    for kind, r in res["stores"].items():
        lines.append(f"| {kind} | {r['bytes_per_frame'] / 1024:.1f} | {r['bytes_per_frame'] / raw:.2f} | "
                     + " | ".join(f"{r[f'read_fps_w{w}']:.0f}" for w in workers)
                     + f" | {r['rss_mb_short']:.1f} | {r['rss_mb_long']:.1f} |")
    (out / "store.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _cpu() -> str:
    try:
        name = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): name = "unknown CPU"
    return f"{name}, {os.cpu_count()} cores"


if __name__ == "__main__":
    main(sys.argv[1:])
