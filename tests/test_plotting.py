"""Figure 4 drawn from an estimate: the right data on the right axes."""

import matplotlib

matplotlib.use("Agg")

import numpy as np

from sparsity_widgets import WaveletForest
from sparsity_widgets.datasets import make_synthetic
from sparsity_widgets.plotting import plot_tau_estimate


def test_figure_four_shows_curve_window_and_selection():
    X, y = make_synthetic("circles", n_samples=1000, random_state=0)
    est = WaveletForest(random_state=0).fit(X, y).estimate()
    fig = plot_tau_estimate(est, title="circles")
    ax_n, ax_a = fig.axes
    # the arrays handed to matplotlib, stored as given: equal in fact (seen). The default
    # rtol 1e-7 is a margin only; |angles| >= 0.45 here (no values near 0), and the wrong
    # curve or the taus misplaced by one grid step (0.01) would be far outside it
    np.testing.assert_allclose(ax_a.lines[0].get_ydata(), est.angles)
    selected = ax_a.collections[-1].get_offsets()
    np.testing.assert_allclose(selected[:, 0], est.selected_taus)
    assert f"tau* = {est.tau_star:.3f}" in fig._suptitle.get_text()
    low, high = est.window
    band = ax_a.patches[0]  # the window, drawn with axhspan
    # y and y + (high - low): equal or one rounding away (equal seen); isclose's defaults
    # (rtol 1e-5 of |y| ~ 1.2) are a margin, a wrong window edge is >= 0.1 away
    assert np.isclose(band.get_y(), low)
    assert np.isclose(band.get_y() + band.get_height(), high)
    # the N_tau panel frames the window's region, not the blow-up at tau -> 0
    _y_low, y_high = ax_n.get_ylim()
    assert y_high < est.log_sparsity[0]
