"""The console scripts as a user runs them: --help, a real video, the background methods, and bad input."""
import subprocess
import numpy as np
import cv2
import pytest
from conftest import command
from tvti.data import load_dataset
from tvti.background import make_pan_clip, make_occluded_clip


def run(*args, timeout=300):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def write_pngs(folder, frames):
    folder.mkdir()
    for t, f in enumerate(frames): cv2.imwrite(str(folder / f"{t:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder


@pytest.mark.parametrize("name", ["tvti-ingest", "tvti-demo", "tvti-bench"])
def test_help(name):
    r = run(command(name), "--help")
    assert r.returncode == 0, r.stderr
    assert "usage:" in r.stdout and "--quiet" in r.stdout


def test_ingest_real_video_stride_2(tmp_path, shared_data):
    out = tmp_path / "demo"
    r = run(command("tvti-ingest"), shared_data / "video" / "demo.mp4", out, "--stride", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and "115 frames" in r.stdout
    s = load_dataset(out)[0]
    assert (len(s), s.height, s.width, s.fps) == (115, 994, 1768, 15.0)
    assert s.background.shape == (994, 1768, 3)
    # the median is a real estimate: it is no frame of the clip, and it is close to all of them where nobody walks
    diff = np.abs(s.frames[::20].astype(int) - s.background).max(-1)
    assert all((d > 0).any() for d in diff)
    assert np.median(diff) < 10


def test_ingest_panorama_recovers_the_pan(tmp_path):
    frames, off, big = make_pan_clip(T=30, H=144, W=192, step=(5, 1), seed=7)
    out = tmp_path / "ski"
    r = run(command("tvti-ingest"), write_pngs(tmp_path / "pngs", frames), out, "--background", "panorama",
            "--fps", "25", "--quiet")
    assert r.returncode == 0, r.stderr
    s = load_dataset(out)[0]
    assert s.background.shape == (30, 144, 192, 3)     # one background per frame for a moving camera
    truth = np.stack([big[y:y + 144, x:x + 192] for x, y in off]).astype(int)
    err = np.abs(s.background.astype(int) - truth)[:, 2:-2, 2:-2].mean()
    assert err < 4, err
    assert s.background_at(7).shape == (144, 192, 3)


def test_ingest_dive_background(tmp_path):
    frames, bg = make_occluded_clip(T=20, H=64, W=48, n_occluders=0, noise=0, seed=3)
    frames[:10, 5:20, 20:30] = 255      # a diver at the top during the first half
    frames[10:, 45:60, 20:30] = 255     # and at the bottom during the second
    out = tmp_path / "dive"
    r = run(command("tvti-ingest"), write_pngs(tmp_path / "pngs", frames), out, "--background", "dive",
            "--fps", "50", "--quiet")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(load_dataset(out)[0].background, bg)


@pytest.fixture
def small_video(tmp_path):
    frames, _ = make_occluded_clip(T=20, H=48, W=64, seed=1)
    p = tmp_path / "small.avi"
    vw = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for f in frames: vw.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    vw.release()
    return p


def test_bad_input_is_one_clear_line(tmp_path, small_video):
    corrupt = tmp_path / "corrupt.mp4"; corrupt.write_bytes(b"\x00" * 4096)
    exists = tmp_path / "exists"; exists.mkdir()
    cases = [
        ([tmp_path / "missing.mp4", tmp_path / "o1"], "missing.mp4: no such file or folder"),
        ([corrupt, tmp_path / "o2"], "corrupt.mp4: cannot be decoded as a video"),
        ([small_video, exists], "already exists"),
        ([small_video, tmp_path / "o3", "--background", "mode"], "--background 'mode': expected one of"),
        ([small_video, tmp_path / "o4", "--stride", "0"], "--stride must be >= 1"),
        ([small_video, tmp_path / "o5", "--width", "4"], "--width must be at least 16"),
    ]
    for args, msg in cases:
        r = run(command("tvti-ingest"), *args, "--quiet")
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        err = r.stderr.strip().splitlines()
        assert err[-1].startswith("tvti-ingest: error: ") and msg in err[-1], (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 6))


def test_ingest_overwrite(tmp_path, small_video):
    out = tmp_path / "o"
    assert run(command("tvti-ingest"), small_video, out, "--quiet").returncode == 0
    r = run(command("tvti-ingest"), small_video, out, "--stride", "2", "--overwrite", "--quiet")
    assert r.returncode == 0, r.stderr
    assert len(load_dataset(out)[0]) == 10


def test_demo_command(tmp_path):
    "A miniature quickstart (the full one runs in CI's install step, as the README says)."
    r = run(command("tvti-demo"), tmp_path / "demo", "--steps", "4", "--phi-steps", "4", "--size", "64",
            "--frames", "110", "--no-controls", "--quiet")
    assert r.returncode == 0, r.stderr
    for f in ("results.md", "results.json", "qualitative.png", "swaps.png"): assert (tmp_path / "demo" / f).exists(), f
    assert "| ours |" in r.stdout and "| css |" in r.stdout and "N-MPJPE" in r.stdout
    load_dataset(tmp_path / "demo" / "data")
    r = run(command("tvti-demo"), tmp_path / "d2", "--frames", "50", "--quiet")
    assert r.returncode == 2 and "--frames must be at least 102" in r.stderr


def test_bench_command(tmp_path):
    """A miniature benchmark run: two models, a few steps; the tables and the figure are written; a bad model name is
    refused."""
    out = tmp_path / "bench"
    r = run(command("tvti-bench"), "--out", out, "--quick", "--models", "ours,css", "--steps", "4", "--phi-steps", "4",
            "--no-controls", "--quiet", timeout=600)
    assert r.returncode == 0, r.stderr
    for f in ("results.csv", "results.md", "ratios.md", "nmpjpe.png", "bench.json"): assert (out / f).exists(), f
    assert "| ours | yes | yes | DSL | yes |" in r.stdout and "| ours / css |" in r.stdout
    r = run(command("tvti-bench"), "--out", tmp_path / "b2", "--models", "ours,nonsense", "--quiet")
    assert r.returncode == 2 and "unknown nonsense" in r.stderr
    r = run(command("tvti-bench"), "--out", tmp_path / "b3", "--seeds", "0,one", "--quiet")
    assert r.returncode == 2 and "expected comma-separated integers" in r.stderr and "Traceback" not in r.stderr


def test_bench_curve_command(tmp_path):
    """The learning curve from the command line: css to one point on the committed sample, its outputs, a rerun that
    computes nothing, bad options."""
    import pandas as pd
    from conftest import ROOT
    out, tiny = tmp_path / "curve", ROOT / "data_samples" / "tiny"
    args = (command("tvti-bench"), "--curve", "--out", out, "--data", tiny, "--cap", "500", "--models", "css",
            "--seeds", "1", "--precision", "fp32", "--quiet")
    r = run(*args, timeout=900)
    assert r.returncode == 0, r.stderr
    for f in ("curve.csv", "curve.png", "curve.json", "plan.json"): assert (out / f).exists(), f
    points = sorted(p.name for p in (out / "points").iterdir())
    assert points == ["background-subtraction-s0-000000.json", "css-s0-000500.json", "untrained-css-s0-000000.json"], \
        points
    assert "css: no plateau yet; last point 500 steps" in r.stdout and "3 points" in r.stdout
    stamps = {p: p.stat().st_mtime_ns for p in (out / "points").iterdir()}
    r = run(*args, timeout=300)
    assert r.returncode == 0 and {p: p.stat().st_mtime_ns for p in (out / "points").iterdir()} == stamps, r.stderr
    # a new folder that reuses this curve takes its points and trains nothing
    again = tmp_path / "again"
    r = run(*[again if a == out else a for a in args], "--reuse", out / "curve.csv", timeout=300)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (again / "points").iterdir()) == points and not (again / "runs").exists()
    assert pd.read_csv(again / "curve.csv").equals(pd.read_csv(out / "curve.csv"))
    for bad, says in ((["--cap", "3000"], "not a doubling of first 500"),
                      (["--models", "ours,drnet"], "drnet not in the curve's models"),
                      (["--seeds", "0,1"], "the number of seeds of every model"), (["--quick"], "--curve takes --out"),
                      (["--data", tiny, "--reuse", tmp_path / "none"], "missing curve.csv to reuse")):
        r = run(command("tvti-bench"), "--curve", "--out", tmp_path / "c2", *bad, "--quiet")
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (bad, r.stderr)
    r = run(command("tvti-bench"), "--out", tmp_path / "c3", "--cap", "1000", "--quiet")
    assert r.returncode == 2 and "--cap, --data and --reuse apply to --curve" in r.stderr


def test_train_away_box(tmp_path):
    # --away box is recorded in config.json, a resume that names another --away is refused, and a wrong value is one
    # line
    import json
    from conftest import ROOT
    tiny, out = ROOT / "data_samples" / "tiny", tmp_path / "run"
    r = run(command("tvti-train"), tiny, out, "--away", "box", "--steps", 2, "--val-every", 1, "--precision", "fp32",
            "--quiet")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "config.json").read_text())["train"]["away"] == "box"
    r = run(command("tvti-train"), tiny, out, "--resume", "--away", "any", "--steps", 3, "--quiet")
    assert r.returncode == 2 and "--away any (the run has box)" in r.stderr, r.stderr
    r = run(command("tvti-train"), tiny, tmp_path / "bad", "--away", "pose", "--steps", 2, "--quiet")
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and last.startswith("tvti-train: error: ") and "--away 'pose'" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_jpeg_store_ingests_and_trains(tmp_path):
    # the same clip ingested into both stores: the JPEG frames are the raw ones up to JPEG's loss, take less disk,
    # and tvti-train runs on them as on frames.npy
    from tvti.store import JpegFrames
    frames, _ = make_occluded_clip(T=40, H=96, W=128, seed=2)
    pngs = write_pngs(tmp_path / "pngs", frames)
    for store in ("npy", "jpeg"):
        r = run(command("tvti-ingest"), pngs, tmp_path / store, "--fps", "25", "--store", store, "--quiet")
        assert r.returncode == 0, r.stderr
    raw, jp = load_dataset(tmp_path / "npy")[0], load_dataset(tmp_path / "jpeg")[0]
    assert isinstance(jp.frames, JpegFrames) and "frames as JPEG files" in r.stdout
    assert np.abs(jp.frames[:].astype(int) - np.asarray(raw.frames)).mean() < 10
    disk = lambda d: sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    npy_bytes = (tmp_path / "npy" / raw.name / "frames.npy").stat().st_size
    assert disk(tmp_path / "jpeg" / jp.name / "frames") < 0.6 * npy_bytes
    r = run(command("tvti-train"), tmp_path / "jpeg", tmp_path / "run", "--steps", "3", "--d-pos", "3", "--d-max", "20",
            "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "run" / "checkpoints" / "latest.pt").exists()
    r = run(command("tvti-ingest"), pngs, tmp_path / "bad", "--fps", "25", "--store", "tar", "--quiet")
    assert r.returncode == 2 and "--store 'tar': expected npy or jpeg" in r.stderr, r.stderr


def test_mixed_frame_sizes_train_and_eval(tmp_path):
    # the sample with one training subject's videos stored at another size, as real recordings come: training and
    # evaluation read them at the common size and say so
    import json
    from conftest import ROOT
    from tvti.data import DatasetWriter, make_meta
    from tvti.sizes import scale_px
    src = load_dataset(ROOT / "data_samples" / "tiny")
    out = tmp_path / "mixed"
    with DatasetWriter(out) as w:
        for s in src:
            H, W = (60, 70) if s.subject == "S5" else (s.height, s.width)
            sx, sy = W / s.width, H / s.height
            fr = np.stack([cv2.resize(np.asarray(f), (W, H), interpolation=cv2.INTER_AREA) for f in s.frames])
            mk = np.stack([cv2.resize(np.asarray(m), (W, H), interpolation=cv2.INTER_NEAREST) for m in s.mask])
            b = np.asarray(s.bbox, float)
            box = np.concatenate([scale_px(b[:, :2], sx, sy), scale_px(b[:, 2:], sx, sy)], 1).astype(np.float32)
            w.add_sequence(s.name, fr, cv2.resize(np.asarray(s.background), (W, H), interpolation=cv2.INTER_AREA),
                           make_meta(s.fps, H, W), split=s.split, subject=s.subject, action=s.action, view=s.view,
                           pose3d=np.asarray(s.pose3d), pose2d=scale_px(s.pose2d, sx, sy).astype(np.float32),
                           bbox=box, mask=mk)
    assert {(s.height, s.width) for s in load_dataset(out)} == {(64, 64), (60, 70)}
    r = run(command("tvti-train"), out, tmp_path / "run", "--steps", 3, "--d-pos", 3, "--d-max", 20, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "8 of 32 sequences are resized to 64x64 as they are read (from 60x70: 8)" in r.stderr, r.stderr
    js = tmp_path / "eval.json"
    r = run(command("tvti-eval"), tmp_path / "run", out, "--fractions", 1, "--steps", 5, "--every", 4, "--json", js,
            "--quiet")
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert np.isfinite(res["fractions"]["1"]["mlp"]["n_mpjpe"]) and 0 <= res["box_iou"] <= 1, res
