"""The Welch explorer: drive its controls without a browser, check numbers and artists."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("torch")
import matplotlib

matplotlib.use("Agg")

from sparsity_widgets.frames.coherence import welch_bound
from sparsity_widgets.widgets import WelchExplorer, compute_welch_state


def test_explorer_follows_its_sliders():
    ex = WelchExplorer(d=3, k=7, background=False)
    s = ex.state
    assert (s.n_rows, s.n_atoms) == (3, 7)
    # the same closed form: equal in fact; the default rel 1e-6 is ample, as the bound of a
    # wrong size is >= 5% away (welch(3, 6) = 0.2 against welch(3, 7) = 0.222)
    assert s.welch == pytest.approx(welch_bound(3, 7))
    # F^2 >= Welch, with equality at the unit-norm tight frames, which exist for (3, 7): not a
    # rounding tolerance but the minimisation's convergence. L-BFGS (float64, tol 1e-12 on
    # the potential's change) reaches 4e-15 in 100 iterations and 3e-12 in 10; the random
    # dictionary is 0.078 above, so 1e-6 still tells a stalled minimisation
    assert s.optimised_f2 == pytest.approx(s.welch, abs=1e-6)
    assert s.random_f2 > s.optimised_f2
    # mu^2 >= F^2 >= Welch exactly; mu^2 squares a 3-term inner product of unit columns and
    # Welch is a closed form, each exact to ~10 eps, so 1e-9 only absorbs rounding
    # (mu^2 - Welch = 0.56 here)
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
    # the floats handed to matplotlib, stored as given: equal in fact, the defaults a margin
    # (Welch is 0 here, 15 rows for 12 atoms, where approx's abs 1e-12 applies); the other
    # bars are >= 0.05 away (0.155, 0.061, 0.283 against F^2 = 0.0125)
    assert ax_b.lines[0].get_ydata()[0] == pytest.approx(ex.state.welch)
    assert [p.get_height() for p in ax_b.patches][3] == pytest.approx(ex.state.optimised_f2)


def test_explorer_caches_revisited_settings():
    ex = WelchExplorer(d=3, k=5, depth=2, structure="chain", background=False)
    first = ex.state
    ex.controls["k"].value = 6
    assert ex.state is not first and ex.state.widths == (3, 6, 6)
    ex.controls["k"].value = 5
    assert ex.state is first


def test_explorer_keeps_last_state_when_a_setting_cannot_be_built(monkeypatch):
    from sparsity_widgets.widgets import welch_explorer

    ex = WelchExplorer(d=3, k=4, background=False)
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


def test_a_move_shows_the_random_dictionary_at_once_and_the_optimum_when_ready(monkeypatch):
    import threading

    from sparsity_widgets.widgets import welch_explorer

    welch_explorer._cache.clear()  # the cache is per process: start from nothing visited
    ex = WelchExplorer(d=3, k=5, depth=2, structure="chain")
    assert ex.state.optimised  # the starting setting is optimised before the constructor returns
    gate = threading.Event()
    real = welch_explorer.compute_welch_state

    def slow(*args, **kwargs):  # hold the minimisation until the quick answer was checked
        gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(welch_explorer, "compute_welch_state", slow)
    full_draws, blits = ex.view.n_full_draws, ex.view.n_blits
    ex.controls["k"].value = 6
    quick = ex.state
    assert not quick.optimised and quick.widths == (3, 6, 6)
    assert np.isnan(quick.optimised_f2) and quick.random_f2 > 0
    assert "optimising..." in ex.label.value
    # fixed axes: a move redraws only the changing artists over the saved background
    assert (ex.view.n_full_draws, ex.view.n_blits) == (full_draws, blits + 1)
    assert ex.figure.axes[1].patches[3].get_height() == 0.0  # no optimised bar yet
    gate.set()
    final = ex.wait()
    assert final.optimised and final.widths == (3, 6, 6)
    assert final.optimised_f2 < final.random_f2
    assert f"optimised {final.optimised_f2:.4f}" in ex.label.value
    # the float handed to matplotlib (equal in fact); the random bar it replaces is higher
    assert ex.figure.axes[1].patches[3].get_height() == pytest.approx(final.optimised_f2)
    # the random dictionary shown first is the one the optimised state starts from
    assert final.random_f2 == quick.random_f2


def test_a_result_for_a_setting_the_user_left_is_cached_not_shown(monkeypatch):
    import threading

    from sparsity_widgets.widgets import welch_explorer

    welch_explorer._cache.clear()
    ex = WelchExplorer(d=2, k=5, depth=2, structure="dense")
    gate = threading.Event()
    real = welch_explorer.compute_welch_state

    def slow(*args, **kwargs):
        gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(welch_explorer, "compute_welch_state", slow)
    ex.controls["k"].value = 7  # starts a minimisation for (dense, 2, 7, 2)
    monkeypatch.setattr(welch_explorer, "compute_welch_state", real)
    ex.controls["k"].value = 5  # back to the cached start: shown at once, optimised
    assert ex.state.optimised and ex.state.widths == (2, 5, 5)
    gate.set()
    ex.wait()
    assert ex.state.widths == (2, 5, 5)  # the late result did not replace the picture
    assert welch_explorer._peek_state(("dense", 2, 7, 2)) is not None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"d": 0}, r"d must be an integer in \[1, 24\]; got 0"),
        ({"d": 25}, r"d must be an integer in \[1, 24\]; got 25"),
        ({"k": 1}, r"k must be an integer in \[2, 24\]; got 1"),
        ({"depth": 6}, r"depth must be an integer in \[1, 5\]; got 6"),
        ({"d": 2.0}, "d must be an integer; got 2.0 of type float"),
        ({"max_size": 1}, "max_size must be an integer >= 2; got 1"),
        ({"structure": "chian"}, "structure must be one of .*; got 'chian'. Did you mean 'chain'"),
    ],
)
def test_explorer_refuses_starting_values_its_sliders_would_clamp(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WelchExplorer(background=False, **kwargs)
