("Faults a user can meet (issue 14): each must stop with one clear message and lose nothing, and no input may "
 "run code.")
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
    for args in ([command("tvti-eval"), out, TINY, "--steps", "2", "--quiet"],
                 [command("tvti-train"), TINY, out, "--steps", "4", "--resume", "--quiet"]):
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
    # a tvti dataset folder that also holds a file of the user's: refused
    r = run(ingest, clip, ds, "--overwrite", "--quiet")
    assert r.returncode == 2 and "holds files tvti did not write (clip.mp4)" in r.stderr, r.stderr
    assert _snapshot(ds) == keep[ds]
    (ds / "clip.mp4").unlink()
    r = run(ingest, clip, ds, "--overwrite", "--quiet")   # a dataset folder from tvti and nothing else: replaced
    assert r.returncode == 0, r.stderr
    assert (ds / "dataset.json").exists() and (ds / "clip").is_dir()
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
    files = [ds / "dataset.json", *ds.glob("*/meta.json"), *ds.glob("*/*.npy"),
             out / "config.json", out / "log.csv", *out.glob("checkpoints/*.pt")]
    assert len(files) >= 6
    bad = {str(f): oct(f.stat().st_mode & 0o777) for f in files if f.stat().st_mode & 0o777 != 0o644}
    assert not bad, bad


