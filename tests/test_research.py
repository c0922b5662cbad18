"""The research scripts in research/ still run the way the findings quote them (on the committed sample) and refuse
bad input in one line. They are studies kept reproducible, not part of the package."""
import json, subprocess, sys
import numpy as np
from conftest import ROOT

TINY = ROOT / "data_samples" / "tiny"
TOOL = ROOT / "research" / "supervised_level.py"


def run(*args, timeout=600):
    return subprocess.run([sys.executable, *[str(a) for a in args]], capture_output=True, text=True, timeout=timeout)


def test_supervised_level_writes_json(tmp_path):
    js = tmp_path / "level.json"
    r = run(TOOL, TINY, js, 3)
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert res["steps"] == 3 and set(res) == {"steps", "best_val_mpjpe", "val", "test"}
    # the level of a prediction constant in a video, by hand from the labels: every 4th frame, root-relative,
    # minus its video's mean; mean distance over the 16 joints other than the root
    from tvti.data import load_dataset
    for split in ("val", "test"):
        by_hand = []
        for s in load_dataset(TINY).split(split):
            p = np.asarray(s.pose3d, float)[::4]
            p = p - p[:, :1]
            p = p - p.mean(0)
            by_hand.append(np.linalg.norm(p, axis=-1)[:, 1:])
        zero = float(np.concatenate(by_hand).mean())
        assert abs(res[split]["within_video_zero"] - zero) < 1e-3 * zero, (split, res[split], zero)
        assert res[split]["n_mpjpe"] > 0 and res[split]["within_video_mpjpe"] > 0
    assert "test {'n_mpjpe'" in r.stdout


def one_line_error(r, msg) -> bool:
    "Whether the run `r` failed with exit status 2 and one line of error, holding `msg`, and no traceback."
    return (r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr
            and len(r.stderr.strip().splitlines()) == 1)


def test_supervised_level_bad_input(tmp_path):
    steps_msg = "STEPS must be a whole number of at least 1, got "
    for args, msg in [((tmp_path / "nodata",), "no such dataset folder"),
                      ((TINY, tmp_path / "x.json", 0), steps_msg + "'0'"),
                      ((TINY, tmp_path / "x.json", "many"), steps_msg + "'many'")]:
        r = run(TOOL, *args)
        assert one_line_error(r, msg), (args, r.stderr)


DIAG = ROOT / "research" / "crop_diagnosis.py"


