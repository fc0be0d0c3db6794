"""Every notebook runs top to bottom in its quick setting (tier 2 of the test plan)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_setting(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    settings = [c for c in nb.cells if c.cell_type == "code" and "SETTING =" in c.source]
    assert settings, f"{path.name} has no SETTING cell"
    assert '"quick"' in settings[0].source.split("#")[0], "notebooks are committed in quick setting"
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