def _quiet_train(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return train(*a, progress=False, **k)


def test_a_non_finite_validation_or_parameter_never_becomes_a_checkpoint(tmp_path):
    from unittest import mock
    from tvti.train import load_checkpoint, validate
    for how in ("nan validation", "weights of 1e30", "inf parameter"):
        calls = []
        def fake(obj, vb):
            calls.append(1)
            if len(calls) == 1: return validate(obj, vb)
            if how == "nan validation": return float("nan")
            with torch.no_grad():
                for p in obj.model.parameters(): p.fill_(1e30 if how == "weights of 1e30" else float("inf"))
            return validate(obj, vb) if how == "weights of 1e30" else 0.5
        out = tmp_path / how.replace(" ", "-")
        with mock.patch("tvti.train.validate", side_effect=fake):
            try: _quiet_train(TINY, out, steps=6, val_every=2); raised = None
            except Exception as e: raised = str(e)
        assert raised and ("validation loss is" in raised or "is not finite" in raised), (how, raised)
        for name in ("latest.pt", "best.pt"):
            st = load_checkpoint(out / "checkpoints" / name)
            assert st["step"] == 2, (how, name, st["step"])
            assert all(torch.isfinite(x).all() for x in st["objective"].values() if x.is_floating_point())


def test_a_run_stopped_before_its_first_checkpoint_starts_again(tmp_path):
    train_cmd = command("tvti-train")
    for resume in (False, True):
        out = tmp_path / f"run-{resume}"
        _quiet_train(TINY, out, steps=2, val_every=2)
        import shutil
        shutil.rmtree(out / "checkpoints")          # as if killed before the first checkpoint
        (out / "checkpoints").mkdir()
        stale = [out / ".log.csv.abc123.partial", out / "checkpoints" / ".latest.pt.new.xyz.partial"]
        for p in stale: p.write_bytes(b"half")
        r = run(train_cmd, TINY, out, "--steps", "2", *(["--resume"] if resume else []), "--quiet")
        assert r.returncode == 0, r.stderr
        assert "at step 2" in r.stdout and (out / "checkpoints" / "latest.pt").exists()
        assert not any(p.exists() for p in stale)


def test_resume_refuses_what_would_change_the_run(tmp_path):
    out, other = tmp_path / "run", tmp_path / "other"
    _quiet_train(TINY, out, steps=2, val_every=2)
    assert run(command("tvti-ingest"), _images(tmp_path / "imgs"), other, "--fps", "25", "--quiet").returncode == 0
    for args, msg in [([TINY, out, "--resume", "--lr", "0.01"], "--lr 0.01 (the run has 0.001)"),
                      ([TINY, out, "--resume", "--preset", "css"], "--preset css (the run has ours)"),
                      ([TINY, out, "--resume", "--batch", "8"], "--batch 8 (the run has 4)"),
                      ([TINY, out, "--resume", "--set", "tv_dim=64"], "--set tv_dim=64 (the run has 32)"),
                      ([other, out, "--resume"], "was trained on")]:
        r = run(command("tvti-train"), *args, "--steps", "4", "--quiet")
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert run(command("tvti-train"), TINY, out, "--resume", "--steps", "4", "--quiet").returncode == 0


def test_eval_refuses_a_checkpoint_of_another_model(tmp_path):
    import shutil
    _quiet_train(TINY, tmp_path / "ours", steps=2, val_every=2)
    _quiet_train(TINY, tmp_path / "dsl", preset="dsl", steps=2, val_every=2)
    shutil.rmtree(tmp_path / "ours" / "checkpoints")
    shutil.copytree(tmp_path / "dsl" / "checkpoints", tmp_path / "ours" / "checkpoints")
    r = run(command("tvti-eval"), tmp_path / "ours", TINY, "--steps", "2", "--quiet")
    assert (r.returncode == 2 and "inconsistent" in r.stderr and "'dsl'" in r.stderr
            and "Traceback" not in r.stderr), r.stderr
    unlabelled = tmp_path / "unlabelled"
    assert run(command("tvti-ingest"), _images(tmp_path / "imgs"), unlabelled, "--fps", "25", "--quiet").returncode == 0
    r = run(command("tvti-eval"), tmp_path / "dsl", unlabelled, "--steps", "2", "--quiet")
    assert r.returncode == 2 and "no 3D pose labels" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_an_older_run_resumed_by_newer_code_still_loads(tmp_path):
    ("A run saved before a configuration field existed, then resumed: its checkpoints record the field, "
     "its config.json does not.")
    import json
    from tvti.pose import load_run
    from tvti.core import TvtiError
    out = tmp_path / "run"
    _quiet_train(TINY, out, steps=2, val_every=2)
    cfg = json.loads((out / "config.json").read_text())
    del cfg["model"]["fg_tau"]                                 # a field older code did not write: its default
    # retired options, switched off, as older code wrote them
    cfg["model"] |= {"mask_noise": 0.0, "det_centre": "scaled"}
    (out / "config.json").write_text(json.dumps(cfg))
    _quiet_train(TINY, out, steps=4, val_every=2, resume=True)
    assert load_run(out).cfg.fg_tau == 0.1
    used = cfg | {"model": cfg["model"] | {"mask_noise": 0.5}}    # a retired option that was on: refused by name
    (out / "config.json").write_text(json.dumps(used))
    try: load_run(out)
    except TvtiError as e: assert "mask_noise=0.5, an option this version of tvti no longer has" in str(e), e
    else: raise AssertionError("a run that used a retired option was loaded")
    cfg["model"]["tv_dim"] = 64                                # a field both record, and they differ: refused
    (out / "config.json").write_text(json.dumps(cfg))
    try: load_run(out)
    except TvtiError as e: assert "inconsistent" in str(e) and "tv_dim: 32 against 64" in str(e), e
    else: raise AssertionError("a configuration that differs from its checkpoint's was loaded")


def test_out_of_range_options_are_one_line(tmp_path):
    imgs = _images(tmp_path / "imgs")
    cases = [("tvti-ingest", [imgs, tmp_path / "a", "--fps", "25", "--median-frames", "0"],
              "--median-frames must be at least 1"),
             ("tvti-ingest", [imgs, tmp_path / "a", "--fps", "0"], "--fps must be a positive"),
             ("tvti-ingest", [imgs, tmp_path / "a", "--fps", "nan"], "--fps must be a positive"),
             ("tvti-ingest", [imgs, tmp_path / "a", "--fps", "25", "--split", "dev"],
              "--split 'dev': expected train, val or test"),
             ("tvti-train", [TINY, tmp_path / "b", "--val-every", "0"], "--val-every must be at least 1"),
             ("tvti-train", [TINY, tmp_path / "b", "--seed", "-1"], "--seed must be at least 0"),
             ("tvti-train", [TINY, tmp_path / "b", "--steps", "0"], "--steps must be at least 1"),
             ("tvti-train", [TINY, tmp_path / "b", "--set", "tv_dim=abc"],
              "--set tv_dim='abc': expected a whole number"),
             ("tvti-train", [TINY, tmp_path / "b", "--set", f"perceptual_weights={tmp_path / 'none.pth'}"],
              f"{tmp_path / 'none.pth'}: no such file"),
             ("tvti-train", [TINY, tmp_path / "b", "--precision", "fp16"], "--precision 'fp16'"),
             ("tvti-eval", [tmp_path / "nope", TINY, "--steps", "0"], "--steps 0: expected at least 1"),
             ("tvti-synth", [tmp_path / "c", "--preset", "tiny", "--noise", "-1"],
              "--noise must be a finite number, 0 or more"),
             ("tvti-synth", [tmp_path / "c", "--preset", "tiny", "--seed", "-1"], "--seed must be a whole number"),
             ("tvti-synth", [tmp_path / "c", "--preset", "tiny", "--videos", "0"], "--videos must be at least 1")]
    bad = (tmp_path / "bad.pth"); bad.write_bytes(b"not a state dict")
    cases.append(("tvti-train", [TINY, tmp_path / "b", "--set", f"perceptual_weights={bad}"], str(bad)))
    for cmd, args, msg in cases:
        r = run(command(cmd), *args, "--quiet")
        assert (r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr
                and ".partial" not in r.stderr), (cmd, args, r.stderr)
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").rglob("*.pt"))


def test_os_errors_are_one_line(tmp_path):
    afile = tmp_path / "afile"; afile.write_text("a file, not a folder")
    for cmd, args, msg in [("tvti-train", [TINY, afile], f"{afile}: exists and is not a folder"),
                           ("tvti-train", [TINY, afile / "run"], "not a directory"),
                           ("tvti-synth", [afile / "data", "--preset", "tiny"], str(afile)),
                           ("tvti-ingest", [_images(tmp_path / "imgs"), afile / "data", "--fps", "25"], str(afile))]:
        r = run(command(cmd), *args, "--quiet")
        assert r.returncode == 2 and msg in r.stderr.lower() and "Traceback" not in r.stderr, (cmd, args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_full_disk_is_one_line_and_keeps_nothing_half_written(tmp_path):
    small = tmp_path / "small"; small.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(small)], capture_output=True)
    if mount.returncode != 0:
        import pytest
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        r = run(command("tvti-train"), TINY, small / "run", "--steps", "2", "--val-every", "1", "--quiet")
        assert (r.returncode == 2 and "no space left on device" in r.stderr.lower()
                and "Traceback" not in r.stderr), r.stderr
        assert not list(small.rglob("*.partial")) and not list(small.rglob("*.new"))
        # a dataset too big for the disk: the message names its file
        imgs = _images(small.parent / "imgs", n=120)
        r = run(command("tvti-ingest"), imgs, small / "ds", "--fps", "25", "--width", "256", "--quiet")
        assert (r.returncode == 2 and str(small) in r.stderr and ".npy" in r.stderr
                and "Traceback" not in r.stderr), r.stderr
        assert not (small / "ds").exists() and not list(small.glob(".*"))
    finally:
        subprocess.run(["umount", str(small)])