def test_crop_diagnosis(tmp_path):
    from conftest import command
    import torch
    from tvti.pose import load_run, extract_features
    from tvti.data import load_dataset
    from tvti.analysis import pose_from_code
    r = run(command("tvti-train"), TINY, tmp_path / "run", "--steps", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    js = tmp_path / "diag.json"
    r = run(DIAG, tmp_path / "run", TINY, "--out", js, "--every", "8", "--phi-steps", "5")
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert {"learned", "true", "true_centre", "true_size", "mask_centre", "true_mask_centre"} <= set(res)
    # the learned crops are the library's: Φ on extract_features' codes gives the same figures
    obj, ds = load_run(tmp_path / "run"), load_dataset(TINY)
    with torch.no_grad():
        F = {sp: extract_features(obj, ds, sp, every=8) for sp in ("train", "val", "test")}
    for c in ("tv", "ti"):
        ref = pose_from_code(F, c, steps=5)
        for k in ("n_mpjpe", "within_video_mpjpe", "within_video_zero"):
            assert abs(res["learned"][f"I_{c}"][k] - ref[k]) < 1e-3 * ref[k], (c, k, res["learned"], ref)
    # the box statistics, by hand in pixels from the learned and true boxes (edges inclusive)
    b = F["test"]["boxes"].double().numpy()
    g = np.concatenate([np.asarray(s.bbox, float)[::8] for s in ds.split("test")])
    wb, wg, hb, hg = b[:, 2] - b[:, 0] + 1, g[:, 2] - g[:, 0] + 1, b[:, 3] - b[:, 1] + 1, g[:, 3] - g[:, 1] + 1
    dx = ((b[:, 0] + b[:, 2]) - (g[:, 0] + g[:, 2])) / 2 / (wg / 2)
    st = res["box_statistics"]
    assert res["split"] == "test"
    offset = st["centre offset x / half-width"]
    assert abs(offset["mean"] - dx.mean()) < 1e-4 and abs(offset["sd"] - dx.std()) < 1e-4
    assert abs(st["width ratio"]["mean"] - (wb / wg).mean()) < 1e-4
    assert abs(st["height ratio"]["mean"] - (hb / hg).mean()) < 1e-4
    for bad, msg in [((tmp_path / "run", TINY, "--modes", "learned,middle"),
                      "--modes 'learned,middle': expected some of"),
                     ((tmp_path / "norun", TINY), "config.json"),
                     ((tmp_path / "run", TINY, "--on", "train"), "--on 'train': expected test or val"),
                     ((tmp_path / "run", TINY, "--out", tmp_path / "nofolder" / "d.json"), "does not exist")]:
        r = run(DIAG, *bad)
        assert one_line_error(r, msg), (bad, r.stderr)
    # runs without a learned box, or without a decoded mask for mask_centre, are refused before any work
    for preset, modes, msg in [("css", "learned", "has no learned box"), ("dsl-stn", "mask_centre", "decodes no mask")]:
        r = run(command("tvti-train"), TINY, tmp_path / preset, "--preset", preset, "--steps", "1", "--quiet")
        assert r.returncode == 0, r.stderr
        r = run(DIAG, tmp_path / preset, TINY, "--modes", modes)
        assert one_line_error(r, msg), (preset, r.stderr)


AGREE = ROOT / "research" / "step_agreement.py"


def test_step_agreement_gap_by_hand():
    sys.path.insert(0, str(ROOT / "research"))
    from step_agreement import gap
    a, b = [1.0] * 30, [1.0] * 10 + [2.0] * 20      # running means over 20 steps: a's stays 1, b's grows from 1.5 to 2
    # the largest |mean_a - mean_b| / mean_b over steps 20..30: at step 30, 1 against 2 (at step 20, 0.5 against 1.5)
    assert abs(gap(a, b) - 0.5) < 1e-12 and abs(gap(a[:20], b[:20]) - 0.5 / 1.5) < 1e-12
    assert gap(b, b) == 0.0


def test_step_agreement_same_code_agrees_exactly(tmp_path):
    # the checkout against itself: training is deterministic on a CPU, so both gaps are zero in either precision
    r = run(AGREE, ROOT, tmp_path / "out", "--steps", 40, timeout=900)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "out" / "step-agreement.json").read_text())
    assert res["gap_fp32"] == 0.0 and res["gap_bf16"] == 0.0 and res["agrees"] and res["tolerance"] > 0, res
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == {"step-agreement.csv", "step-agreement.json", "step-agreement.png"}


def test_step_agreement_bad_input(tmp_path):
    r = run(AGREE, tmp_path, tmp_path / "out")
    assert (r.returncode == 2 and f"{tmp_path}: expected a checkout of tvti" in r.stderr
            and "Traceback" not in r.stderr), r.stderr
    r = run(AGREE, ROOT, tmp_path / "out", "--steps", 10)
    assert r.returncode == 2 and "--steps 10: expected at least 40" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


CUES_TOOL = ROOT / "research" / "dsl_cues.py"


def test_dsl_of_a_constant_code_by_hand():
    # a constant code has cosine 1 everywhere: Eq. 5 then costs the weight of |sim| alone, 0 up to d_max / 2 and
    # min(2 d / d_max - 1, 1) beyond (Fig. 3); the nearby frame costs 0, the away frame 1
    sys.path.insert(0, str(ROOT / "research"))
    from dsl_cues import dsl_of
    code = [np.ones((50, 4), np.float32)]
    s, r = np.zeros(3, int), np.array([20, 20, 25])
    n, i, a = np.array([21, 19, 27]), np.array([30, 35, 40]), np.array([45, 0, 49])
    d_max = 20
    # inter: 0, 0.5, 0.5
    by_hand = np.mean([0 + min(max(2 * abs(ii - rr) / d_max - 1, 0), 1) + 1 for rr, ii in zip(r, i)])
    assert abs(dsl_of(code, (s, r, n, i, a), d_max) - by_hand) < 1e-6 and abs(by_hand - 4 / 3) < 1e-9


