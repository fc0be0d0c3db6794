"""The Welch explorer: drive its controls without a browser, check numbers and artists."""

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("torch")
import matplotlib

matplotlib.use("Agg")

from sparsity_widgets.frames.coherence import welch_bound
from sparsity_widgets.widgets import WelchExplorer, compute_welch_state


def test_explorer_follows_its_sliders():
    ex = WelchExplorer(d=3, k=7)
    s = ex.state
    assert (s.n_rows, s.n_atoms) == (3, 7)
    assert s.welch == pytest.approx(welch_bound(3, 7))
    assert s.optimised_f2 == pytest.approx(s.welch, abs=1e-6)
    assert s.random_f2 > s.optimised_f2
    assert s.optimised_mu2 >= s.welch - 1e-9 and s.random_mu2 >= s.random_f2
    ex.controls["k"].value = 4
    assert ex.state.n_atoms == 4 and ex.state.welch == pytest.approx(welch_bound(3, 4))
    assert f"{ex.state.welch:.4f}" in ex.label.value
    ex.controls["structure"].value = "residual"
    ex.controls["depth"].value = 3
    assert ex.state.structure == "residual" and ex.state.widths == (3, 4, 4, 4)
    assert ex.state.n_rows == 3 + 4 + 4 + 4  # three chain rows plus one shortcut row
    # drawn artists: the Gram image and four bars and the Welch line
    ax_g, ax_b = ex.figure.axes[:2]
    assert ax_g.images[0].get_array().shape == (12, 12)
    assert len(ax_b.patches) == 4
    assert ax_b.lines[0].get_ydata()[0] == pytest.approx(ex.state.welch)
    assert [p.get_height() for p in ax_b.patches][3] == pytest.approx(ex.state.optimised_f2)


def test_explorer_caches_revisited_settings():
    ex = WelchExplorer(d=3, k=5, depth=2, structure="chain")
    first = ex.state
    ex.controls["k"].value = 6
    assert ex.state is not first and ex.state.widths == (3, 6, 6)
    ex.controls["k"].value = 5
    assert ex.state is first


def test_explorer_keeps_last_state_when_a_setting_cannot_be_built(monkeypatch):
    from sparsity_widgets.widgets import welch_explorer

    ex = WelchExplorer(d=3, k=4)
    before = ex.state

    def fail(*args):
        raise ValueError("widths must be positive integers")

    monkeypatch.setattr(welch_explorer, "_cached_state", fail)
    ex.controls["d"].value = 5
    assert ex.state is before
    assert "cannot build" in ex.label.value and "positive integers" in ex.label.value


def test_compute_state_rejects_unknown_structure():
    with pytest.raises(ValueError, match="structure must be one of"):
        compute_welch_state("conv", 3, 4)
    with pytest.raises(ValueError, match="depth must be an integer >= 1; got 0"):
        compute_welch_state("chain", 3, 4, depth=0)
