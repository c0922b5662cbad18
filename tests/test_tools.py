"""The measurement scripts in tools/ as a user runs them: tools/supervised_level.py on the committed sample; bad input in one line."""
import json, subprocess, sys
import numpy as np
from conftest import ROOT

TINY = ROOT / "data_samples" / "tiny"
TOOL = ROOT / "tools" / "supervised_level.py"


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
            p = np.asarray(s.pose3d, float)[::4]; p = p - p[:, :1]; p = p - p.mean(0)
            by_hand.append(np.linalg.norm(p, axis=-1)[:, 1:])
        zero = float(np.concatenate(by_hand).mean())
        assert abs(res[split]["within_video_zero"] - zero) < 1e-3 * zero, (split, res[split], zero)
        assert res[split]["n_mpjpe"] > 0 and res[split]["within_video_mpjpe"] > 0
    assert "test {'n_mpjpe'" in r.stdout


def test_supervised_level_bad_input(tmp_path):
    for args, msg in [((tmp_path / "nodata",), "no such dataset folder"), ((TINY, tmp_path / "x.json", 0), "STEPS must be a whole number of at least 1, got '0'"),
                      ((TINY, tmp_path / "x.json", "many"), "STEPS must be a whole number of at least 1, got 'many'")]:
        r = run(TOOL, *args)
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


DIAG = ROOT / "tools" / "crop_diagnosis.py"


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
    with torch.no_grad(): F = {sp: extract_features(obj, ds, sp, every=8) for sp in ("train", "val", "test")}
    for c in ("tv", "ti"):
        ref = pose_from_code(F, c, steps=5)
        for k in ("n_mpjpe", "within_video_mpjpe", "within_video_zero"):
            assert abs(res["learned"][f"I_{c}"][k] - ref[k]) < 1e-3 * ref[k], (c, k, res["learned"], ref)
    # the box statistics, by hand in pixels from the learned and true boxes (edges inclusive)
    b, g = F["test"]["boxes"].double().numpy(), np.concatenate([np.asarray(s.bbox, float)[::8] for s in ds.split("test")])
    wb, wg, hb, hg = b[:, 2] - b[:, 0] + 1, g[:, 2] - g[:, 0] + 1, b[:, 3] - b[:, 1] + 1, g[:, 3] - g[:, 1] + 1
    dx = ((b[:, 0] + b[:, 2]) - (g[:, 0] + g[:, 2])) / 2 / (wg / 2)
    st = res["box_statistics"]; assert res["split"] == "test"
    assert abs(st["centre offset x / half-width"]["mean"] - dx.mean()) < 1e-4 and abs(st["centre offset x / half-width"]["sd"] - dx.std()) < 1e-4
    assert abs(st["width ratio"]["mean"] - (wb / wg).mean()) < 1e-4 and abs(st["height ratio"]["mean"] - (hb / hg).mean()) < 1e-4
    for bad, msg in [((tmp_path / "run", TINY, "--modes", "learned,middle"), "--modes 'learned,middle': expected some of"),
                     ((tmp_path / "norun", TINY), "config.json"), ((tmp_path / "run", TINY, "--on", "train"), "--on 'train': expected test or val"),
                     ((tmp_path / "run", TINY, "--out", tmp_path / "nofolder" / "d.json"), "does not exist")]:
        r = run(DIAG, *bad)
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, (bad, r.stderr)
    # runs without a learned box, or without a decoded mask for mask_centre, are refused before any work
    for preset, modes, msg in [("css", "learned", "has no learned box"), ("dsl-stn", "mask_centre", "decodes no mask")]:
        r = run(command("tvti-train"), TINY, tmp_path / preset, "--preset", preset, "--steps", "1", "--quiet")
        assert r.returncode == 0, r.stderr
        r = run(DIAG, tmp_path / preset, TINY, "--modes", modes)
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, (preset, r.stderr)


AGREE = ROOT / "tools" / "step_agreement.py"


def test_step_agreement_gap_by_hand():
    sys.path.insert(0, str(ROOT / "tools"))
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
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"step-agreement.csv", "step-agreement.json", "step-agreement.png"}


def test_step_agreement_bad_input(tmp_path):
    r = run(AGREE, tmp_path, tmp_path / "out")
    assert r.returncode == 2 and f"{tmp_path}: expected a checkout of tvti" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = run(AGREE, ROOT, tmp_path / "out", "--steps", 10)
    assert r.returncode == 2 and "--steps 10: expected at least 40" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


CUES_TOOL = ROOT / "tools" / "dsl_cues.py"


def test_dsl_of_a_constant_code_by_hand():
    # a constant code has cosine 1 everywhere: Eq. 5 then costs the weight of |sim| alone, 0 up to d_max / 2 and
    # min(2 d / d_max - 1, 1) beyond (Fig. 3); the nearby frame costs 0, the away frame 1
    sys.path.insert(0, str(ROOT / "tools"))
    from dsl_cues import dsl_of
    code = [np.ones((50, 4), np.float32)]
    s, r = np.zeros(3, int), np.array([20, 20, 25])
    n, i, a = np.array([21, 19, 27]), np.array([30, 35, 40]), np.array([45, 0, 49])
    d_max = 20
    by_hand = np.mean([0 + min(max(2 * abs(ii - rr) / d_max - 1, 0), 1) + 1 for rr, ii in zip(r, i)])   # inter: 0, 0.5, 0.5
    assert abs(dsl_of(code, (s, r, n, i, a), d_max) - by_hand) < 1e-6 and abs(by_hand - 4 / 3) < 1e-9


def test_dsl_cues_on_the_sample(tmp_path):
    js = tmp_path / "cues.json"
    r = run(CUES_TOOL, TINY, "--steps", 20, "--tuples", 64, "--untrained", "--out", js)
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert set(res["loss"]) == {"pose", "box", "background", "lighting", "box+background+lighting", "constant code", "random codes", "I_tv of an untrained ours"}
    assert all(0 <= v <= 6 for v in res["loss"].values()), res       # Eq. 6 sums three terms of Eq. 5, each at most 2
    # a constant code pays for every away frame (1 each), random codes pay about |cos| everywhere; the true pose,
    # even through an MLP trained 20 steps, orders the frames better than both
    assert res["loss"]["pose"] < min(res["loss"]["constant code"], res["loss"]["random codes"]), res
    r = run(CUES_TOOL, tmp_path, "--steps", 5)
    assert r.returncode == 2 and "dsl_cues: error:" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = run(CUES_TOOL, TINY, tmp_path, "--steps", 5)
    assert r.returncode == 2 and f"{tmp_path}: not a tvti-train run folder" in r.stderr, r.stderr


RATIO_TOOL = ROOT / "tools" / "grad_ratio.py"


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