def test_a_read_only_output_folder_is_one_line(tmp_path):
    ro = tmp_path / "ro"; ro.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(ro)], capture_output=True)
    if mount.returncode != 0:
        import pytest
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    try:
        for cmd, args in [("tvti-ingest", [_images(tmp_path / "imgs"), ro / "data", "--fps", "25"]),
                          ("tvti-synth", [ro / "data", "--preset", "tiny"]),
                          ("tvti-train", [TINY, ro / "run", "--steps", "2"])]:
            r = run(command(cmd), *args, "--quiet")
            assert (r.returncode == 2 and "read-only file system" in r.stderr.lower()
                    and "Traceback" not in r.stderr), (cmd, r.stderr)
            assert len(r.stderr.strip().splitlines()) == 1 and ".partial" not in r.stderr, r.stderr
            assert str(ro) in r.stderr, r.stderr
    finally:
        subprocess.run(["umount", str(ro)])


# ---- issue 33: a run folder is one run ----------------------------------------------------------------------------

def _wait_for(path: Path, proc, seconds: float = 120):
    import time
    t0 = time.time()
    while not path.exists():
        assert proc.poll() is None, f"the first writer ended early: {proc.communicate()}"
        assert time.time() - t0 < seconds, f"{path} never appeared"
        time.sleep(0.05)


