"tools/publish.py curve: a curve folder merged run by run into the published curve."
import json, sys
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _rows(model, seed, steps, cpu, val):
    return [dict(model=model, seed=seed, steps=n, fraction=f, n_mpjpe=v + 10, mpjpe=v + 50, p_mpjpe=v - 20,
                 val_n_mpjpe=v, box_iou=0.7, mask_iou=0.6, ti_cluster_accuracy=0.9, cpu=cpu)
            for n, v in zip(steps, val) for f in (1.0, 0.1)]


def test_publish_curve_merges_runs_and_redraws(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    from publish import publish_curve
    from tvti.curve import CurvePlan, plateau
    from dataclasses import asdict
    dst, src = tmp_path / "docs", tmp_path / "folder"
    dst.mkdir(); src.mkdir()
    old = (_rows("ours", 0, [500, 1000, 2000], "xeon", [160.0, 135.0, 158.0])
           + _rows("ours", 1, [500, 1000, 2000], "xeon", [150.0, 140.0, 150.0])
           + _rows("untrained-ours", 0, [0], "xeon", [188.0]))
    pd.DataFrame(old).to_csv(dst / "curve.csv", index=False)
    (dst / "curve.png").write_bytes(b"old figure")
    new = (_rows("ours", 0, [500, 1000, 2000, 4000], "epyc", [170.0, 155.0, 160.0, 158.0])
           + _rows("ours", 1, [500], "epyc", [171.0]) + _rows("untrained-ours", 0, [0], "epyc", [187.9]))
    pd.DataFrame(new).to_csv(src / "curve.csv", index=False)
    plan = CurvePlan(models={"ours": 2}, cap=8000)
    (src / "curve.json").write_text(json.dumps(dict(plan=asdict(plan), plateau={}, skipped={}, seconds=1.0, points=6,
                                                    image_free_levels={"global": {"n_mpjpe": 220.0}}, command="x",
                                                    date="d")))
    publish_curve(src, dst)
    got = pd.read_csv(dst / "curve.csv")
    cpu = got.groupby(["model", "seed"])["cpu"].agg(lambda c: sorted(set(c))).to_dict()
    # seed 0 and the control come from the folder (as many points or more), seed 1 stays (one point against three)
    assert cpu == {("ours", 0): ["epyc"], ("ours", 1): ["xeon"], ("untrained-ours", 0): ["epyc"]}, cpu
    assert sorted(got.query("model == 'ours' and seed == 1")["steps"].unique()) == [500, 1000, 2000]
    # untouched rows keep every digit
    assert np.array_equal(got.query("seed == 1 and model == 'ours'")["val_n_mpjpe"].to_numpy(),
                          pd.DataFrame(old).query("seed == 1 and model == 'ours'")["val_n_mpjpe"].to_numpy())
    info = json.loads((dst / "curve.json").read_text())
    assert info["points"] == 4 + 3 + 1 and info["cpus"] == {"epyc": 5, "xeon": 3}, info
    # the plateau from the merged rows, by the rule worked by hand: both seeds at 500 / 1000 / 2000, means
    # (170 + 150) / 2 = 160, (155 + 140) / 2 = 147.5 (8% better), (160 + 150) / 2 = 155 (worse): the plateau is 2000
    assert info["plateau"]["ours"] == {"steps": 2000, "plateau": True, "val": 155.0,
                                       "gain": (147.5 - 155.0) / 147.5}, info["plateau"]
    assert info["plateau"] == plateau(got.to_dict("records"), {"ours": 2})
    assert (dst / "curve.png").read_bytes()[:4] == b"\x89PNG"
    # the headline at the plateau: ours at 2000 steps, test N-MPJPE 170 (seed 0, the folder's) and 160 (seed 1); its
    # best validation mean at 1000 steps (147.5)
    md = (dst / "plateau.md").read_text()
    assert "| ours | 2000 (plateau) | 1000 | 2 | 165.0 ± 7.1 | 165.0 ± 7.1 |" in md, md
    assert not [p.name for p in dst.iterdir() if p.name not in ("curve.csv", "curve.png", "curve.json", "plateau.md")]
    # a folder of another plan, or of other frames, is not merged into the published curve
    from tvti.core import TvtiError
    other = tmp_path / "other"; other.mkdir()
    (other / "curve.csv").write_text((src / "curve.csv").read_text())
    fp = {"S1_walking.v0": [9.0, 9.0, 9.0]}
    (dst / "curve.json").write_text(json.dumps(dict(info, data_fingerprint=fp)))
    for change, says in (({"plan": dict(asdict(plan), phi_steps=7)}, "another plan"),
                         ({"data_fingerprint": {"S1_walking.v0": [1.0, 2.0, 3.0]}}, "measured on other data")):
        (other / "curve.json").write_text(json.dumps({**info, "data_fingerprint": fp, **change}))
        try: publish_curve(other, dst)
        except TvtiError as e: assert says in str(e), e
        else: raise AssertionError(f"merged a folder of {says}")
