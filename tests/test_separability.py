"""Linear probes and k-means clustering indices."""

import numpy as np
import pytest

from sparsity_widgets.datasets import make_synthetic
from sparsity_widgets.separability import clustering_indices, linear_probe


def test_linear_probe_separates_linearly_separable_data():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
    y = np.repeat([0, 1], 200)
    result = linear_probe(X, y, random_state=0)
    assert result.test_accuracy > 0.97 and result.n_test == 120


def test_linear_probe_fails_on_circles():
    X, y = make_synthetic("circles", n_samples=2000, random_state=0)
    assert linear_probe(X, y).test_accuracy < 0.6


def test_clustering_indices_perfect_and_chance():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-5, 0.5, (100, 2)), rng.normal(5, 0.5, (100, 2))])
    y = np.repeat([0, 1], 100)
    good = clustering_indices(X, y)
    # perfectly separated clusters: every index is 1 up to round-off (default rel 1e-6)
    assert good.adjusted_rand == pytest.approx(1.0) and good.n_clusters == 2
    assert good.homogeneity == pytest.approx(1.0) and good.fowlkes_mallows == pytest.approx(1.0)
    bad = clustering_indices(X, rng.permutation(y))
    # the ARI of a random labelling has mean 0 and sd ~1/n = 0.005 for n = 200: 0.05 is 10 sd
    assert abs(bad.adjusted_rand) < 0.05 and set(bad.to_dict()) >= {"completeness"}


def test_bad_inputs():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="y must be a 1-D array of 10"):
        linear_probe(X, np.zeros(9))
    with pytest.raises(ValueError, match="at least two classes"):
        clustering_indices(X, np.zeros(10))
    with pytest.raises(ValueError, match="test_size"):
        linear_probe(X, np.arange(10) % 2, test_size=1.5)


def test_new_numerics_modules_stay_light():
    """sawtooth, dyadic and separability import neither torch, matplotlib nor ipywidgets."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "import sparsity_widgets.sawtooth, sparsity_widgets.dyadic, sparsity_widgets.separability\n"
        "print(json.dumps([m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []
