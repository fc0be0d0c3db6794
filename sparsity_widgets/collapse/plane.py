"""A layer's classes in the plane of the two leading directions of its class means.

The picture that shows neural collapse at a glance: each class mean as a point and each class's
within-class covariance as an ellipse, in the plane spanned by the first two right singular
vectors v_1, v_2 of the centred class means M (rows mu_c - mu_G). Coordinates are
``(h - mu_G) . v_i``: the plane keeps the largest share of the between-class spread that any
plane can (``between_class_share``), and the ellipses shrink towards the points as NC1 falls.

Everything comes from the two passes NC1 already makes (:class:`~.variability.NC1Accumulator`
sees ``(h - mu_y) V_r S_r^-1``, whose first two columns times s_1, s_2 are the in-plane
coordinates), so the picture costs O(N K) more, with no extra pass and no D x D matrix.

Signs: singular vectors are defined up to sign, so each axis is oriented to make the class
mean farthest from zero along it positive; pictures of the same layer at two epochs are then
comparable up to the rotation the training itself makes. With K = 2 (rank 1) the second axis
is identically 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import ClassGeometry

__all__ = ["ClassPlane", "plane_axes"]


def plane_axes(geometry: ClassGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The plane's axes as columns of ``geometry.basis`` with their signs fixed.

    Parameters
    ----------
    geometry : ClassGeometry

    Returns
    -------
    signs : ndarray of float64, shape (r2,)
        +1 or -1 per kept axis, r2 = min(2, rank).
    means : ndarray of float64, shape (n_classes, 2)
        The centred class means in the plane (second column 0 when r2 = 1).
    """
    r2 = min(2, geometry.rank)
    coords = geometry.centred @ geometry.basis[:, :r2]  # (K, r2) = U_r S_r, first columns
    far = np.argmax(np.abs(coords), axis=0)
    signs = np.where(coords[far, np.arange(r2)] < 0, -1.0, 1.0)
    means = np.zeros((geometry.n_classes, 2))
    means[:, :r2] = coords * signs
    return signs, means


def _nested(array: np.ndarray) -> tuple:
    """An array as nested tuples of Python floats (hashable, comparable with ``==``)."""
    if array.ndim == 1:
        return tuple(float(v) for v in array)
    return tuple(_nested(row) for row in array)


@dataclass(frozen=True)
class ClassPlane:
    """Class means and within-class covariances in the plane of v_1, v_2.

    Stored as nested tuples of floats, so results compare with ``==`` and round-trip through
    JSON exactly; :attr:`means_array` and :attr:`covariances_array` give NumPy arrays.

    Attributes
    ----------
    means : tuple of (float, float), length n_classes
        ``(mu_c - mu_G) . v_i`` per class, shape (n_classes, 2) as an array.
    covariances : tuple of 2 x 2 tuples, length n_classes
        ``E[(h - mu_c)_plane (h - mu_c)_plane^T]`` over the class's samples (0 for a class
        with one sample), shape (n_classes, 2, 2) as an array.
    between_class_share : float
        ``(s_1^2 + s_2^2) / sum_i s_i^2``: the share of tr(Sigma_B) the plane shows (1 for
        K <= 3).
    """

    means: tuple
    covariances: tuple
    between_class_share: float

    def __post_init__(self) -> None:
        try:
            means = np.asarray(self.means, dtype=np.float64)
            cov = np.asarray(self.covariances, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "means and covariances must be numeric arrays of shapes (n_classes, 2) and "
                f"(n_classes, 2, 2); got {exc}."
            ) from None
        if means.ndim != 2 or means.shape[1] != 2 or means.shape[0] < 2:
            raise ValueError(f"means must have shape (n_classes >= 2, 2); got {means.shape}.")
        if cov.shape != (means.shape[0], 2, 2):
            raise ValueError(
                f"covariances must have shape ({means.shape[0]}, 2, 2) (one 2 x 2 matrix per "
                f"class of means); got {cov.shape}."
            )
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(cov))):
            raise ValueError("means and covariances must be finite; got NaN or inf.")
        share = float(self.between_class_share)
        if not 0.0 <= share <= 1.0 + 1e-12:
            raise ValueError(f"between_class_share must be in [0, 1]; got {share!r}.")
        object.__setattr__(self, "means", _nested(means))
        object.__setattr__(self, "covariances", _nested(cov))
        object.__setattr__(self, "between_class_share", min(share, 1.0))

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.means)

    @property
    def means_array(self) -> np.ndarray:
        """The means as a float64 array of shape (n_classes, 2)."""
        return np.array(self.means)

    @property
    def covariances_array(self) -> np.ndarray:
        """The covariances as a float64 array of shape (n_classes, 2, 2)."""
        return np.array(self.covariances)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: nested lists and a float."""
        return {
            "means": [list(row) for row in self.means],
            "covariances": [[list(r) for r in c] for c in self.covariances],
            "between_class_share": self.between_class_share,
        }
