#!/usr/bin/env python3
"""Benchmark (not a test): training speed of the tiny and paper configurations in fp32 and bf16 on this machine,
and the data loader's own throughput.

    python tools/bench_train.py [--steps 5] [--paper-size 256]

For each configuration and precision: a few warm-up steps, then the mean time of `--steps` training steps of
`ours` (forward, backward, Adam), reported as training images per second. The data loader (`BatchMaker.tuples`)
is timed alone on the same data; its throughput must be several times what training consumes."""
import argparse, subprocess, sys, tempfile, time, warnings
from pathlib import Path
import numpy as np
import torch

warnings.simplefilter("ignore")
from tvti.config import get_config
from tvti.data import load_dataset
from tvti.variants import get_variant, Objective, BatchMaker

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--paper-size", type=int, default=256, help="frame side of the synthetic data for the paper configuration")
a = p.parse_args()
ROOT = Path(__file__).resolve().parents[1]
tmp = Path(tempfile.mkdtemp())
big = tmp / "big"
subprocess.run([str(Path(sys.executable).parent / "tvti-synth"), str(big), "--preset", "h36m-like", "--size", f"{a.paper_size}x{a.paper_size}",
                "--frames", "120", "--actions", "walking,boxing", "--quiet"], check=True)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
rows = []
for cfg_name, data, B in (("tiny", ROOT / "data_samples" / "tiny", 4), ("paper", big, 2)):
    ds = load_dataset(data)
    bm = BatchMaker(ds, d_max=12 if cfg_name == "tiny" else None)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter(); n = 0
    while time.perf_counter() - t0 < 3: n += len(bm.tuples(B, rng)["frames"])
    load_ips = n / (time.perf_counter() - t0)
    for prec in ("fp32", "bf16"):
        torch.manual_seed(0)
        cfg = get_config(cfg_name)
        obj = Objective(get_variant("ours"), cfg)
        if prec == "bf16": obj = obj.to(memory_format=torch.channels_last)
        opt = torch.optim.Adam([q for q in obj.parameters() if q.requires_grad], lr=1e-4)
        ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if prec == "bf16" else (lambda: torch.autocast("cpu", enabled=False))
        times = []
        for i in range(2 + a.steps):
            batch = bm.tuples(B, rng)
            if prec == "bf16": batch = {k: (x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x) for k, x in batch.items()}
            t = time.perf_counter()
            with ctx(): loss, terms, _ = obj(batch, rng, bm.sampler.d_max)
            opt.zero_grad(); loss.backward(); opt.step()
            if i >= 2: times.append(time.perf_counter() - t)
        step = float(np.mean(times)); ips = 4 * B / step
        rows.append((cfg_name, prec, ds[0].height, 4 * B, step, ips, load_ips))
        print(f"{cfg_name:5s} {prec}: frames {ds[0].height}x{ds[0].width}, {4 * B} images/step, {step * 1000:.0f} ms/step, "
              f"{ips:.1f} training images/s; data loader alone {load_ips:.0f} images/s ({load_ips / ips:.0f}x)", flush=True)
