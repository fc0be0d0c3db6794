"""MNIST, Fashion-MNIST and CIFAR-10 from a data folder that the user names.

The folder has torchvision's layout, so a folder filled by ``torchvision.datasets.MNIST(root,
download=True)`` (or ``FashionMNIST``, ``CIFAR10``) works here and the other way round::

    root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte         (IDX files)
    root/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte  (IDX files)
    root/cifar-10-batches-py/data_batch_1 .. data_batch_5, test_batch, batches.meta  (pickles)

Nothing is downloaded unless the caller passes ``download=True`` (``--download`` on the command
line); then torchvision's own downloader fetches the official archives (from its mirrors, with
its md5 checks of the archives) and unpacks them into ``root``.

Why the files are read here rather than through torchvision's dataset classes
---------------------------------------------------------------------------------
Reading needs neither torch nor torchvision, only numpy; the formats are small and fixed:

* IDX (MNIST, Fashion-MNIST): a big-endian header (two zero bytes, a type code, the number of
  dimensions, one 4-byte size per dimension) followed by the values. :func:`_read_idx` checks
  the header and that the byte count matches it, which catches truncated or foreign files;
  torchvision's reader does not check the length. Files compressed with gzip (``.gz``, as
  published) are read as well when the uncompressed ones are absent.
* CIFAR-10's "python version": pickled dicts with ``data`` (uint8, shape (10000, 3072), the red,
  green and blue planes of each 32 x 32 image in turn), ``labels`` and, in ``batches.meta``,
  ``label_names``. They are unpickled with a restricted unpickler that builds numpy arrays,
  lists and strings only, so a file planted in the data folder cannot run code (plain
  ``pickle.load``, which torchvision uses, can).

About integrity checks. ``torchvision.datasets.CIFAR10`` refuses to read unless every batch has
the md5 sum of the official release. That protects against corrupt downloads, but it also
rejects every other file in the same format, such as the small files the tests write, and there
is no switch to turn it off. This module does not gate reading on md5 sums: it validates the
structure instead (keys, dtypes, shapes, label ranges, consistent lengths), and leaves the md5
checks to torchvision's downloader, which verifies the archive it fetches. (MNIST behaves alike
in torchvision: it checks only that the raw files exist.) Also, torchvision is broken in some
environments (a CUDA build of torchvision beside a CPU build of torch fails on import with
"operator torchvision::nms does not exist"); reading does not depend on it.

Images come back as float32 in [0, 1] (pixel / 255) with shape (n, C, H, W): (n, 1, 28, 28) for
MNIST and Fashion-MNIST, (n, 3, 32, 32) for CIFAR-10.
"""

from __future__ import annotations

import codecs
import gzip
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_choice
from .arrays import LabeledArrays

__all__ = [
    "IMAGE_DATASETS",
    "image_split_files",
    "load_image_split",
    "read_image_split",
]

IMAGE_DATASETS: tuple[str, ...] = ("mnist", "fashion-mnist", "cifar10")

