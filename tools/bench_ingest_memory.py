#!/usr/bin/env python3
"""Benchmark (not a test): peak memory and time of `tvti-ingest` on a long video.

    python tools/bench_ingest_memory.py [--frames 1000] [--width 640] [--height 360] [--background median]

Writes a synthetic MP4 of the given size frame by frame (a textured background with a moving blob), runs
`/usr/bin/time -v tvti-ingest VIDEO OUT --quiet` on it, and prints the peak resident memory and wall time."""
import argparse, re, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
import cv2
from tvti.background import random_texture

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--frames", type=int, default=1000)
p.add_argument("--width", type=int, default=640)
p.add_argument("--height", type=int, default=360)
p.add_argument("--background", default="median")
a = p.parse_args()

with tempfile.TemporaryDirectory() as d:
    d = Path(d)
    video = d / "long.mp4"
    bg = random_texture(a.height, a.width, np.random.default_rng(0))
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (a.width, a.height))
    for t in range(a.frames):
        f = bg.copy()
        centre = (int(a.width * (0.1 + 0.8 * (t % 200) / 200)), a.height // 2)
        cv2.ellipse(f, centre, (a.width // 20, a.height // 5), 0, 0, 360, (200, 40, 40), -1)
        vw.write(f)
    vw.release()
    tool = Path(sys.executable).parent / "tvti-ingest"
    t0 = time.time()
    cmd = ["/usr/bin/time", "-v", str(tool), str(video), str(d / "out"), "--quiet", "--background", a.background]
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        sys.exit(r.stderr)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    size = sum(f.stat().st_size for f in (d / "out").rglob("*") if f.is_file())
    print(f"tvti-ingest, {a.frames} frames {a.width}x{a.height}, {a.background} background: "
          f"peak RSS {rss_kb / 1024:.0f} MiB, wall {wall:.1f} s, dataset folder {size / 2**20:.0f} MiB")
