import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def command(name: str) -> str:
    "The path of one of tvti's console scripts in the running environment."
    p = BIN / name
    if not p.exists(): pytest.fail(f"{name} is not installed in {BIN}: install the package (pip install -e .)")
    return str(p)


@pytest.fixture
def shared_data():
    from tvti.core import shared_data_dir
    d = shared_data_dir()
    if d is None: pytest.skip("../shared/data is absent (a fresh clone has none)")
    return d


@pytest.fixture(autouse=True, scope="session")
def scratch_tempdir(tmp_path_factory):
    """Point `tempfile` (and child processes, through TMPDIR) at one folder that is removed when the session ends.

    The notebooks run in this process and make their demonstration folders with `tempfile.mkdtemp`; without this
    every run of the suite left about 1.6 GB of them in /tmp, and a full disk fails CI."""
    import shutil, tempfile
    tmp_path_factory.getbasetemp()   # pytest's own folders stay where they are, kept for failed tests
    old_env, old_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    d = tempfile.mkdtemp(prefix="tvti-tests-")
    os.environ["TMPDIR"], tempfile.tempdir = d, d
    try: yield Path(d)
    finally:
        tempfile.tempdir = old_dir
        if old_env is None: os.environ.pop("TMPDIR", None)
        else: os.environ["TMPDIR"] = old_env
        shutil.rmtree(d, ignore_errors=True)
