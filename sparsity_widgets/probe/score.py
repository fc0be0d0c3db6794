"""Score layers: features -> (width reduction) -> WaveletForest -> tau*, alpha* and extras.

This module knows nothing about torch: it scores feature matrices. :mod:`.run` feeds it the
features of a model's layers.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_real
from ..forest import BUILDERS, NORM_WEIGHTS, WaveletForest
from ..tau_star import RULES
from .baseline import BASELINES, DEFAULT_REPEATS, controlled_alpha
from .reduce import REDUCTIONS, reduce_width
from .result import LayerScore

__all__ = ["ProbeSettings", "layer_umap", "score_layer"]


@dataclass(frozen=True)
class ProbeSettings:
    """How every layer is scored; recorded in each result.

    Attributes
    ----------
    n_trees, max_depth : int
        The forest (the paper: 3 trees of depth 15).
    max_features : int, float, str or None
        Features per split (None: all, as in the paper).
    norm_weight : {"samples", "volume"}
    rule : {"paper", "public-code"}
    eps_low, eps_high : float or None
        The window; None takes the rule's defaults.
    max_width : int
        Wider layers are reduced to this width with ``reduction``.
    reduction : {"sparse", "gaussian", "svd", "pca-gram", "none"}
        See :data:`~sparsity_widgets.probe.reduce.REDUCTIONS` (sparse random projection by
        default, chosen by the width-reduction study).
    clustering : bool
        Also compute k-means clustering indices (k = number of classes).
    linear_probe : bool
        Also fit a logistic-regression probe (held-out accuracy).
    umap_samples : int
        Points in each layer's UMAP picture; 0 for none.
    random_state : int
        Seed of the forest, the reduction, k-means, the probe and UMAP.
    n_jobs : int or None
        Threads for growing the trees (see :class:`~sparsity_widgets.WaveletForest`).
    builder : {"numba", "sklearn"}
        Who grows the trees: the exact numba builder (default) or scikit-learn. Results
        written before this field existed were grown by scikit-learn and read back as such.
    baseline : {None, "rotation", "permuted-labels", "rotation-permuted"}
        Also score every layer with a control for its basis and/or level (see
        :mod:`~sparsity_widgets.probe.baseline`), in the same pass, on the width-reduced
        features; stored in each layer's ``baseline``. None (default): alpha* only, and
        :meth:`to_dict` is what it was before these fields existed.
    baseline_repeats : int
        Rotations / permutations per layer (>= 1; default 5). Costs ``baseline_repeats``
        forests per layer (twice that for ``"rotation-permuted"``).
    baseline_width : int or None
        Width the rotating kinds score every layer at: narrower layers are embedded
        isometrically, wider ones projected orthogonally onto a random subspace. One width for
        all layers (at least the widest scored layer, so that none loses information) makes
        the score independent of the layers' widths; None (default) rotates each layer at its
        own scored width, which leaves a width effect (see the module's notes).
    """

    n_trees: int = 3
    max_depth: int = 15
    max_features: int | float | str | None = None
    norm_weight: str = "samples"
    rule: str = "paper"
    eps_low: float | None = None
    eps_high: float | None = None
    max_width: int = 2500
    reduction: str = "sparse"
    clustering: bool = False
    linear_probe: bool = False
    umap_samples: int = 0
    random_state: int = 0
    n_jobs: int | None = None
    builder: str = "numba"
    baseline: str | None = None
    baseline_repeats: int = DEFAULT_REPEATS
    baseline_width: int | None = None

    def __post_init__(self) -> None:
        check_int("n_trees", self.n_trees, minimum=1)
        check_int("max_depth", self.max_depth, minimum=1)
        check_choice("norm_weight", self.norm_weight, NORM_WEIGHTS)
        check_choice("rule", self.rule, RULES)
        check_choice("reduction", self.reduction, REDUCTIONS)
        check_choice("builder", self.builder, BUILDERS)
        check_int("max_width", self.max_width, minimum=2)
        check_int("umap_samples", self.umap_samples, minimum=0)
        check_int("random_state", self.random_state, minimum=0)
        for name in ("eps_low", "eps_high"):
            value = getattr(self, name)
            if value is not None:
                check_real(name, value, low=0.0)
        check_int("baseline_repeats", self.baseline_repeats, minimum=1)
        if self.baseline_width is not None:
            check_int("baseline_width", self.baseline_width, minimum=1)
        if self.baseline is None:
            if self.baseline_repeats != DEFAULT_REPEATS or self.baseline_width is not None:
                raise ValueError(
                    "baseline_repeats and baseline_width are used only with a baseline; got "
                    f"baseline=None with baseline_repeats={self.baseline_repeats}, "
                    f"baseline_width={self.baseline_width}. Set baseline to one of "
                    f"{', '.join(repr(b) for b in BASELINES)}."
                )
            return
        check_choice("baseline", self.baseline, BASELINES)
        if self.baseline == "permuted-labels" and self.baseline_width is not None:
            raise ValueError(
                "baseline_width is used only by the baselines that rotate ('rotation', "
                f"'rotation-permuted'); got baseline_width={self.baseline_width} with "
                "baseline='permuted-labels'."
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (without the ``baseline*`` keys when ``baseline`` is None)."""
        out = asdict(self)
        if self.baseline is None:
            for key in ("baseline", "baseline_repeats", "baseline_width"):
                del out[key]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeSettings:
        """Inverse of :meth:`to_dict` (unknown keys raise).

        A dict without ``builder`` comes from before the numba builder was the default: its
        trees were grown by scikit-learn.
        """
        return cls(**({"builder": "sklearn"} | data))


def layer_umap(
    features: np.ndarray, y: np.ndarray, *, n_samples: int = 1000, random_state: int = 0
) -> dict[str, Any]:
    """A 2-D UMAP picture of a layer on a seeded subsample.

    Parameters
    ----------
    features : ndarray, shape (n, width)
    y : ndarray, shape (n,)
    n_samples : int
        Points in the picture (all when fewer exist).
    random_state : int

    Returns
    -------
    dict
        ``indices`` (n_samples,), ``embedding`` (n_samples, 2) and ``labels`` (n_samples,),
        as lists, ready for JSON.
    """
    try:
        import umap  # umap-learn: optional, imported when a picture is asked for
    except ImportError:
        raise ImportError(
            "UMAP pictures need umap-learn: pip install umap-learn (it is in the [all] extra), "
            "or probe without them (umap_samples=0, CLI: no --umap)."
        ) from None

    rng = np.random.default_rng(random_state)
    n = features.shape[0]
    idx = np.sort(rng.choice(n, size=min(n_samples, n), replace=False))
    reducer = umap.UMAP(n_components=2, random_state=random_state, n_jobs=1)
    embedding = reducer.fit_transform(features[idx])
    return {
        "indices": idx.tolist(),
        "embedding": np.asarray(embedding, dtype=float).round(5).tolist(),
        "labels": np.asarray(y)[idx].tolist(),
    }


def score_layer(
    features: np.ndarray,
    y: np.ndarray,
    settings: ProbeSettings,
    *,
    name: str = "layer",
    kind: str = "layer",
) -> LayerScore:
    """The Sparsity Probe on one layer's features.

    Parameters
    ----------
    features : ndarray, shape (n_samples, width)
    y : ndarray of int, shape (n_samples,)
    settings : ProbeSettings
    name, kind : str
        Recorded in the result.

    Returns
    -------
    LayerScore
        When no tau falls in the estimator's window the score holds NaN and ``error`` says
        why; every other problem raises.
    """
    start = time.perf_counter()
    width = int(features.shape[1])
    reduced, record = reduce_width(
        features,
        max_width=settings.max_width,
        method=settings.reduction,
        random_state=settings.random_state,
    )
    forest = WaveletForest(
        n_trees=settings.n_trees,
        max_depth=settings.max_depth,
        max_features=settings.max_features,
        norm_weight=settings.norm_weight,
        random_state=settings.random_state,
        n_jobs=settings.n_jobs,
        builder=settings.builder,
    ).fit(reduced, y)
    kwargs = {}
    if settings.eps_low is not None:
        kwargs["eps_low"] = settings.eps_low
    if settings.eps_high is not None:
        kwargs["eps_high"] = settings.eps_high
    curve = forest.sparsity_curve()
    error = None
    try:
        estimate = forest.estimate(rule=settings.rule, **kwargs)
        tau_star, alpha_star = estimate.tau_star, estimate.alpha_star
        selected = estimate.selected_taus.tolist()
    except ValueError as exc:
        tau_star = alpha_star = float("nan")
        selected = []
        error = str(exc)
    score = LayerScore(
        name=name,
        kind=kind,
        width=width,
        scored_width=record.width_out,
        reduction=record.method,
        tau_star=float(tau_star),
        alpha_star=float(alpha_star),
        taus=curve.taus.tolist(),
        log_sparsity=curve.log_sparsity.tolist(),
        log_inverse_sum=curve.log_inverse_sum.tolist(),
        selected_taus=selected,
        n_wavelets=int(curve.n_wavelets),
        seconds=0.0,
        error=error,
    )
    if settings.baseline is not None:
        score.baseline = controlled_alpha(
            reduced,
            y,
            kind=settings.baseline,
            repeats=settings.baseline_repeats,
            width=settings.baseline_width,
            n_trees=settings.n_trees,
            max_depth=settings.max_depth,
            max_features=settings.max_features,
            norm_weight=settings.norm_weight,
            rule=settings.rule,
            random_state=settings.random_state,
            n_jobs=settings.n_jobs,
            builder=settings.builder,
            raw_alpha=alpha_star,
            **kwargs,
        ).to_dict()
    if settings.clustering:
        from ..separability import clustering_indices

        score.clustering = clustering_indices(
            reduced, y, random_state=settings.random_state
        ).to_dict()
    if settings.linear_probe:
        from ..separability import linear_probe

        score.linear_probe_accuracy = linear_probe(
            reduced, y, random_state=settings.random_state
        ).test_accuracy
    if settings.umap_samples:
        score.umap = layer_umap(
            reduced, y, n_samples=settings.umap_samples, random_state=settings.random_state
        )
    score.seconds = time.perf_counter() - start
    return score
