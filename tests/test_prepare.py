"""tvti-prepare as a user runs it: folders in Human3.6M's, MPI-INF-3DHP's, Ski-PTZ's and 3DPW's official layouts
(written by the tests with cdflib, scipy.io, h5py, pickle and OpenCV, since the releases may not be shipped) ->
tvti-prepare -> tvti-train -> tvti-eval; bad input ends in one line and writes nothing."""
import json, subprocess
import numpy as np
import pytest
from conftest import command, ROOT
from tvti.data import load_dataset
from tvti.prepare import write_h36m_layout, write_3dhp_layout, write_ski_layout, write_3dpw_layout

TINY = ROOT / "data_samples" / "tiny"


def run(*args, timeout=600):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def train_and_eval(tmp_path, out, *eval_args) -> dict:
    "tvti-train (3 steps) then tvti-eval on the prepared folder `out`, from the command line; the evaluation's JSON."
    r = run(command("tvti-train"), out, tmp_path / "run", "--steps", 3, "--d-pos", 3, "--d-max", 20, "--quiet")
    assert r.returncode == 0, r.stderr
    js = tmp_path / "eval.json"
    r = run(command("tvti-eval"), tmp_path / "run", out, "--fractions", 1, "--steps", 5, *eval_args, "--json", js,
            "--quiet")
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert np.isfinite(res["fractions"]["1"]["mlp"]["n_mpjpe"]), res
    return res


@pytest.fixture(scope="module")
def h36m(tmp_path_factory):
    return write_h36m_layout(load_dataset(TINY), tmp_path_factory.mktemp("release") / "H36M")