def test_dsl_cues_on_the_sample(tmp_path):
    js = tmp_path / "cues.json"
    r = run(CUES_TOOL, TINY, "--steps", 20, "--tuples", 64, "--untrained", "--out", js)
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert set(res["loss"]) == {"pose", "box", "background", "lighting", "box+background+lighting",
                                "constant code", "random codes", "I_tv of an untrained ours"}
    assert all(0 <= v <= 6 for v in res["loss"].values()), res       # Eq. 6 sums three terms of Eq. 5, each at most 2
    # a constant code pays for every away frame (1 each), random codes pay about |cos| everywhere; the true pose,
    # even through an MLP trained 20 steps, orders the frames better than both
    assert res["loss"]["pose"] < min(res["loss"]["constant code"], res["loss"]["random codes"]), res
    r = run(CUES_TOOL, tmp_path, "--steps", 5)
    assert r.returncode == 2 and "dsl_cues: error:" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = run(CUES_TOOL, TINY, tmp_path, "--steps", 5)
    assert r.returncode == 2 and f"{tmp_path}: not a tvti-train run folder" in r.stderr, r.stderr


RATIO_TOOL = ROOT / "research" / "grad_ratio.py"


def test_grad_ratio_on_the_sample(tmp_path):
    # ρ scales only the reconstruction: the contrastive term's gradient is the same under every ρ (same batches),
    # and with ρ = 0 the reconstruction's gradient is the pixel term's alone, smaller than with the feature term added
    js = tmp_path / "ratio.json"
    r = run(RATIO_TOOL, TINY, "--rho", "0,0.2,2", "--batches", 2, "--out", js)
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())["rho"]
    c = [res[k]["contrastive_norm"]["backbone"] for k in ("0", "0.2", "2")]
    assert max(c) - min(c) <= 1e-5 * max(c), c
    rec = [res[k]["reconst_norm"]["backbone"] for k in ("0", "0.2", "2")]
    assert rec[0] < rec[2], rec
    r = run(RATIO_TOOL, TINY, "--rho", "a,b")
    assert r.returncode == 2 and "--rho 'a,b': expected comma-separated numbers" in r.stderr, r.stderr


SWEEP_TOOL = ROOT / "research" / "sweep.py"


