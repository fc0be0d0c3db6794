"""Minimum deep frame potential: Welch bound, chain bound, determinism, residual vs chain."""

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from sparsity_widgets.cli import main
from sparsity_widgets.frames.bounds import chain_bound_given_norms, chain_lower_bound
from sparsity_widgets.frames.coherence import welch_bound
from sparsity_widgets.frames.induced import (
    deep_frame_potential,
    make_architecture,
    random_weights,
)
from sparsity_widgets.frames.minimize import minimize_frame_potential


@pytest.mark.parametrize(("d", "k"), [(2, 3), (3, 7), (4, 9), (5, 5)])
def test_unstructured_minimum_reaches_welch(d, k):
    result = minimize_frame_potential(make_architecture("chain", (d, k)), random_state=0)
    assert result.converged
    # L-BFGS stops once a step changes F^2 by < tol = 1e-12 (gradient 1e-14): 1e-8 above the
    # minimum leaves room for a slow tail; below it only F^2's rounding, <= 1.3e-14 here (the
    # bound 4 (n + m) eps ||G||_F^2 / N(G) of test_blockwise_potential_equals_dense)
    assert result.value == pytest.approx(welch_bound(d, k), abs=1e-8)
    assert result.value >= welch_bound(d, k) - 1e-12
    assert result.initial_value > result.value


def test_single_layer_chain_bound_is_welch():  # two closed forms: default rel 1e-6 is ample
    assert chain_lower_bound((4, 9)).frame_potential == pytest.approx(welch_bound(4, 9))


def test_minimisation_is_deterministic_for_a_seed():
    arch = make_architecture("residual", (3, 5, 5, 5))
    a = minimize_frame_potential(arch, random_state=4, max_iter=100)
    b = minimize_frame_potential(arch, random_state=4, max_iter=100)
    assert a.value == b.value
    np.testing.assert_array_equal(a.history, b.history)
    for wa, wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
    # a.value comes from the torch code, the check from the NumPy one: they round differently,
    # within the absolute bound of test_blockwise_potential_equals_dense (F^2 may cancel)
    value, numerator, n_nonzero = deep_frame_potential(arch, a.weights, return_parts=True)
    size = arch.n_atoms + arch.n_rows
    atol = 4 * size * np.finfo(float).eps * (numerator + arch.n_atoms) / n_nonzero
    assert value == pytest.approx(a.value, rel=0, abs=atol)


@pytest.mark.parametrize("widths", [(3, 6, 6), (4, 8, 8, 8), (2, 5, 3, 6), (8, 16, 16)])
def test_chain_bound_holds_below_minimised_chains(widths):
    bound = chain_lower_bound(widths)
    result = minimize_frame_potential(make_architecture("chain", widths), n_restarts=2)
    assert bound.frame_potential > 0.0  # overcomplete: the bound says something
    # a true bound, up to F^2's rounding (< 1e-13 here, see test_unstructured_minimum...)
    assert result.value >= bound.frame_potential - 1e-12


def test_chain_bound_holds_for_random_weights_at_every_scale():
    widths = (3, 5, 4, 6)
    arch = make_architecture("chain", widths)
    rng = np.random.default_rng(0)
    floor = chain_lower_bound(widths)
    for seed in range(100):
        weights = [w * np.exp(2 * rng.standard_normal()) for w in random_weights(arch, seed)]
        value, numerator, _ = deep_frame_potential(arch, weights, return_parts=True)
        norms = [np.linalg.norm(w, axis=0) for w in weights[:-1]]
        # true bounds up to rounding: ||G||_F^2 <= 15^2 rounds to within 4 (n + m) eps
        # ||G||_F^2 = 5.4e-12, F^2 to that over N(G) = 150 (at any scale: normalised atoms)
        assert numerator + arch.n_atoms >= chain_bound_given_norms(widths, norms) - 1e-9
        assert value >= floor.frame_potential - 1e-12


def test_residual_reaches_lower_minimum_than_chain_when_overcomplete():
    """The paper's claim, in the overcomplete regime (widths above the input dimension)."""
    widths = (4, 8, 8, 8)
    chain = minimize_frame_potential(make_architecture("chain", widths), n_restarts=3)
    residual = minimize_frame_potential(make_architecture("residual", widths), n_restarts=3)
    assert make_architecture("residual", widths).n_parameters == 4 * 8 + 2 * 64
    assert residual.value < 0.75 * chain.value


def test_residual_with_two_shortcuts_beats_chain_and_its_bound():
    """Depth 5 (shortcuts 1->3 and 3->5): the minimum drops far below the chain's, and below
    the chain bound, which does not apply to residual networks."""
    widths = (8, 10, 10, 10, 10, 10)
    chain = minimize_frame_potential(make_architecture("chain", widths), n_restarts=2)
    residual = minimize_frame_potential(make_architecture("residual", widths), n_restarts=2)
    assert chain.value >= chain_lower_bound(widths).frame_potential
    assert residual.value < 0.5 * chain.value


def test_square_chains_reach_zero():
    """With every width equal to the input dimension the chain dictionary is square, so its
    infimum is 0 and no architecture can beat it: the comparison says nothing there."""
    result = minimize_frame_potential(make_architecture("chain", (6, 6, 6, 6)))
    assert result.value < 1e-8


def test_bad_minimisation_arguments():
    arch = make_architecture("chain", (2, 3))
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1; got 0"):
        minimize_frame_potential(arch, max_iter=0)
    with pytest.raises(ValueError, match="n_restarts must be an integer >= 1"):
        minimize_frame_potential(arch, n_restarts=0)
    with pytest.raises(ValueError, match="device must be"):
        minimize_frame_potential(arch, device="tpu")
    with pytest.raises(ValueError, match="architecture must be an Architecture"):
        minimize_frame_potential((2, 3))


def test_cli_json(capsys):
    assert main(["frame-potential", "--arch", "chain", "--widths", "3,6,6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_parameters"] == 3 * 6 + 36
    assert out["lower_bound"] == pytest.approx(chain_lower_bound((3, 6, 6)).frame_potential)
    assert out["min_frame_potential"] >= out["lower_bound"]
    assert out["widths"] == [3, 6, 6]


def test_cli_text_and_no_bound_for_residual(capsys):
    assert main(["frame-potential", "--arch", "residual", "--widths", "3,4,4,4"]) == 0
    text = capsys.readouterr().out
    assert "min deep frame potential" in text and "n/a" in text
    assert main(["frame-potential", "--arch", "dense", "--widths", "3,4,4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lower_bound"] is None


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--widths", "64,0,3"], r"widths\[1\] = 0"),
        (["--widths", "64,-3"], r"widths\[1\] = -3"),
        (["--widths", ""], "at least one layer width"),
        (["--widths", "4,a"], "comma-separated positive integers"),
        (["--arch", "vgg", "--widths", "4,4"], "arch must be one of"),
        (["--arch", "residual", "--widths", "4,3,5,4"], "needs equal widths"),
        (["--widths", "4,4", "--restarts", "0"], "n_restarts must be"),
    ],
)
def test_cli_errors(capsys, argv, match):
    assert main(["frame-potential", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparsity-widgets frame-potential: error: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    import re

    assert re.search(match, err)
