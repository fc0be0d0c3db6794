"""Linear probes and k-means clustering indices: the baselines the Sparsity Probe is compared to.

* :func:`linear_probe` fits a logistic regression (scikit-learn ``LogisticRegression``) on a
  training split and reports its accuracy on held-out samples (Sec. 2.4, Figure 3).
* :func:`clustering_indices` runs k-means with ``k`` = number of classes and compares the
  clusters with the labels: adjusted Rand, adjusted mutual information, homogeneity,
  completeness and Fowlkes-Mallows (Sec. 4.1.1).

No torch, matplotlib or ipywidgets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    adjusted_mutual_info_score,
    adjusted_rand_score,
    completeness_score,
    fowlkes_mallows_score,
    homogeneity_score,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ._validation import check_features, check_int, check_real

__all__ = ["ClusteringIndices", "LinearProbeResult", "clustering_indices", "linear_probe"]


def _check_labels(y: Any, n_samples: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(
            f"y must be a 1-D array of {n_samples} class labels (one per row of X); got shape "
            f"{y.shape}."
        )
    if np.unique(y).shape[0] < 2:
        raise ValueError("y must hold at least two classes; got a single class.")
    return y


@dataclass(frozen=True)
class LinearProbeResult:
    """Accuracy of a logistic-regression probe.

    Attributes
    ----------
    train_accuracy, test_accuracy : float
        Fraction of correctly classified training and held-out samples.
    chance : float
        Accuracy of always predicting the most frequent training class, on the held-out set.
    n_train, n_test : int
    """

    train_accuracy: float
    test_accuracy: float
    chance: float
    n_train: int
    n_test: int


def linear_probe(
    X: Any, y: Any, test_size: float = 0.3, random_state: Any = 0, max_iter: int = 1000
) -> LinearProbeResult:
    """Fit a linear probe (standardised features, logistic regression) and score it.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,)
        Class labels, at least two classes.
    test_size : float
        Held-out fraction in (0, 1).
    random_state : int or None
        Seed of the stratified split.
    max_iter : int
        Iterations of the logistic-regression solver.

    Returns
    -------
    LinearProbeResult
    """
    X = check_features(X)
    y = _check_labels(y, X.shape[0])
    test_size = check_real("test_size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    scaler = StandardScaler().fit(X_tr)
    model = LogisticRegression(max_iter=max_iter).fit(scaler.transform(X_tr), y_tr)
    values, counts = np.unique(y_tr, return_counts=True)
    majority = values[np.argmax(counts)]
    return LinearProbeResult(
        train_accuracy=float(model.score(scaler.transform(X_tr), y_tr)),
        test_accuracy=float(model.score(scaler.transform(X_te), y_te)),
        chance=float(np.mean(y_te == majority)),
        n_train=int(X_tr.shape[0]),
        n_test=int(X_te.shape[0]),
    )


@dataclass(frozen=True)
class ClusteringIndices:
    """Agreement between k-means clusters and the class labels (1 is perfect, ~0 is chance).

    Attributes
    ----------
    adjusted_rand, adjusted_mutual_info, homogeneity, completeness, fowlkes_mallows : float
    n_clusters : int
    """

    adjusted_rand: float
    adjusted_mutual_info: float
    homogeneity: float
    completeness: float
    fowlkes_mallows: float
    n_clusters: int

    def to_dict(self) -> dict[str, float]:
        """The indices as a plain dict."""
        return asdict(self)


def clustering_indices(
    X: Any, y: Any, n_clusters: int | None = None, random_state: Any = 0, n_init: int = 10
) -> ClusteringIndices:
    """Cluster ``X`` with k-means and compare the clusters with the labels ``y``.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,)
        Class labels, at least two classes.
    n_clusters : int, optional
        ``k``; the number of classes in ``y`` when omitted.
    random_state : int or None
        Seed of k-means.
    n_init : int
        k-means restarts.

    Returns
    -------
    ClusteringIndices
    """
    X = check_features(X)
    y = _check_labels(y, X.shape[0])
    k = (
        np.unique(y).shape[0]
        if n_clusters is None
        else check_int("n_clusters", n_clusters, minimum=2)
    )
    if k > X.shape[0]:
        raise ValueError(f"n_clusters must be at most n_samples={X.shape[0]}; got {k}.")
    n_init = check_int("n_init", n_init, minimum=1)
    clusters = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit_predict(X)
    return ClusteringIndices(
        adjusted_rand=float(adjusted_rand_score(y, clusters)),
        adjusted_mutual_info=float(adjusted_mutual_info_score(y, clusters)),
        homogeneity=float(homogeneity_score(y, clusters)),
        completeness=float(completeness_score(y, clusters)),
        fowlkes_mallows=float(fowlkes_mallows_score(y, clusters)),
        n_clusters=int(k),
    )