def test_a_second_training_into_a_busy_run_folder_is_refused_and_the_first_resumes_exactly(tmp_path):
    import csv, json
    out = tmp_path / "run"
    # long enough to outlive the three refused commands below (about 4 s each, the imports): 20 steps did not on a
    # 2-core AMD EPYC, where the first run finished before the last refusal
    first = subprocess.Popen(
        [command("tvti-train"), str(TINY), str(out), "--steps", "100", "--val-every", "50", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(out / ".tvti.lock", first)
    second = run(command("tvti-train"), TINY, out, "--steps", "20", "--preset", "dsl", "--quiet")
    assert (second.returncode == 2
            and f"{out}: in use by process {first.pid} (tvti-train" in second.stderr), second.stderr
    assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr, second.stderr
    for resume in ([], ["--resume"]):         # a resume of the live run is refused the same way
        r = run(command("tvti-train"), TINY, out, "--steps", "30", *resume, "--quiet")
        assert r.returncode == 2 and "in use by process" in r.stderr, r.stderr
    assert first.poll() is None                # the refusals above met a live run
    assert first.wait(600) == 0, first.communicate()
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["variant"]["name"] == "ours" and not (out / ".tvti.lock").exists()
    r = run(command("tvti-train"), TINY, out, "--steps", "110", "--val-every", "50", "--resume", "--quiet")
    assert r.returncode == 0 and "at step 110" in r.stdout, r.stderr
    with open(out / "log.csv") as f: steps = [int(x["step"]) for x in csv.DictReader(f)]
    assert steps == sorted(set(steps)) and steps[-1] == 110, steps        # one run's log, not two interleaved


def test_a_second_writer_of_a_dataset_folder_is_refused_and_the_first_keeps_its_temporary_folder(tmp_path):
    import sys
    out, imgs = tmp_path / "ds", _images(tmp_path / "imgs")
    holder = subprocess.Popen([sys.executable, "-c", f"""
import time, sys
from tvti.data import DatasetWriter
w = DatasetWriter({str(out)!r}); print(w.tmp, flush=True); time.sleep(60)
"""], stdout=subprocess.PIPE, text=True)
    tmp = Path(holder.stdout.readline().strip())
    try:
        r = run(command("tvti-ingest"), imgs, out, "--fps", "25", "--overwrite", "--quiet")
        assert (r.returncode == 2 and f"{out}: in use by process {holder.pid}" in r.stderr
                and "Traceback" not in r.stderr), r.stderr
        assert tmp.is_dir(), "the live writer's temporary folder was removed"
    finally:
        holder.kill(); holder.wait()
    r = run(command("tvti-ingest"), imgs, out, "--fps", "25", "--quiet")      # the holder was killed: no stale lock
    assert r.returncode == 0, r.stderr
    assert not tmp.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ds", "imgs"]


def test_only_tvti_files_are_replaced_at_any_depth(tmp_path):
    imgs, ds, runf = _images(tmp_path / "imgs"), tmp_path / "ds", tmp_path / "mine"
    assert run(command("tvti-ingest"), imgs, ds, "--fps", "25", "--quiet").returncode == 0
    seq = next(p for p in ds.iterdir() if p.is_dir())
    (seq / "notes.txt").write_text("the user's notes")
    r = run(command("tvti-ingest"), imgs, ds, "--fps", "25", "--overwrite", "--quiet")
    assert r.returncode == 2 and f"holds files tvti did not write ({seq.name}/notes.txt)" in r.stderr, r.stderr
    assert (seq / "notes.txt").read_text() == "the user's notes"
    runf.mkdir(); (runf / "log.csv").write_text("my own log"); (runf / "losses.png").write_bytes(b"my own figure")
    r = run(command("tvti-train"), TINY, runf, "--steps", "2", "--quiet")
    refused = "is not a tvti run folder (no config.json) and is not empty (log.csv, losses.png)"
    assert r.returncode == 2 and refused in r.stderr, r.stderr
    assert ((runf / "log.csv").read_text() == "my own log"
            and sorted(p.name for p in runf.iterdir()) == ["log.csv", "losses.png"])
    empty = tmp_path / "empty"; empty.mkdir()
    # an empty folder is fine
    assert run(command("tvti-train"), TINY, empty, "--steps", "2", "--val-every", "2", "--quiet").returncode == 0


def test_resume_refuses_another_dataset_another_variants_checkpoints_and_another_process_count(tmp_path):
    import json, shutil
    data, out = tmp_path / "data", tmp_path / "run"
    shutil.copytree(TINY, data)
    _quiet_train(data, out, steps=2, val_every=2)
    # the dataset replaced at the same path by another one: another seed, frame size and length
    shutil.rmtree(data)
    r = run(command("tvti-synth"), data, "--preset", "tiny", "--seed", "3", "--frames", "20", "--size", "48x48",
            "--quiet")
    assert r.returncode == 0, r.stderr
    r = run(command("tvti-train"), data, out, "--resume", "--steps", "4", "--quiet")
    assert (r.returncode == 2 and "is not the one this run was trained on" in r.stderr
            and "seed 3 (was 0)" in r.stderr), r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    shutil.rmtree(data); shutil.copytree(TINY, data)
    # checkpoints of another variant copied into the folder
    _quiet_train(data, tmp_path / "dsl", preset="dsl", steps=2, val_every=2)
    shutil.move(out / "checkpoints", tmp_path / "ours-checkpoints")
    shutil.copytree(tmp_path / "dsl" / "checkpoints", out / "checkpoints")
    r = run(command("tvti-train"), data, out, "--resume", "--steps", "4", "--quiet")
    assert (r.returncode == 2 and "inconsistent" in r.stderr and "'dsl'" in r.stderr
            and "Traceback" not in r.stderr), r.stderr
    shutil.rmtree(out / "checkpoints"); shutil.move(tmp_path / "ours-checkpoints", out / "checkpoints")
    # another number of processes: each draws --batch tuples, so the batch would change
    cfg = json.loads((out / "config.json").read_text()); cfg["world_size"] = 2
    (out / "config.json").write_text(json.dumps(cfg))
    r = run(command("tvti-train"), data, out, "--resume", "--steps", "4", "--quiet")
    assert (r.returncode == 2 and "trained by 2 process(es), and this is 1" in r.stderr
            and "--nproc_per_node 2" in r.stderr), r.stderr
    cfg["world_size"] = 1; (out / "config.json").write_text(json.dumps(cfg))
    r = run(command("tvti-train"), data, out, "--resume", "--steps", "4", "--quiet")
    assert r.returncode == 0 and "at step 4" in r.stdout, r.stderr


def test_values_that_mean_nothing_are_one_line_naming_the_option(tmp_path):
    out = tmp_path / "run"
    for args, msg in [(["--set", "tv_dim=0"], "--set tv_dim=0: expected a number > 0"),
                      (["--set", "tv_dim=-5"], "--set tv_dim=-5: expected a number > 0"),
                      (["--set", "det_backbone=bogus"], "--set det_backbone='bogus': expected one of small"),
                      (["--set", "scale_init=0.99"],
                       "--set scale_init=0.99: expected a value strictly inside scale_range"),
                      (["--set", "scale_range=[0.6,0.3]"], "--set scale_range=[0.6, 0.3]: expected [low, high]"),
                      (["--set", "alpha=NaN"], "--set alpha=nan: expected finite numbers"),
                      (["--set", "lam=Infinity"], "--set lam=inf: expected finite numbers"),
                      (["--lr", "inf"], "--lr must be a positive finite number, got inf"),
                      (["--lr", "nan"], "--lr must be a positive finite number, got nan"),
                      (["--precision", "fp32", "--bf16"], "--bf16 and --precision fp32 contradict each other")]:
        r = run(command("tvti-train"), TINY, out, "--steps", "2", *args, "--quiet")
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not out.exists(), f"{args} left {out}"


def test_foreign_files_are_named_in_one_line(tmp_path):
    out = tmp_path / "run"
    _quiet_train(TINY, out, steps=2, val_every=2)
    good = (out / "config.json").read_text()
    for text in ("{}", "[1, 2]"):
        (out / "config.json").write_text(text)
        for args in ([command("tvti-train"), TINY, out, "--resume", "--steps", "4"],
                     [command("tvti-eval"), out, TINY, "--steps", "2"]):
            r = run(*args, "--quiet")
            assert (r.returncode == 2 and "config.json: not a tvti-train config.json" in r.stderr
                    and "Traceback" not in r.stderr), (text, args, r.stderr)
    (out / "config.json").write_text(good)
    for name in ("latest.pt", "previous.pt", "best.pt"):            # another project's checkpoint: a plain state dict
        if (out / "checkpoints" / name).exists():
            torch.save({"conv.weight": torch.ones(2, 2)}, out / "checkpoints" / name)
    for args in ([command("tvti-train"), TINY, out, "--resume", "--steps", "4"],
                 [command("tvti-eval"), out, TINY, "--steps", "2"]):
        r = run(*args, "--quiet")
        assert (r.returncode == 2 and "not a tvti checkpoint (it holds keys conv.weight" in r.stderr
                and "Traceback" not in r.stderr), (args, r.stderr)
    bvh = tmp_path / "zero.bvh"
    bvh.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition Zposition\n"
                   " End Site\n {\n  OFFSET 0 1 0\n }\n}\n"
                   "MOTION\nFrames: 1\nFrame Time: 0\n0 0 0\n")
    r = run(command("tvti-synth"), tmp_path / "s", "--preset", "tiny", "--bvh", bvh, "--quiet")
    assert (r.returncode == 2 and "zero.bvh: not a readable BVH file (Frame Time 0 gives no frame rate" in r.stderr
            and "Traceback" not in r.stderr), r.stderr


def test_messages_name_what_happened(tmp_path):
    out = tmp_path / "run"
    _quiet_train(TINY, out, steps=4, val_every=2)
    raw = (out / "checkpoints" / "latest.pt").read_bytes()
    # a broken latest.pt: the fallback is said
    (out / "checkpoints" / "latest.pt").write_bytes(raw[: len(raw) // 2])
    r = run(command("tvti-train"), TINY, out, "--resume", "--steps", "6", "--val-every", "2", "--quiet")
    assert (r.returncode == 0 and "latest.pt: not a readable checkpoint" in r.stderr
            and "continuing from" in r.stderr and "previous.pt (step 2)" in r.stderr), r.stderr
    # --json to a path that cannot be written: the results are printed before the command fails
    bad = tmp_path / "afile"; bad.write_text("x")
    r = run(command("tvti-eval"), out, TINY, "--steps", "2", "--json", bad / "x.json", "--quiet")
    assert (r.returncode == 2 and "N-MPJPE" in r.stdout and str(bad) in r.stderr
            and "Traceback" not in r.stderr), (r.stdout, r.stderr)
    # a legal 245-character output name: the temporary names beside it stay within the file-name limit
    long = tmp_path / ("d" * 245)
    r = run(command("tvti-ingest"), _images(tmp_path / "imgs"), long, "--fps", "25", "--quiet")
    assert r.returncode == 0 and (long / "dataset.json").exists(), r.stderr


def test_ctrl_c_while_a_checkpoint_is_written_exits_130_and_keeps_the_checkpoints(tmp_path):
    import sys
    from tvti.train import load_checkpoint
    out = tmp_path / "run"
    script = f"""
import sys, torch, tvti.train as T
real, calls = torch.save, []
class Interrupting:                      # the user's Ctrl-C arrives in the middle of a checkpoint's bytes
    def __init__(self, f): self.f, self.n = f, 0
    def write(self, b):
        self.n += 1
        if self.n == 3: raise KeyboardInterrupt
        return self.f.write(b)
    def __getattr__(self, k): return getattr(self.f, k)
def save(obj, f, *a, **k):
    calls.append(1)
    return real(obj, Interrupting(f) if len(calls) == 3 else f, *a, **k)
torch.save = save
sys.argv = ["tvti-train", {str(TINY)!r}, {str(out)!r}, "--steps", "6", "--val-every", "2", "--quiet"]
T.tvti_train()
"""
    # run as a file: the command-line parser needs a __main__ module
    (tmp_path / "interrupt.py").write_text(script)
    r = run(sys.executable, tmp_path / "interrupt.py")
    assert r.returncode == 130 and "tvti-train: interrupted" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert load_checkpoint(out / "checkpoints" / "latest.pt")["step"] == 2
    assert not list(out.rglob("*.partial")) and not list(out.rglob("*.new"))


def test_under_torchrun_the_failing_process_speaks_last_and_the_others_stay_quiet(tmp_path):
    import sys
    mine = tmp_path / "mine"; mine.mkdir(); (mine / "notes.txt").write_text("the user's notes")
    torchrun = Path(sys.executable).parent / "torchrun"
    r = run(torchrun, "--nproc_per_node", "2", "--master_port", "29523",
            command("tvti-train"), TINY, mine, "--steps", "2", "--quiet", timeout=240)
    out = r.stdout + r.stderr
    line = f"tvti-train: error: {mine}: is not a tvti run folder"
    assert r.returncode != 0 and line in out, out[-3000:]
    # no echo of the abort from the other process
    assert "[rank1]" not in out and "[rank0]" not in out, out[-3000:]
    last = [l for l in out.splitlines() if l.strip() and not set(l.strip()) <= set("=-")][-1]
    assert line in last, last                                                  # torchrun's report ends with the cause
    assert ((mine / "notes.txt").read_text() == "the user's notes"
            and sorted(p.name for p in mine.iterdir()) == ["notes.txt"])


def test_the_other_commands_refuse_meaningless_values_and_a_busy_bench_folder(tmp_path):
    import sys
    out = tmp_path / "run"
    _quiet_train(TINY, out, steps=2, val_every=2)
    cases = [("tvti-bench", ["--out", tmp_path / "b", "--steps", "0"], "--steps must be at least 1, got 0"),
             ("tvti-bench", ["--out", tmp_path / "b", "--phi-steps", "0"], "--phi-steps must be at least 1"),
             ("tvti-bench", ["--out", tmp_path / "b", "--seeds", "-1"], "--seeds '-1': seeds are whole numbers >= 0"),
             ("tvti-bench", ["--out", tmp_path / "b", "--speed", "--paper-size", "0"],
              "--paper-size must be at least 32"),
             ("tvti-bench", ["--out", tmp_path / "b", "--speed", "--rounds", "0"],
              "--rounds must be at least 1, got 0"),
             ("tvti-bench", ["--out", tmp_path / "b", "--rounds", "3"], "--against and --rounds apply to --speed"),
             ("tvti-eval", [out, TINY, "--seed", "-3"], "--seed must be at least 0, got -3"),
             ("tvti-eval", [out, TINY, "--json", tmp_path], f"--json {tmp_path}: is a folder"),
             ("tvti-synth", [tmp_path / "s", "--preset", "tiny", "--bvh-splits", "bogus"],
              "--bvh-splits 'bogus': expected some of"),
             ("tvti-synth", [tmp_path / "s", "--preset", "tiny", "--bvh-splits", "test"], "give --bvh too")]
    for cmd, args, msg in cases:
        r = run(command(cmd), *args, "--quiet")
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (cmd, args, r.stderr)
        assert not (tmp_path / "b").exists() and not (tmp_path / "s").exists()
    bench = tmp_path / "bench"; bench.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", f"""
import time
from pathlib import Path
from tvti.core import FolderLock
FolderLock(Path({str(bench)!r}) / ".tvti.lock", {str(bench)!r}, remove=True).acquire()
print("held", flush=True)
time.sleep(60)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = run(command("tvti-bench"), "--out", bench, "--quick", "--quiet")
        assert r.returncode == 2 and f"{bench}: in use by process {holder.pid}" in r.stderr, r.stderr
    finally:
        holder.kill(); holder.wait()


def test_a_review_of_the_first_cut_found_these(tmp_path):
    ("Cases found by a review of the locks and identities: each ends in one line, loses nothing, "
     "or does the right thing.")
    import json, shutil
    ok = lambda r, msg: r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr
    out = tmp_path / "run"
    _quiet_train(TINY, out, steps=2, val_every=2)
    # a folder holding the user's own config.json and log.csv, or a file where tvti's lock goes: refused, untouched
    u = tmp_path / "u"; u.mkdir(); (u / "config.json").write_text('{"mine": 1}'); (u / "log.csv").write_text("mine")
    r = run(command("tvti-train"), TINY, u, "--steps", "2", "--quiet")
    assert ok(r, "not a tvti-train config.json"), r.stderr
    assert (u / "config.json").read_text() == '{"mine": 1}' and (u / "log.csv").read_text() == "mine"
    ul = tmp_path / "ul"; ul.mkdir(); (ul / ".tvti.lock").write_text("my notes")
    r = run(command("tvti-train"), TINY, ul, "--steps", "2", "--quiet")
    assert ok(r, "a file tvti did not write stands where its lock file goes"), r.stderr
    assert (ul / ".tvti.lock").read_text() == "my notes"
    # --json over a file that is not a tvti-eval result
    (tmp_path / "notes.json").write_text('{"my": "notes"}')
    r = run(command("tvti-eval"), out, TINY, "--steps", "2", "--json", tmp_path / "notes.json", "--quiet")
    assert ok(r, "exists and is not a tvti-eval result"), r.stderr
    assert (tmp_path / "notes.json").read_text() == '{"my": "notes"}'
    # an identical copy of the dataset at another path is the same data: resume goes on
    copy = tmp_path / "copy"; shutil.copytree(TINY, copy)
    r = run(command("tvti-train"), copy, out, "--resume", "--steps", "4", "--val-every", "2", "--quiet")
    assert r.returncode == 0 and "at step 4" in r.stdout, r.stderr
    # checkpoints of another run of the same variant (another seed and learning rate): refused
    _quiet_train(TINY, tmp_path / "other", steps=2, val_every=2, seed=5, lr=0.01)
    mine = tmp_path / "mine-ck"; shutil.move(out / "checkpoints", mine)
    shutil.copytree(tmp_path / "other" / "checkpoints", out / "checkpoints")
    r = run(command("tvti-train"), TINY, out, "--resume", "--steps", "6", "--quiet")
    assert ok(r, "was written by another run than") and "its train differs" in r.stderr, r.stderr
    shutil.rmtree(out / "checkpoints"); shutil.move(mine, out / "checkpoints")
    # damaged files of the right outline
    good = json.loads((out / "config.json").read_text())
    for change in ({"variant": {}}, {"model": {"tv_dim": "x"}}, {"dataset": "x"}, {"data": 5},
                   {"variant": {**good["variant"], "extra": 1}}):
        (out / "config.json").write_text(json.dumps({**good, **change}))
        for args in ([command("tvti-train"), TINY, out, "--resume", "--steps", "6"],
                     [command("tvti-eval"), out, TINY, "--steps", "2"]):
            r = run(*args, "--quiet")
            assert ok(r, "config.json: a tvti-train config.json that this tvti cannot read"), (change, r.stderr)
    (out / "config.json").write_text(json.dumps(good))
    ck = out / "checkpoints"
    saved = {n: (ck / n).read_bytes() for n in ("latest.pt", "previous.pt", "best.pt") if (ck / n).exists()}
    for name, content, msg in [("empty", b"", "not a readable checkpoint"),
                               ("a tensor", {"step": 2, "objective": torch.ones(2)}, "not a tvti checkpoint"),
                               ("no optimiser", {"step": 2, "objective": torch.load(ck / "latest.pt")["objective"]},
                                "without its optimiser state"),
                               ("foreign weights",
                                {"step": 2, "objective": {"conv.weight": torch.ones(2)}, "opt": {}, "rng": []},
                                "its weights do not fit the model")]:
        for n in saved:
            if isinstance(content, bytes): (ck / n).write_bytes(content)
            else: torch.save(content, ck / n)
        cmds = [[command("tvti-train"), TINY, out, "--resume", "--steps", "6"]]
        if name != "no optimiser": cmds.append([command("tvti-eval"), out, TINY, "--steps", "2"])
        for args in cmds:
            r = run(*args, "--quiet")
            assert ok(r, msg), (name, args[0], r.stderr)
    for n, b in saved.items(): (ck / n).write_bytes(b)
    # numbers out of reach
    r = run(command("tvti-train"), TINY, tmp_path / "big", "--seed", str(2**64), "--quiet")
    assert ok(r, "--seed must be below 2**32"), r.stderr
    r = run(command("tvti-synth"), tmp_path / "inf", "--preset", "tiny", "--noise", "inf", "--quiet")
    assert ok(r, "--noise must be a finite number"), r.stderr
    # a bench that fails on its options leaves no folder; one that runs reaches its tables (the plan itself mocked)
    r = run(command("tvti-bench"), "--out", tmp_path / "bo", "--precision", "bogus", "--quiet")
    assert ok(r, "--precision 'bogus'") and not (tmp_path / "bo").exists(), r.stderr
    from unittest import mock
    import tvti.bench as B
    fake = {"table": "TABLE", "ratios": {}, "controls": None, "seconds": 60}
    with (mock.patch.object(B, "run_bench", return_value=fake),
          mock.patch.object(B, "ratios_markdown", return_value="RATIOS")):
        B.tvti_bench(out=str(tmp_path / "bq"), quick=True, quiet=True)
    assert not (tmp_path / "bq" / ".tvti.lock").exists()