def test_sweep_on_the_sample(tmp_path):
    # a point at the default α trains the very network a plain run of `ours` trains, and its validation N-MPJPE is
    # that run's, evaluated apart; the other point carries its value; a second call computes nothing
    import torch
    from tvti.pose import evaluate, load_run
    from tvti.train import train
    out = tmp_path / "sweep"
    args = ["--set", "alpha=0.01,0.1", "--steps", 2, "--seeds", 0, "--fractions", 1, "--phi-steps", 3, "--every", 8,
            "--precision", "fp32"]
    r = run(SWEEP_TOOL, TINY, out, *args)
    assert r.returncode == 0, r.stderr
    pts = sorted(p.name for p in (out / "points").glob("*.json"))
    assert pts == ["ours-alpha=0.01-s0.json", "ours-alpha=0.1-s0.json"], pts
    assert json.loads((out / "runs" / "ours-alpha=0.1-s0" / "config.json").read_text())["model"]["alpha"] == 0.1
    train(TINY, tmp_path / "plain", preset="ours", steps=2, seed=0, progress=False, val_every=1, sample_every=2,
          channels_last=True)
    a, b = load_run(out / "runs" / "ours-alpha=0.01-s0", "latest"), load_run(tmp_path / "plain", "latest")
    for (k, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(x, y), (k, (x - y).abs().max())
    ref = evaluate(b, TINY, (1.0,), ("mlp",), steps=3, seed=0, every=8)["fractions"]["1"]["mlp"]["val_n_mpjpe"]
    row = json.loads((out / "points" / "ours-alpha=0.01-s0.json").read_text())["rows"][0]
    assert abs(row["val_n_mpjpe"] - ref) < 1e-6 * ref, (row, ref)
    stamp = {p: p.stat().st_mtime_ns for p in (out / "points").glob("*.json")}
    r = run(SWEEP_TOOL, TINY, out, *args)
    assert r.returncode == 0 and {p: p.stat().st_mtime_ns for p in (out / "points").glob("*.json")} == stamp, r.stderr
    r = run(SWEEP_TOOL, TINY, out, *args[:-1], "bf16")
    assert (r.returncode == 2 and "holds a sweep with other precision" in r.stderr
            and "Traceback" not in r.stderr), r.stderr
    r = run(SWEEP_TOOL, TINY, tmp_path / "x", "--set", "alpah=1")
    assert r.returncode == 2 and "--set alpah: not a model setting" in r.stderr, r.stderr
    r = run(SWEEP_TOOL, TINY, tmp_path / "x", "--set", "away=pose")
    assert r.returncode == 2 and "--set away=pose: expected one of any, box" in r.stderr, r.stderr
    r = run(SWEEP_TOOL, TINY, tmp_path / "x", "--set", "jitter=1")
    assert r.returncode == 2 and "--set jitter: only numeric settings" in r.stderr, r.stderr


def watch_splits(monkeypatch) -> list:
    "The splits that `tvti.pose.extract_features` is asked for from now on, in order (a list that fills as it runs)."
    import tvti.pose as P
    seen, real = [], P.extract_features

    def spy(obj, ds, split, **kw):
        seen.append(split)
        return real(obj, ds, split, **kw)
    monkeypatch.setattr(P, "extract_features", spy)
    return seen


def test_sweep_reads_no_test_subject(tmp_path, monkeypatch):
    # every feature the sweep extracts comes from the training or validation subjects
    import argparse
    sys.path.insert(0, str(ROOT / "research"))
    import sweep
    seen = watch_splits(monkeypatch)
    args = argparse.Namespace(steps=2, fractions=(1.0, 0.5), phi_steps=3, every=8)
    rec = sweep.run_point(TINY, tmp_path, "ours", "alpha", 0.1, 0, args, False)
    assert sorted(set(seen)) == ["train", "val"] and len(rec["rows"]) == 2, seen


HELDOUT_TOOL = ROOT / "research" / "heldout_motion.py"


def test_cut_bvh_keeps_the_frames(tmp_path, shared_data):
    sys.path.insert(0, str(ROOT / "research"))
    from heldout_motion import cut_bvh
    from tvti.body import read_bvh
    src = shared_data / "mocap" / "02_01.bvh"
    cut_bvh(src, tmp_path / "cut.bvh", 10, 50)
    a, b = read_bvh(src), read_bvh(tmp_path / "cut.bvh")
    assert b.positions.shape == (40, *a.positions.shape[1:]) and b.frame_time == a.frame_time
    assert np.allclose(b.positions, a.positions[10:50])


def test_heldout_motion_on_the_sample(tmp_path, shared_data):
    # the captured take is performed by the sample's test subject only; the mean training pose's MPJPE on it is
    # worked out apart from the labels (root-relative, every frame, the root left out)
    from tvti.data import load_dataset
    from tvti.train import train
    train(TINY, tmp_path / "run", preset="ours", steps=2, seed=0, progress=False)
    take = shared_data / "mocap" / "02_01.bvh"
    r = run(HELDOUT_TOOL, TINY, tmp_path / "out", tmp_path / "run", "--which", "latest", "--untrained", "--bvh", take,
            "--fractions", 1, "--phi-steps", 3, "--every", 8, "--quiet")
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "out" / "heldout.json").read_text())
    ds, held = load_dataset(TINY), load_dataset(tmp_path / "out" / "heldout")
    test_subjects = sorted({s.subject for s in ds.split("test")})
    assert res["test_subjects"] == test_subjects
    performed = sorted({(s.split, s.subject) for s in held if s.action == "mocap-02_01"})
    assert performed == [("test", n) for n in test_subjects]
    rel = lambda s: (lambda p: p - p[:, :1])(np.asarray(s.pose3d, dtype=np.float64))
    mu = np.concatenate([rel(s) for s in ds.split("train")]).mean(0)
    gt = np.concatenate([rel(s) for s in held if s.action.startswith("mocap-")])
    want = np.linalg.norm(gt - mu, axis=-1)[:, 1:].mean()                # over the 16 joints besides the root
    assert abs(res["levels"]["captured takes"]["mean training pose"]["mpjpe"] - want) < 1e-6 * want
    assert set(res["sources"]) == {"run (latest)", "untrained ours (seed 0)", "background subtraction"}
    for v in res["sources"].values():
        assert np.isfinite(v["captured takes"]["1"]["n_mpjpe"])
    r = run(HELDOUT_TOOL, TINY, tmp_path / "out", "--bvh", tmp_path / "none.bvh")
    assert (r.returncode == 2 and "--bvh" in r.stderr and "no such file" in r.stderr
            and "Traceback" not in r.stderr), r.stderr


