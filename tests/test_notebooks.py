"""Run every notebook in nbs/ as one pytest test, so CI counts them.

Cells flagged with a test flag from pyproject.toml (`slow`, `cuda`) are skipped, as `nbdev-test` does;
set TVTI_NB_FLAGS="slow" (or "slow cuda") to run them too."""
import os
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))


def test_notebooks_found():
    assert len(NOTEBOOKS) >= 5, f"expected the project's notebooks in {ROOT / 'nbs'}, found {len(NOTEBOOKS)}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    cfg = get_config(ROOT)
    skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)
    force = os.environ.get("TVTI_NB_FLAGS", "").split()
    ok, seconds = run_notebook(nb, skip_flags=skip, force_flags=force, basepath=str(ROOT), showerr=True)
    assert ok, f"{nb.name} failed after {seconds:.1f} s; the failing cell's traceback is printed above"
