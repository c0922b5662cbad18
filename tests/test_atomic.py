"""A writer killed with SIGKILL mid-write never leaves a folder that reads as a valid dataset."""
import signal, subprocess, sys, time, textwrap
import pytest
from conftest import command
from tvti.core import TvtiError
from tvti.data import load_dataset

WRITER = textwrap.dedent("""
    import sys, time, numpy as np
    from tvti.data import DatasetWriter, make_meta
    out, tag = sys.argv[1], int(sys.argv[2])
    with DatasetWriter(out, overwrite=True) as w:
        sw = w.sequence("seq", subject="s", action="a")
        with sw.stream("frames", (32, 32, 3), np.uint8) as ap:
            for t in range(10_000):
                ap.append(np.full((32, 32, 3), tag, np.uint8))
                if t == 5: print("writing", flush=True)
                time.sleep(0.01)
        sw.save("background", np.zeros((32, 32, 3), np.uint8))
        sw.save_meta(make_meta(25, 32, 32))
""")


def start_writer(out, tag):
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(out), str(tag)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    return p


def kill(p):
    p.send_signal(signal.SIGKILL); p.wait(10)
    assert p.returncode == -signal.SIGKILL


def partials(folder): return [q for q in folder.iterdir() if ".partial-" in q.name]


def test_sigkill_during_a_new_write(tmp_path):
    out = tmp_path / "data"
    kill(start_writer(out, 1))
    assert not out.exists()
    with pytest.raises(TvtiError, match="no such dataset folder"): load_dataset(out)
    left = partials(tmp_path)
    assert len(left) == 1                     # the temporary folder of the killed writer ...
    with pytest.raises(TvtiError, match="dataset.json"): load_dataset(left[0])   # ... does not read as a dataset


def test_sigkill_while_replacing_keeps_the_old_dataset(tmp_path):
    from tvti.data import DatasetWriter, make_meta
    import numpy as np
    out = tmp_path / "data"
    with DatasetWriter(out) as w:
        w.add_sequence("seq", np.full((3, 32, 32, 3), 7, np.uint8), np.zeros((32, 32, 3), np.uint8),
                       make_meta(25, 32, 32))
    kill(start_writer(out, 9))
    s = load_dataset(out)[0]
    assert len(s) == 3 and int(s.frames[0, 0, 0, 0]) == 7


def test_sigkill_of_tvti_ingest(tmp_path, shared_data):
    out = tmp_path / "demo"
    p = subprocess.Popen([command("tvti-ingest"), str(shared_data / "video" / "demo.mp4"), str(out), "--quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:                 # wait until frames are being written
        fs = [q / "demo" / "frames.npy" for q in partials(tmp_path)]
        if fs and fs[0].exists() and fs[0].stat().st_size > 50e6: break
        time.sleep(0.05)
    else: pytest.fail("tvti-ingest did not start writing within 60 s")
    kill(p)
    assert not out.exists()
    with pytest.raises(TvtiError): load_dataset(out)