PROBE_TOOL = ROOT / "research" / "code_probe.py"


def test_code_probe_ridge_and_spread_by_hand():
    sys.path.insert(0, str(ROOT / "research"))
    from code_probe import ridge_fit, participation, r2
    g = np.random.default_rng(0)
    X = g.standard_normal((200, 5))
    A, c = g.standard_normal((5, 3)), np.array([1.0, -2.0, 0.5])
    W, b = ridge_fit(X, X @ A + c, 1e-9)                # a noiseless linear map is recovered, intercept included
    assert np.allclose(W, A, atol=1e-6) and np.allclose(b, c, atol=1e-6), (W, b)
    assert abs(r2(X @ A + c, X @ A + c) - 1) < 1e-12
    # variance along one direction uses one; equal variance along all of four uses four
    assert abs(participation(np.outer(g.standard_normal(500), [1.0, 2.0, 0.0, 0.0])) - 1) < 1e-6
    assert abs(participation(np.concatenate([np.eye(4), -np.eye(4)])) - 4) < 1e-6


def test_code_probe_on_the_sample(tmp_path, monkeypatch):
    # the script fits on train and reads validation only, writes one entry per state and computes nothing twice
    from conftest import command
    r = run(command("tvti-train"), TINY, tmp_path / "run", "--steps", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    sys.path.insert(0, str(ROOT / "research"))
    import code_probe
    seen = watch_splits(monkeypatch)
    js = tmp_path / "probe.json"
    args = [str(TINY), str(tmp_path / "run"), "--which", "best,latest", "--every", "8", "--phi-steps", "3",
            "--out", str(js)]
    code_probe.main(args)
    res = json.loads(js.read_text())
    run_key = str((tmp_path / "run").resolve())
    assert set(res) == {"_settings", f"{run_key}:best", f"{run_key}:latest"}, res
    assert sorted(set(seen)) == ["train", "val"], seen
    e = res[f"{run_key}:latest"]
    assert {"phi_3", "ridge", "knn", "pose_r2", "box_r2", "ti_box_r2", "norm", "spread"} == set(e), e
    assert 1 <= e["spread"] <= 32 and e["ridge"] > 0 and e["knn"] > 0 and e["box_r2"] <= 1, e
    n = len(seen)
    code_probe.main(args)
    assert len(seen) == n
    r = run(PROBE_TOOL, TINY, tmp_path / "run", "--which", "best", "--every", "4", "--out", js)
    assert one_line_error(r, "holds reads made with other settings"), r.stderr
    r = run(PROBE_TOOL, TINY, tmp_path / "run", "--which", "step_000500")
    assert one_line_error(r, "has no checkpoint step_000500.pt (--which)"), r.stderr
    r = run(PROBE_TOOL, TINY, tmp_path / "run", "--phi-steps", "x")
    assert one_line_error(r, "--phi-steps 'x': expected whole numbers"), r.stderr


STORE_TOOL = ROOT / "tools" / "bench_store.py"


def test_bench_store_small(tmp_path):
    # the raw store's disk per frame is the frame's bytes plus its share of the .npy header, by hand; JPEG's is less;
    # the candidates' files are gone afterwards
    r = run(STORE_TOOL, tmp_path, "--size", 32, "--frames", 20, "--reads", 10, "--stores", "npy,jpeg", "--workers", 0)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "store.json").read_text())["stores"]
    header = (tmp_path / "x.npy")
    np.save(header, np.zeros((20, 32, 32, 3), np.uint8))
    assert abs(res["npy"]["bytes_per_frame"] - header.stat().st_size / 20) < 1e-9, res
    assert res["jpeg"]["bytes_per_frame"] < res["npy"]["bytes_per_frame"] and res["jpeg"]["read_fps_w0"] > 0
    assert not (tmp_path / "stores").exists() and "| jpeg |" in (tmp_path / "store.md").read_text()
    r = run(STORE_TOOL, tmp_path, "--stores", "zip")
    assert one_line_error(r, "--stores 'zip': expected some of npy, jpeg, hdf5, mp4-seek"), r.stderr


