#!/usr/bin/env python3
"""Benchmark (not a test): TVTI-Synth generation speed on one core, and its peak memory.

    python tools/bench_synth.py [--frames 200] [--size 128] [--preset h36m-like] [--keep]

Runs `taskset -c 0 /usr/bin/time -v tvti-synth OUT --preset P --frames N --size S` (one CPU core; OpenMP limited
to one thread) and prints frames per second and peak resident memory. With `--frames 5400` the h36m-like preset
writes 302,400 frames (about 20 GB): the check that a 300,000-frame set is generated without holding it in memory."""
import argparse, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--frames", type=int, default=200)
p.add_argument("--size", default="128")
p.add_argument("--preset", default="h36m-like")
p.add_argument("--out", default=None, help="where to write (default: a temporary folder, deleted afterwards)")
a = p.parse_args()

out = Path(a.out) if a.out else Path(tempfile.mkdtemp()) / "synth"
tool = Path(sys.executable).parent / "tvti-synth"
cmd = ["taskset", "-c", "0", "/usr/bin/time", "-v", str(tool), str(out),
       "--preset", a.preset, "--frames", str(a.frames), "--size", a.size, "--overwrite", "--quiet"]
t0 = time.time()
r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
wall = time.time() - t0
if r.returncode != 0:
    sys.exit(r.stderr)
line = r.stdout.strip().splitlines()[-1]
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
n = int(re.search(r"(\d+) frames,", line).group(1))
print(f"{a.preset} at {a.size}, {n} frames on one core: {n / wall:.0f} frames/s including start-up "
      f"({wall:.1f} s), peak RSS {rss:.0f} MiB\n  tvti-synth said: {line}")
if not a.out:
    shutil.rmtree(out.parent, ignore_errors=True)
