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


# CMU's joint names, each with its parent and its offset in mm (legs 880 mm, so the reader keeps the file's unit)
SKELETON = [("Hips", None, (0, 0, 0)), ("LeftUpLeg", "Hips", (90, 0, 0)), ("LeftLeg", "LeftUpLeg", (0, -440, 0)),
            ("LeftFoot", "LeftLeg", (0, -440, 0)), ("RightUpLeg", "Hips", (-90, 0, 0)),
            ("RightLeg", "RightUpLeg", (0, -440, 0)), ("RightFoot", "RightLeg", (0, -440, 0)),
            ("Spine", "Hips", (0, 100, 0)), ("Neck", "Spine", (0, 400, 0)), ("Head", "Neck", (0, 100, 0)),
            ("LeftArm", "Neck", (180, 0, 0)), ("LeftForeArm", "LeftArm", (290, 0, 0)),
            ("LeftHand", "LeftForeArm", (230, 0, 0)), ("RightArm", "Neck", (-180, 0, 0)),
            ("RightForeArm", "RightArm", (-290, 0, 0)), ("RightHand", "RightForeArm", (-230, 0, 0))]


def travelling_bvh(path, metres: float, seconds: float = 4.0, fps: int = 30):
    "A BVH take of a figure at rest that crosses `metres` along x in `seconds`: a take that travels."
    def block(name, depth=0):
        pad, (x, y, z) = " " * depth, next(o for n, _, o in SKELETON if n == name)
        kids = [n for n, par, _ in SKELETON if par == name]
        channels = "6 Xposition Yposition Zposition" if depth == 0 else "3"
        lines = [f"{pad}{'ROOT' if depth == 0 else 'JOINT'} {name}", pad + "{", f"{pad} OFFSET {x} {y} {z}",
                 f"{pad} CHANNELS {channels} Zrotation Xrotation Yrotation"]
        lines += [l for k in kids for l in block(k, depth + 1)] or [f"{pad} End Site", pad + " {",
                                                                     f"{pad}  OFFSET 0 50 0", pad + " }"]
        return lines + [pad + "}"]
    n = int(seconds * fps)
    values = 6 + 3 * (len(SKELETON) - 1)
    motion = [" ".join([f"{metres * 1000 * t / (n - 1):.2f}", "950"] + ["0"] * (values - 2)) for t in range(n)]
    Path(path).write_text("\n".join(["HIERARCHY", *block("Hips"), "MOTION", f"Frames: {n}",
                                     f"Frame Time: {1 / fps:.6f}", *motion]) + "\n")
    return path


TRAVEL_ARGS = ["--preset", "tiny", "--frames", "4", "--actions", "waving", "--views", "2", "--quiet"]


def test_a_travelling_take_is_filmed_in_windows(tmp_path):
    take = travelling_bvh(tmp_path / "cross.bvh", metres=5.0)
    out = tmp_path / "windows"
    r = run(command("tvti-synth"), out, *TRAVEL_ARGS, "--bvh", take, "--bvh-travel", "windows")
    assert r.returncode == 0, r.stderr
    ds = load_dataset(out)
    assert ds.info["bvh_travel"] == "windows"
    for subject in ("S1", "S5"):                                     # the tiny preset's training subjects
        spans = ds.info["bvh_windows"][f"{subject}_mocap-cross"]
        assert len(spans) >= 3, spans                                 # 5 m do not fit in one view of the room
        assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        assert all(b - a >= 4 for a, b in spans) and 100 - spans[-1][1] < 4      # 4 s at 25 fps: 100 frames
        seqs = sorted((s for s in ds if s.subject == subject and s.action == "mocap-cross"), key=lambda s: s.name)
        assert [s.name for s in seqs] == sorted(f"{subject}_mocap-cross-w{k + 1}.v{v}"
                                                for k in range(len(spans)) for v in range(2))
        for s in seqs:
            a, b = spans[int(s.name.split("-w")[1].split(".")[0]) - 1]
            assert s.split == "train" and len(s) == b - a and s.frames.shape == (b - a, 64, 64, 3)
            m = np.asarray(s.mask)
            assert m.any(axis=(1, 2)).all()                           # the body is in every frame ...
            assert not (m[:, 0].any() or m[:, -1].any() or m[:, :, 0].any() or m[:, :, -1].any())  # ... and whole
            # the window is centred in the room: its mean pelvis, back in world coordinates, is over the centre
            R, t = np.array(s.meta["camera"]["R"]), np.array(s.meta["camera"]["t"])
            pelvis = (s.pose3d[:, 0].astype(float) - t) @ R
            assert np.abs(pelvis[:, [0, 2]].mean(0)).max() < 1.0
            # and it glides at the take's speed: 5 m in 119 frames at 30 fps, seen 25 times a second
            assert np.allclose(np.diff(pelvis[:, 0]), 5000 / 119 * 30 / 25, atol=1.0)


def test_a_travelling_take_is_refused_by_default(tmp_path):
    take = travelling_bvh(tmp_path / "cross.bvh", metres=9.0)              # 4.5 m out to either side
    out = tmp_path / "refused"
    r = run(command("tvti-synth"), out, *TRAVEL_ARGS, "--bvh", take)
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("tvti-synth: error: ") and "Traceback" not in r.stderr
    assert "cross.bvh: S1_mocap-cross.v0: subject S1 left the frame of camera 0 at frame" in last
    assert "--bvh-travel windows" in last
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["cross.bvh"]     # nothing written
    # a take shorter than a window (3 frames at 30 fps, 2 at 25) is refused too, rather than filmed as nothing
    blink = travelling_bvh(tmp_path / "blink.bvh", metres=0.0, seconds=0.1)
    r = run(command("tvti-synth"), out, *TRAVEL_ARGS, "--bvh", blink, "--bvh-travel", "windows")
    assert r.returncode == 2 and "blink.bvh: the take has 2 frames at 25 fps, fewer than a window's 4" in r.stderr, \
        r.stderr
    assert not out.exists()
    # a take that stays in view is filmed as before, whole, in one sequence per camera
    still = travelling_bvh(tmp_path / "still.bvh", metres=0.0)
    r = run(command("tvti-synth"), tmp_path / "still", *TRAVEL_ARGS, "--bvh", still)
    assert r.returncode == 0, r.stderr
    ds = load_dataset(tmp_path / "still")
    assert sorted(s.name for s in ds if s.action == "mocap-still") == [f"{n}_mocap-still.v{v}" for n in ("S1", "S5")
                                                                       for v in range(2)]
    assert "bvh_travel" not in ds.info and all(len(s) == 100 for s in ds if s.action == "mocap-still")
