"""MNIST-1D, generated on this machine with the ``mnist1d`` package: never downloaded.

MNIST-1D (Greydanus & Kobak) turns ten 1-D digit templates into noisy signals of length 40 by
random padding, shear, translation and correlated plus white noise. The package's
``make_dataset(get_dataset_args())`` builds the standard set: 5000 signals, the first 4000
(after a seeded shuffle) for training, the last 1000 for testing.

Side effects of the generator, and how they are contained:

* ``make_dataset`` calls ``mnist1d.utils.set_seed(seed)``, which reseeds numpy's **global**
  RNG (``np.random.seed``) and Python's ``random`` module, then draws from the global numpy RNG.
  :func:`load_mnist1d` saves both global states before the call and restores them afterwards,
  so the caller's random streams continue as if nothing had run.
* Importing ``mnist1d`` imports ``matplotlib.pyplot`` and ``requests`` (its ``utils`` module
  has a plotting helper, its ``data`` module a downloader we never call), so the import lives
  inside the function and costs about a second on first use.

Generation takes about two seconds; the arrays are cached in-process per
``(seed, num_samples)`` and every call returns fresh copies.
"""

from __future__ import annotations

import functools
import random

import numpy as np

from .._validation import check_int
from .arrays import DatasetSplits, LabeledArrays

__all__ = [
    "MNIST1D_CLASS_NAMES",
    "MNIST1D_NUM_SAMPLES",
    "MNIST1D_SEED",
    "load_mnist1d",
]

#: The generator's defaults in ``mnist1d.data.get_dataset_args()`` (tests check they agree).
MNIST1D_SEED = 42
MNIST1D_NUM_SAMPLES = 5000
#: Fraction of the generated signals that form the training split (the package's default).
_TRAIN_SPLIT = 0.8
MNIST1D_CLASS_NAMES: tuple[str, ...] = tuple(str(d) for d in range(10))


@functools.lru_cache(maxsize=4)
def _generate(seed: int, num_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the package's generator; return read-only (x, y, x_test, y_test), global RNGs intact."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    args.num_samples = num_samples
    numpy_state = np.random.get_state()  # noqa: NPY002 (the generator's global RNG)
    python_state = random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
    out = []
    for key, dtype in (
        ("x", np.float32),
        ("y", np.int64),
        ("x_test", np.float32),
        ("y_test", np.int64),
    ):
        arr = np.ascontiguousarray(data[key], dtype=dtype)
        arr.flags.writeable = False  # the cache must not be changed through a returned view
        out.append(arr)
    return out[0], out[1], out[2], out[3]


def load_mnist1d(
    *, seed: int = MNIST1D_SEED, num_samples: int = MNIST1D_NUM_SAMPLES
) -> DatasetSplits:
    """Generate MNIST-1D locally and return its standard train/test split.

    Parameters
    ----------
    seed : int, default 42
        Seed of the package's generator (``get_dataset_args().seed``); 42 gives the published
        data set.
    num_samples : int, default 5000
        Signals to generate, a positive multiple of 10 (the generator makes
        ``num_samples // 10`` per digit); 80 % go to the training split.

    Returns
    -------
    DatasetSplits
        ``train.X`` of shape (0.8 * num_samples, 1, 40) and ``test.X`` of shape
        (0.2 * num_samples, 1, 40), float32, standardised by the generator (mean 0, standard
        deviation 1 over the whole set); labels 0..9. ``info`` records the generator, its
        version, ``seed`` and ``num_samples``.

    Notes
    -----
    numpy's global RNG and Python's ``random`` are left exactly as they were (see the module
    docstring). The result is cached per ``(seed, num_samples)``; each call returns copies.
    """
    seed = check_int("seed", seed, minimum=0)
    num_samples = check_int("num_samples", num_samples, minimum=10)
    if num_samples % 10:
        raise ValueError(
            "num_samples must be a multiple of 10 (the MNIST-1D generator makes num_samples // 10 "
            f"signals per digit); got {num_samples}. Try {num_samples - num_samples % 10}."
        )
    x, y, x_test, y_test = _generate(seed, num_samples)
    train = LabeledArrays(
        X=x.reshape(len(x), 1, -1).copy(),
        y=y.copy(),
        class_names=MNIST1D_CLASS_NAMES,
        name="mnist1d/train",
    )
    test = LabeledArrays(
        X=x_test.reshape(len(x_test), 1, -1).copy(),
        y=y_test.copy(),
        class_names=MNIST1D_CLASS_NAMES,
        name="mnist1d/test",
    )
    info = {
        "source": "mnist1d.data.make_dataset, generated locally",
        "mnist1d_version": _package_version(),
        "seed": seed,
        "num_samples": num_samples,
        "train_split": _TRAIN_SPLIT,
    }
    return DatasetSplits(name="mnist1d", train=train, test=test, info=info)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mnist1d")
    except PackageNotFoundError:  # pragma: no cover - imported from a source tree
        return "unknown"
