"""tvti-synth as a user runs it, and the committed sample it made."""
import hashlib, subprocess
from pathlib import Path
import numpy as np
import pytest
from conftest import command, ROOT
from tvti.data import load_dataset


def run(*args, timeout=600):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def digest(root):
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob("*")):
        if p.is_file(): h.update(p.relative_to(root).as_posix().encode()); h.update(p.read_bytes())
    return h.hexdigest()


def test_help():
    r = run(command("tvti-synth"), "--help")
    assert r.returncode == 0 and "--preset" in r.stdout and "--seed" in r.stdout


def test_committed_sample_is_remade_bit_for_bit(tmp_path):
    sample = ROOT / "data_samples" / "tiny"
    r = run(command("tvti-synth"), tmp_path / "tiny", "--preset", "tiny", "--seed", "0", "--quiet")
    assert r.returncode == 0, r.stderr
    assert digest(tmp_path / "tiny") == digest(sample)
    size = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file())
    assert size < 20 * 2**20, size      # 32 sequences (8 takes x 4 cameras) of 32 frames at 64x64


@pytest.mark.parametrize("preset", ["h36m-like", "dive", "ski", "multiview"])
def test_presets_write_valid_folders(tmp_path, preset):
    out = tmp_path / preset
    r = run(command("tvti-synth"), out, "--preset", preset, "--frames", "12", "--videos", "1", "--quiet",
            *(["--actions", "walking,boxing"] if preset in ("h36m-like", "multiview") else []))
    assert r.returncode == 0, r.stderr
    ds = load_dataset(out)
    assert {s.split for s in ds} == {"train", "val", "test"}
    assert not {s.subject for s in ds.split("train")} & {s.subject for s in ds.split("test")}   # split by subject
    s = ds[0]
    assert s.pose3d.shape == (12, 17, 3) and s.mask.shape[0] == 12
    if preset == "ski": assert s.background_gt.ndim == 4 and s.camera_K.shape == (12, 3, 3)
    if preset == "multiview":
        views = [q for q in ds if q.subject == "S1" and q.action == "walking"]
        assert len(views) == 4 and len({q.view for q in views}) == 4
        # one motion seen by four cameras: back in world coordinates (X = R^T (X_cam - t)) the poses agree
        world = []
        for q in views:
            R, t = np.array(q.meta["camera"]["R"]), np.array(q.meta["camera"]["t"])
            world.append((q.pose3d.astype(float) - t) @ R)
        for w in world[1:]: np.testing.assert_allclose(w, world[0], atol=0.05)
        assert not np.allclose(views[0].pose3d, views[1].pose3d)


def test_bad_options_are_one_line(tmp_path):
    for args, msg in [(["--preset", "coco"], "--preset 'coco': expected one of"),
                      (["--size", "10x10"], "at least 32 pixels"),
                      (["--actions", "dancing"], "--actions 'dancing'"),
                      (["--size", "big"], "expected HEIGHTxWIDTH")]:
        r = run(command("tvti-synth"), tmp_path / "o", *args, "--quiet")
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.strip().splitlines()[-1].startswith("tvti-synth: error: ") and msg in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()