def test_h36m_prepare_train_eval(tmp_path, h36m):
    out = tmp_path / "h36m"
    r = run(command("tvti-prepare"), "h36m", h36m, out, "--every", 1, "--size", 64, "--val", "S8", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "32 videos, 1024 frames of 64x64 (train 512, val 256, test 256)" in r.stdout, r.stdout
    ds, src = load_dataset(out), load_dataset(TINY)
    assert all(s.frames.__class__.__name__ == "JpegFrames" for s in ds)
    for s in ds:       # every take comes back with its labels: S1_Walking.v0 <- S1_walking.v0
        ref = src[s.name.replace(s.action, s.action.lower())]
        np.testing.assert_array_equal(np.asarray(s.pose3d), np.asarray(ref.pose3d))
        np.testing.assert_allclose(np.asarray(s.pose2d), np.asarray(ref.pose2d), atol=1e-3)  # via full-size pixels
    assert train_and_eval(tmp_path, out, "--every", 4)["test_frames"] == 64


def test_h36m_bad_input_one_line_nothing_written(tmp_path, h36m):
    import shutil
    broken = tmp_path / "H36M"
    shutil.copytree(h36m, broken)
    cdf = broken / "S9" / "MyPoseFeatures" / "D3_Positions_mono" / "Boxing.58860488.cdf"
    cdf.write_bytes(cdf.read_bytes()[:-200])          # a truncated download, late in the run
    for args, msg in [((broken, tmp_path / "out"), "Boxing.58860488.cdf: not a readable CDF file"),
                      ((tmp_path / "none", tmp_path / "out"), "none: no such folder"),
                      ((h36m, tmp_path / "out", "--size", 8), "--size must be at least 16 pixels, got 8"),
                      ((h36m, tmp_path / "out", "--every", 0), "--every must be at least 1, got 0")]:
        refused_without_output(tmp_path, "h36m", args, msg)


def refused_without_output(tmp_path, dataset, args, msg):
    "tvti-prepare DATASET ARGS ends in one line holding `msg`, and leaves no tmp_path/out nor a temporary folder."
    r = run(command("tvti-prepare"), dataset, *args, "--quiet")
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and err[0].startswith("tvti-prepare: error: ") and msg in err[0], \
        (args, r.stderr)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*")), list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def mpi(tmp_path_factory):
    return write_3dhp_layout(load_dataset(TINY), tmp_path_factory.mktemp("release") / "3DHP")


def test_3dhp_prepare_train_eval(tmp_path, mpi):
    out = tmp_path / "3dhp"
    r = run(command("tvti-prepare"), "3dhp", mpi, out, "--every", 1, "--size", 64, "--cameras", "0,1,2,4", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "25 videos, 799 frames of 64x64 (train 512, val 256, test 31)" in r.stdout, r.stdout
    assert train_and_eval(tmp_path, out)["test_frames"] == 31


def test_3dhp_bad_input_one_line_nothing_written(tmp_path, mpi):
    import shutil
    broken = tmp_path / "3DHP"
    shutil.copytree(mpi, broken)
    annot = broken / "TS1" / "annot_data.mat"
    annot.write_bytes(annot.read_bytes()[:1500])         # a truncated MATLAB v7.3 file
    for args, msg in [((broken, tmp_path / "out", "--cameras", "0,1,2,4"),
                       "annot_data.mat: not a readable MATLAB or HDF5 file"),
                      ((mpi, tmp_path / "out"), "video_5.avi: missing file"),
                      ((mpi, tmp_path / "out", "--cameras", "0,x"), "--cameras '0,x': expected comma-separated")]:
        refused_without_output(tmp_path, "3dhp", args, msg)


def test_ski_prepare_train_eval_and_bad_input(tmp_path):
    release = write_ski_layout(load_dataset(TINY), tmp_path / "Ski")
    out = tmp_path / "ski"
    r = run(command("tvti-prepare"), "ski", release, out, "--size", 64, "--val", "S3", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "32 videos, 1024 frames of 64x64 (train 512, val 256, test 256)" in r.stdout, r.stdout   # --every 1
    train_and_eval(tmp_path, out, "--every", 4)
    labels = release / "train" / "labels.h5"
    labels.write_bytes(labels.read_bytes()[:2000])                 # a truncated download
    refused_without_output(tmp_path, "ski", (release, tmp_path / "out"),
                           "labels.h5: not a readable MATLAB or HDF5 file")


def test_3dpw_prepare_train_eval_and_bad_input(tmp_path):
    src = load_dataset(TINY)
    two_views = type(src)(src.root, src.info, [s for s in src if s.view < 2])          # 16 videos of 32 frames
    portrait = type(src)(src.root, src.info, [s for s in two_views if s.name != "S5_walking.v1"])
    release = write_3dpw_layout(portrait, tmp_path / "3DPW", two_person=["S1_boxing.v1"],
                                invalid={"S9_walking.v0": [20], "S8_walking.v0": range(0, 32, 2)}, scale=(1.0, 1.5))
    write_3dpw_layout(type(src)(src.root, src.info, [two_views["S5_walking.v1"]]), release, scale=(1.5, 1.0))
    out = tmp_path / "3dpw"
    r = run(command("tvti-prepare"), "3dpw", release, out, "--size", 72, "--quiet")
    assert r.returncode == 0, r.stderr
    # 14 one-person videos with a valid run, one of them cut in two at its invalid frame: 15 sequences of 14 x 32 - 1
    assert "15 videos, 447 frames of longer side 72 (train 224, val 96, test 127)" in r.stdout, r.stdout
    assert "skipped 1 two-person video(s)" in r.stdout and "s1_boxing_01" in r.stdout, r.stdout
    assert "skipped 1 video(s) without 2 frames in a row" in r.stdout and "s8_walking_00" in r.stdout, r.stdout
    assert "2 frame sizes (72x48, 48x72, width x height)" in r.stderr, r.stderr         # S5_walking.v1 is landscape
    ds = load_dataset(out)
    assert ds.joints == "smpl24" and all(s.pose3d.shape[1:] == (24, 3) for s in ds)
    res = train_and_eval(tmp_path, out, "--every", 4)
    assert res["test_frames"] == sum(len(range(0, len(s), 4)) for s in ds.split("test"))
    # the README's way: features learned elsewhere (here on tiny's 17-joint Human3.6M layout), Φ fitted on 3DPW's 24
    r = run(command("tvti-train"), TINY, tmp_path / "elsewhere", "--steps", 2, "--quiet")
    assert r.returncode == 0, r.stderr
    r = run(command("tvti-eval"), tmp_path / "elsewhere", out, "--fractions", 1, "--steps", 5, "--quiet")
    assert r.returncode == 0 and "N-MPJPE" in r.stdout, r.stderr
    # ours-2d learns the 24 joints' 2D pose too, and its run is read back with a head of that size
    r = run(command("tvti-train"), out, tmp_path / "run2d", "--preset", "ours-2d", "--steps", 2, "--d-pos", 3,
            "--d-max", 20, "--quiet")
    assert r.returncode == 0, r.stderr
    import torch
    from tvti.pose import load_run
    obj = load_run(tmp_path / "run2d")
    assert obj.head2d(torch.zeros(1, obj.cfg.tv_dim)).shape == (1, 48)
    # a sequence file that would run a command when unpickled is refused before it runs, and nothing is written
    import os, pickle

    class Evil:
        def __reduce__(self): return (os.system, (f"touch {tmp_path / 'pwned'}",))
    evil = release / "sequenceFiles" / "test" / "s9_walking_01.pkl"
    evil.write_bytes(pickle.dumps({"sequence": "s9_walking_01", "jointPositions": [Evil()]}, protocol=2))
    refused_without_output(tmp_path, "3dpw", (release, tmp_path / "out"),
                           "s9_walking_01.pkl: refused: the pickle asks for posix.system")
    assert not (tmp_path / "pwned").exists()
    refused_without_output(tmp_path, "3dpw", (release, tmp_path / "out", "--val", "x"),
                           "--val: 3dpw keeps the release's own validation sequences")
