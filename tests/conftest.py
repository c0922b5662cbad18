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