def test_bench_prepare_small(tmp_path):
    # four cameras, every 5th of 10 (and 20) frames: 8 (and 16) stored frames, counted on disk; nothing left behind
    r = run(ROOT / "tools" / "bench_prepare.py", tmp_path, "--frames", 10, "--size", 32)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "prepare.json").read_text())["runs"]
    assert (res["x1"]["stored_frames"], res["x2"]["stored_frames"]) == (8, 16), res
    assert res["x1"]["source_frames"] == 40 and res["x1"]["kb_per_stored_frame"] > 0 and res["x1"]["peak_mb"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prepare.json", "prepare.md"]


BOXES_TOOL = ROOT / "research" / "real_boxes.py"


def test_real_boxes_iou_by_hand():
    sys.path.insert(0, str(ROOT / "research"))
    from real_boxes import iou, score_frame
    # 10 x 10 pixels each, edges inside; shifted by 5 columns: 50 shared of 150 covered
    assert abs(iou([0, 0, 9, 9], [5, 0, 14, 9]) - 1 / 3) < 1e-12
    assert iou([0, 0, 9, 9], [10, 0, 19, 9]) == 0.0 and iou([3, 4, 7, 8], [3, 4, 7, 8]) == 1.0
    # two people 10 columns apart; a box on the second matches it exactly and covers 100 of the 300 pixels of the box
    # around both
    s = score_frame([20, 0, 29, 9], {"p": [0, 0, 9, 9], "q": [20, 0, 29, 9]})
    assert s["who:p"] == 0.0 and s["who:q"] == 1.0 and s["best"] == 1.0 and abs(s["union"] - 1 / 3) < 1e-12, s
    assert score_frame([0, 0, 9, 9], {}) == {}


def test_real_boxes_on_a_moving_square(tmp_path):
    # a red square moving on a grey wall, labelled at full size and stored at half size: background subtraction finds
    # the labels exactly (even edges halve to whole pixels), the untrained network does not
    import cv2
    from conftest import command
    src = tmp_path / "frames"
    src.mkdir()
    boxes = {}
    for t in range(20):
        im = np.full((48, 64, 3), 120, np.uint8)
        x0 = 4 + 2 * t
        im[20:30, x0:x0 + 8] = (0, 0, 230)
        cv2.imwrite(str(src / f"{t:03d}.png"), im)
        boxes[t] = [x0, 20, x0 + 7, 29]
    r = run(command("tvti-ingest"), src, tmp_path / "data", "--fps", 10, "--width", 32, "--quiet")
    assert r.returncode == 0, r.stderr
    labelled = (0, 6, 13, 19)
    labels = {"videos": [{"file": "square", "width": 64, "height": 48,
                          "labels": [{"frame": t, "boxes": [{"who": "square", "box": boxes[t]}]} for t in labelled]
                          + [{"frame": 3, "boxes": []}]}]}
    (tmp_path / "boxes.json").write_text(json.dumps(labels))
    out, fig = tmp_path / "res.json", tmp_path / "res.png"
    r = run(BOXES_TOOL, tmp_path / "boxes.json", "--video", f"square={tmp_path / 'data'}", "--out", out,
            "--figure", fig)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())["videos"]["square"]
    assert [f["frame"] for f in res["frames"]] == list(labelled)
    for name in ("background-subtraction", "foreground-box"):
        m = res["methods"][name]
        assert m["best"]["frames"] == 4 and abs(m["best"]["mean"] - 1) < 1e-6, (name, m)
    assert res["methods"]["untrained"]["best"]["mean"] < 0.9 and fig.stat().st_size > 0
    x0 = 4 + 2 * 6                                      # frame 6's label at half size: columns 8..11, rows 10..14
    assert res["frames"][1]["labels"]["square"] == [x0 / 2, 10.0, x0 / 2 + 3, 14.0], res["frames"][1]
    r = run(BOXES_TOOL, tmp_path / "boxes.json", "--video", f"demo.mp4={tmp_path / 'data'}")
    assert one_line_error(r, "demo.mp4: not a video of"), r.stderr
    r = run(BOXES_TOOL, tmp_path / "boxes.json", "--video", "square")
    assert one_line_error(r, "video 'square': expected VIDEO=..."), r.stderr