# Folder names and class names as torchvision.datasets.MNIST / FashionMNIST define them.
_IDX_FOLDER = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
_IDX_CLASSES = {
    "mnist": (
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}
_TORCHVISION_CLASS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
_CIFAR_FOLDER = "cifar-10-batches-py"
_CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR_TEST = ("test_batch",)
_CIFAR_META = "batches.meta"
_CIFAR_PIXELS = 3 * 32 * 32

# IDX type codes (third byte of the header) -> big-endian numpy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _root_path(root: Any) -> Path:
    if root is None:
        raise ValueError(
            "root must name the data folder (e.g. root='~/data'); got None. Use one folder for "
            "all image sets: each lives in its own subfolder."
        )
    try:
        return Path(os.path.expanduser(os.fspath(root)))
    except TypeError:
        raise ValueError(
            f"root must be a path (str or os.PathLike); got {type(root).__name__}."
        ) from None


def _idx_names(train: bool) -> tuple[str, str]:
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def image_split_files(name: str, root: str | os.PathLike, *, train: bool = True) -> list[Path]:
    """The files that one split of an image set is read from.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "cifar10"}
    root : str or os.PathLike
        The data folder (``~`` is expanded).
    train : bool
        The training split (True) or the test split (False).

    Returns
    -------
    list of Path
        For MNIST and Fashion-MNIST the uncompressed IDX files (a ``.gz`` beside a missing one is
        read instead); for CIFAR-10 the batches of the split and ``batches.meta``.
    """
    check_choice("name", name, IMAGE_DATASETS)
    base = _root_path(root)
    if name == "cifar10":
        folder = base / _CIFAR_FOLDER
        return [folder / f for f in (*(_CIFAR_TRAIN if train else _CIFAR_TEST), _CIFAR_META)]
    raw = base / _IDX_FOLDER[name] / "raw"
    return [raw / f for f in _idx_names(train)]


def _existing(path: Path, *, gz_ok: bool) -> Path | None:
    if path.is_file():
        return path
    packed = path.with_name(path.name + ".gz")
    if gz_ok and packed.is_file():
        return packed
    return None


def describe_missing(base: Path, missing: list[Path]) -> str:
    """``the folder X/`` when the files' folder is absent, else the missing files, relative to
    ``base`` (for the "not in the data folder" errors of the image readers)."""
    folder = missing[0].parent
    if not folder.is_dir():
        return f"the folder {folder.relative_to(base)}/"
    return ", ".join(str(p.relative_to(base)) for p in missing)


def _missing_files_error(name: str, base: Path, missing: list[Path]) -> FileNotFoundError:
    if name == "cifar10":
        layout = (
            f"the folder {_CIFAR_FOLDER}/ with data_batch_1 .. data_batch_5, test_batch and "
            f"{_CIFAR_META} (CIFAR-10's 'python version', unpacked)"
        )
    else:
        layout = (
            f"the folder {_IDX_FOLDER[name]}/raw/ with train-images-idx3-ubyte, "
            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
            "(.gz copies are read too)"
        )
    return FileNotFoundError(
        f"{name} is not in the data folder {base}: missing {describe_missing(base, missing)}. "
        f"It must hold {layout}, "
        f"the layout of torchvision.datasets.{_TORCHVISION_CLASS[name]}. Pass download=True "
        "(CLI: --download) on a machine that is online to fetch the files into this folder, or "
        "copy them there from a machine that has them."
    )


def _download(name: str, base: Path) -> None:
    """Fetch the official files into ``base`` with torchvision's downloader (network needed)."""
    try:
        from torchvision import datasets as tv_datasets
    except Exception as exc:  # ImportError, or RuntimeError from a mismatched torch build
        raise ImportError(
            f"download=True fetches {name} with torchvision's downloader, but torchvision could "
            f"not be imported ({type(exc).__name__}: {exc}). Install a torchvision build that "
            "matches your torch, or fetch the files on another machine and copy them into "
            f"{base}."
        ) from exc
    loader = getattr(tv_datasets, _TORCHVISION_CLASS[name])
    base.mkdir(parents=True, exist_ok=True)
    loader(str(base), train=True, download=True)


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed); the header must match the byte count."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(
            f"{path} is not an IDX file: it must start with two zero bytes and a type code in "
            f"{sorted(_IDX_DTYPES)}; got {data[:4]!r}. Replace it with the original file."
        )
    dtype, ndim = _IDX_DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{path} has a damaged IDX header ({ndim} dimensions, {len(data)} bytes).")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path} is truncated or padded: its header announces shape {shape} "
            f"({expected} bytes of data) but it holds {len(data) - header} bytes. Download it "
            "again."
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _read_idx_split(name: str, base: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    paths = image_split_files(name, base, train=train)
    found = [_existing(p, gz_ok=True) for p in paths]
    missing = [p for p, f in zip(paths, found, strict=True) if f is None]
    if missing:
        raise _missing_files_error(name, base, missing)
    image_path, label_path = found
    images, labels = _read_idx(image_path), _read_idx(label_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{image_path} must hold uint8 images of shape (n, height, width); got {images.dtype} "
            f"of shape {images.shape}."
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{label_path} must hold uint8 labels of shape (n,); got {labels.dtype} of shape "
            f"{labels.shape}."
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{image_path} holds {images.shape[0]} images but {label_path} holds "
            f"{labels.shape[0]} labels; the two files belong together."
        )
    return images[:, None, :, :], labels.astype(np.int64)


class _RefusedGlobal(pickle.UnpicklingError):
    """A pickle asked for something other than numpy arrays, lists and strings."""


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, strings and numpy arrays; refuses every other global."""

    _allowed: dict[tuple[str, str], Any] | None = None

    @classmethod
    def allowed(cls) -> dict[tuple[str, str], Any]:
        if cls._allowed is None:
            sample = np.zeros(1)
            builders = {
                "_reconstruct": sample.__reduce__()[0],  # how ndarrays pickle (protocols 2-4)
                "_frombuffer": sample.__reduce_ex__(5)[0],  # ... and with protocol 5
                "scalar": np.float64(0).__reduce__()[0],  # numpy scalars
            }
            table: dict[tuple[str, str], Any] = {
                ("numpy", "ndarray"): np.ndarray,
                ("numpy", "dtype"): np.dtype,
                ("_codecs", "encode"): codecs.encode,  # bytes pickled by Python 3, protocol 2
            }
            # numpy 1 names its private modules numpy.core.*, numpy 2 numpy._core.*.
            for core in ("numpy.core", "numpy._core"):
                for module in ("multiarray", "numeric"):
                    for fname, builder in builders.items():
                        table[(f"{core}.{module}", fname)] = builder
            cls._allowed = table
        return cls._allowed

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed()[(module, name)]
        except KeyError:
            raise _RefusedGlobal(
                f"refusing to load {module}.{name}: CIFAR-10 batches hold only numpy arrays, lists "
                "and strings, so this file is not one. Replace it with the original file."
            ) from None


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as fh:
        try:
            entry = _ArrayUnpickler(fh, encoding="latin1").load()
        except _RefusedGlobal as exc:
            raise ValueError(f"{path} is not a CIFAR-10 batch: {exc}") from None
        except (
            pickle.UnpicklingError,
            EOFError,
            ValueError,
            TypeError,
            IndexError,
            AttributeError,
        ) as exc:
            raise ValueError(
                f"{path} could not be unpickled ({type(exc).__name__}: {exc}); it is damaged or "
                "not a CIFAR-10 batch. Download it again."
            ) from None
    if not isinstance(entry, dict):
        raise ValueError(f"{path} must hold a dict; got {type(entry).__name__}.")
    return entry


def _read_cifar10_split(base: Path, train: bool) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    paths = image_split_files("cifar10", base, train=train)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise _missing_files_error("cifar10", base, missing)
    *batch_paths, meta_path = paths
    meta = _unpickle(meta_path)
    names = meta.get("label_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{meta_path} must hold 'label_names', a list of str; got {names!r}.")
    images, labels = [], []
    for path in batch_paths:
        entry = _unpickle(path)
        data, batch_labels = entry.get("data"), entry.get("labels")
        if (
            not isinstance(data, np.ndarray)
            or data.dtype != np.uint8
            or data.ndim != 2
            or data.shape[1] != _CIFAR_PIXELS
        ):
            got = f"{data.dtype} of shape {data.shape}" if isinstance(data, np.ndarray) else data
            raise ValueError(
                f"{path}: 'data' must be a uint8 array of shape (n, {_CIFAR_PIXELS}); got {got}."
            )
        if not isinstance(batch_labels, list) or len(batch_labels) != data.shape[0]:
            got = len(batch_labels) if isinstance(batch_labels, list) else repr(batch_labels)
            raise ValueError(
                f"{path}: 'labels' must be a list with one label per image ({data.shape[0]}); "
                f"got {got}."
            )
        images.append(data)
        labels.append(np.asarray(batch_labels, dtype=np.int64))
    y = np.concatenate(labels)
    if y.size and (y.min() < 0 or y.max() >= len(names)):
        raise ValueError(
            f"labels in {base / _CIFAR_FOLDER} must lie in 0..{len(names) - 1} (one per entry of "
            f"label_names); got labels from {y.min()} to {y.max()}."
        )
    # Each row holds the red, green and blue 32 x 32 planes in turn: already (C, H, W) order.
    X = np.concatenate(images).reshape(-1, 3, 32, 32)
    return X, y, tuple(names)


def read_image_split(
    name: str, root: str | os.PathLike, *, train: bool = True, download: bool = False
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read one split of an image set as stored: uint8 pixels, integer labels, class names.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "cifar10"}
    root : str or os.PathLike
        The data folder, in torchvision's layout (see the module docstring).
    train : bool, default True
        The training split (60 000 images for MNIST / Fashion-MNIST, 50 000 for CIFAR-10) or
        the test split (10 000).
    download : bool, default False
        When files are missing, fetch them with torchvision's downloader (needs the network and
        an importable torchvision). Files already present are never fetched again.

    Returns
    -------
    images : ndarray of uint8, shape (n, C, H, W)
        (n, 1, 28, 28) or (n, 3, 32, 32); values 0..255.
    labels : ndarray of int64, shape (n,)
    class_names : tuple of str
        Those of torchvision's MNIST / FashionMNIST classes; for CIFAR-10 the ``label_names``
        of ``batches.meta``.

    Raises
    ------
    FileNotFoundError
        Files are missing and ``download`` is False; the message names the folder, the files
        expected and how to fetch them.
    ValueError
        A file is damaged or not in the expected format.
    """
    check_choice("name", name, IMAGE_DATASETS)
    if not isinstance(train, bool):
        raise ValueError(f"train must be True or False; got {train!r}.")
    if not isinstance(download, bool):
        raise ValueError(f"download must be True or False; got {download!r}.")
    base = _root_path(root)
    if download:
        gz_ok = name != "cifar10"
        paths = image_split_files(name, base, train=train)
        if any(_existing(p, gz_ok=gz_ok) is None for p in paths):
            _download(name, base)
    if name == "cifar10":
        return _read_cifar10_split(base, train)
    images, labels = _read_idx_split(name, base, train)
    if labels.size and labels.max() >= len(_IDX_CLASSES[name]):
        raise ValueError(
            f"{name} labels must lie in 0..{len(_IDX_CLASSES[name]) - 1}; the label file holds "
            f"values up to {labels.max()}."
        )
    return images, labels, _IDX_CLASSES[name]


def _to_float32(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1], C-contiguous."""
    out = np.empty(images.shape, dtype=np.float32)
    np.divide(images, np.float32(255.0), out=out, dtype=np.float32)
    return out


def load_image_split(
    name: str, root: str | os.PathLike, *, train: bool = True, download: bool = False
) -> LabeledArrays:
    """Load one split of an image set as float32 images in [0, 1].

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "cifar10"}
    root : str or os.PathLike
        The data folder, in torchvision's layout (see the module docstring).
    train : bool, default True
    download : bool, default False
        Fetch missing files with torchvision's downloader (see :func:`read_image_split`).

    Returns
    -------
    LabeledArrays
        ``X`` float32 of shape (n, 1, 28, 28) or (n, 3, 32, 32), pixel / 255; named
        ``"<name>/train"`` or ``"<name>/test"``.
    """
    images, labels, class_names = read_image_split(name, root, train=train, download=download)
    return LabeledArrays(
        X=_to_float32(images),
        y=labels,
        class_names=class_names,
        name=f"{name}/{'train' if train else 'test'}",
    )
