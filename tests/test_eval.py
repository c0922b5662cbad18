"""tvti-eval as a user runs it: a short run on the committed sample, evaluated to JSON; bad input in one line."""
import json, subprocess
import numpy as np
import pytest
from conftest import command, ROOT

TINY = ROOT / "data_samples" / "tiny"


def run(*args, timeout=600):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "run"
    r = run(command("tvti-train"), TINY, out, "--steps", "20", "--val-every", "20", "--quiet")
    assert r.returncode == 0, r.stderr
    return out


def test_eval_writes_json(trained, tmp_path):
    js = tmp_path / "res.json"
    r = run(command("tvti-eval"), trained, TINY, "--fractions", "1,0.25", "--regressors", "mlp,resmlp", "--steps", "10",
            "--json", js, "--identity", "--quiet")
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert set(res["fractions"]) == {"1", "0.25"}
    for f in res["fractions"].values():
        assert set(f) == {"mlp", "resmlp"}
        for m in f.values(): assert all(np.isfinite(m[k]) and m[k] > 0 for k in ("mpjpe", "n_mpjpe", "p_mpjpe"))
    assert res["fractions"]["0.25"]["mlp"]["train_frames"] == 128          # every 4th of 16 x 32 training frames
    assert res["phi_steps"] == 10 and res["variant"] == "ours"
    assert all(np.isfinite(m["val_mpjpe"]) for f in res["fractions"].values() for m in f.values())
    assert 0 <= res["box_iou"] <= 1 and 0 <= res["mask_iou"] <= 1
    # in every frame IoU = I / union is at most I / predicted (precision) and I / true (recall), so also on average
    assert res["mask_iou"] <= min(res["mask_precision"], res["mask_recall"]) + 1e-9
    mask = f"mask IoU {res['mask_iou']:.3f} (precision {res['mask_precision']:.3f}, recall {res['mask_recall']:.3f})"
    assert mask in r.stdout
    assert "N-MPJPE" in r.stdout
    # --identity: Section 4.4.3 from each code alone. Its zero level, by hand from the labels: root-relative test
    # poses minus their video's mean, mean joint distance over the 16 joints other than the root
    from tvti.data import load_dataset
    res_by_hand = []
    for s in load_dataset(TINY).split("test"):
        p = np.asarray(s.pose3d, float); p = p - p[:, :1]; p = p - p.mean(0)
        res_by_hand.append(np.linalg.norm(p, axis=-1)[:, 1:])
    zero = float(np.concatenate(res_by_hand).mean())
    a = res["identity"]
    assert set(a) == {"I_ti", "I_tv"}
    for code in a.values():
        assert abs(code["pose"]["within_video_zero"] - zero) < 1e-3 * zero
        # one test subject: no k-means on it
        assert "subject" not in code["kmeans"] and 0 <= code["kmeans"]["action"]["accuracy"] <= 1
    # ours' code is I_tv (Phi reads it alone), so Phi on I_tv with all labels is the 100% row's fit, seed for seed;
    # I_ti's fit is another (a swap of the two codes, or one code read twice, would fail here)
    n_tv, n_ti = a["I_tv"]["pose"]["n_mpjpe"], a["I_ti"]["pose"]["n_mpjpe"]
    n_all = res["fractions"]["1"]["mlp"]["n_mpjpe"]
    assert abs(n_tv - n_all) < 1e-4 * n_all and abs(n_ti - n_all) > 1e-3 * n_all, (n_tv, n_ti, n_all)
    gain = 1 - a["I_tv"]["pose"]["within_video_mpjpe"] / a["I_ti"]["pose"]["within_video_mpjpe"]
    said = f"pose from `I_tv` is {100 * abs(gain):.0f}% {'below' if gain >= 0 else 'above'} pose from `I_ti`"
    assert said in r.stdout


def test_eval_bad_input(trained, tmp_path):
    for args, msg in [([tmp_path / "norun", TINY], "config.json"),
                      ([trained, tmp_path / "nodata"], "no such dataset folder"),
                      ([trained, TINY, "--fractions", "all"], "expected numbers"),
                      ([trained, TINY, "--fractions", "2"], "not in (0, 1]"),
                      ([trained, TINY, "--regressors", "svm"], "--regressors 'svm'"),
                      ([trained, TINY, "--steps", "0"], "--steps 0")]:
        r = run(command("tvti-eval"), *args[:2], "--steps", "1", *args[2:], "--quiet")   # a later --steps wins
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
