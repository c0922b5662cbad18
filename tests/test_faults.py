"""Faults a user can meet (issue 14): each must stop with one clear message and lose nothing, and no input may run code."""
import os, subprocess, warnings
from pathlib import Path
import torch
from conftest import command, ROOT
from tvti.train import train

TINY = ROOT / "data_samples" / "tiny"


def run(*args, timeout=600):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


class _WritesMarker:
    "Unpickling this object creates a file: what a malicious checkpoint could do."
    def __init__(self, path): self.path = str(path)
    def __reduce__(self): return (open, (self.path, "w"))


def test_a_crafted_checkpoint_runs_no_code(tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(TINY, out, steps=2, val_every=1, progress=False)
    for name in ("latest.pt", "best.pt", "previous.pt"):
        p = out / "checkpoints" / name
        if p.exists():
            st = torch.load(p, weights_only=True)
            st["extra"] = _WritesMarker(marker)
            torch.save(st, p)
    for args in ([command("tvti-eval"), out, TINY, "--steps", "2", "--quiet"], [command("tvti-train"), TINY, out, "--steps", "4", "--resume", "--quiet"]):
        r = run(*args)
        assert not marker.exists(), f"{args[0]} ran the checkpoint's code"
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "checkpoints" in r.stderr and "could run code" in r.stderr, r.stderr


def _images(folder: Path, n: int = 24) -> Path:
    "A folder of n small PNG frames: a square moving over a grey background."
    import cv2, numpy as np
    folder.mkdir(parents=True)
    for t in range(n):
        f = np.full((48, 64, 3), 120, np.uint8); f[10:30, 2 * t:2 * t + 12] = (30, 200, 90)
        cv2.imwrite(str(folder / f"f{t:03d}.png"), f)
    return folder


def _video(path: Path, n: int = 24) -> Path:
    import cv2, numpy as np
    path.parent.mkdir(parents=True, exist_ok=True)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    for t in range(n):
        f = np.full((48, 64, 3), 120, np.uint8); f[10:30, 2 * t:2 * t + 12] = (30, 200, 90); w.write(f)
    w.release()
    return path


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_overwrite_replaces_only_a_dataset_folder_and_never_its_input(tmp_path):
    imgs = _images(tmp_path / "imgs")
    own = tmp_path / "own"; own.mkdir(); (own / "important.txt").write_text("the user's own file")
    clipdir = tmp_path / "clipdir"; clip = _video(clipdir / "clip.mp4")
    ds = tmp_path / "ds"
    ingest = command("tvti-ingest")
    assert run(ingest, imgs, ds, "--fps", "25", "--quiet").returncode == 0
    _video(ds / "clip.mp4")                                  # a video kept inside a dataset folder
    keep = {f: _snapshot(f) for f in (imgs, own, clipdir, ds)}
    for args, msg in [([imgs, own], "replaces only a dataset folder written by tvti"),
                      ([imgs, imgs], "holds the input"),
                      ([clip, clipdir], "holds the input"),
                      ([ds / "clip.mp4", ds], "holds the input")]:
        r = run(ingest, *args, "--fps", "25", "--overwrite", "--quiet")
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        for f, snap in keep.items(): assert _snapshot(f) == snap, f"{f} changed after {args}"
    r = run(ingest, clip, ds, "--overwrite", "--quiet")   # a dataset folder from tvti, not holding the input: replaced
    assert r.returncode == 0, r.stderr
    assert not (ds / "clip.mp4").exists() and (ds / "dataset.json").exists()
    for cmd in ("tvti-ingest", "tvti-synth"):
        h = " ".join(run(command(cmd), "--help").stdout.split())
        assert "dataset folder written by tvti" in h, (cmd, h)


def test_outputs_get_the_mode_the_umask_gives(tmp_path):
    imgs, ds, out = _images(tmp_path / "imgs"), tmp_path / "ds", tmp_path / "run"
    old = os.umask(0o022)
    try:
        assert run(command("tvti-ingest"), imgs, ds, "--fps", "25", "--quiet").returncode == 0
        r = run(command("tvti-train"), TINY, out, "--steps", "2", "--val-every", "1", "--quiet")
        assert r.returncode == 0, r.stderr
    finally:
        os.umask(old)
    assert ds.stat().st_mode & 0o777 == 0o755
    files = [ds / "dataset.json", *ds.glob("*/meta.json"), *ds.glob("*/*.npy"), out / "config.json", out / "log.csv", *out.glob("checkpoints/*.pt")]
    assert len(files) >= 6
    bad = {str(f): oct(f.stat().st_mode & 0o777) for f in files if f.stat().st_mode & 0o777 != 0o644}
    assert not bad, bad
