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
