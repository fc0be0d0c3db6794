"""STL-10 (its binary release) from a data folder that the user names.

The folder has the layout that ``torchvision.datasets.STL10(root, download=True)`` unpacks, so a
folder filled by torchvision works here and the other way round::

    root/stl10_binary/train_X.bin, train_y.bin, test_X.bin, test_y.bin, class_names.txt

The archive also holds ``unlabeled_X.bin`` (100 000 unlabelled images, 2.8 GB) and
``fold_indices.txt``; neither is read here. Nothing is downloaded unless the caller passes
``download=True`` (``--download`` on the command line); then torchvision's own downloader fetches
the official ``stl10_binary.tar.gz`` (with its md5 check of the archive) and unpacks it into
``root``: about 3.1 GB on disk, almost all of it the unlabelled images.

The format
----------
As the official page (https://cs.stanford.edu/~acoates/stl10/, "Binary files") describes it:
"the values are stored as tightly packed arrays of uint8's. The images are stored in
column-major order, one channel at a time. That is, the first 96*96 values are the red channel,
the next 96*96 are green, and the last are blue. The labels are in the range 1 to 10." There is
no header. So an ``_X.bin`` file is ``n * 3 * 96 * 96`` bytes; read as a C-order array of shape
(n, 3, 96, 96) its axes are (image, channel, column, row), and swapping the last two gives
(image, channel, row, column), i.e. (n, C, H, W) with row 0 the top of the picture. That is what
torchvision does (``torchvision/datasets/stl10.py``, ``STL10.__loadfile``: ``np.fromfile`` as
uint8, ``reshape(-1, 3, 96, 96)``, ``transpose(0, 1, 3, 2)``; labels ``np.fromfile(...) - 1``;
class names from ``class_names.txt``, one a line), and what the helper linked from the official
page does (github.com/mttk/STL10, ``stl10_input.py``: the same reshape, then
``transpose(0, 3, 2, 1)`` for (n, H, W, C)). The official files hold 5000 training images (500 a
class) and 8000 test images (800 a class) of the classes airplane, bird, car, cat, deer, dog,
horse, monkey, ship, truck (labels 1 .. 10 in that order; returned as 0 .. 9).

As for the other image sets (:mod:`sparsity_widgets.datasets.images`), reading is not gated on
md5 sums: the structure is checked instead (whole images, one label per image, labels in
1 .. 10, ten class names), so the small files the tests write are read like the real ones.

Memory
------
The image files are memory-mapped, not read whole: :func:`read_stl10_split` returns views on the
mapped files, and only the images that are used (a subset, or all when converted) are read from
disk. The float32 images that :func:`load_stl10_split` returns, like those of the other image
sets, take 4 bytes a value: 3 * 96 * 96 * 4 = 110 592 bytes an image, so 553 MB for the full
training split and 885 MB for the full test split (1.44 GB for both). ``image_size`` shrinks
that by ``(96 / image_size) ** 2``: 48 gives a quarter (221 MB for the test split), 32 a
ninth. The downscaling averages each ``f x f`` block of pixels (``f = 96 / image_size``), which
is area interpolation (``torch.nn.functional.interpolate(..., mode="area")``) for a whole factor,
and runs on blocks of :data:`_BLOCK` images, so no full-size float array is made when shrinking.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._validation import check_int
from .arrays import LabeledArrays
from .images import _root_path, _to_float32, describe_missing

__all__ = [
    "STL10_FOLDER",
    "load_stl10_split",
    "pixels_to_float32",
    "read_stl10_split",
    "stl10_files",
]

STL10_FOLDER = "stl10_binary"
_CLASS_NAMES_FILE = "class_names.txt"
_SIDE = 96
_CHANNELS = 3
_IMAGE_BYTES = _CHANNELS * _SIDE * _SIDE  # 27 648
_N_CLASSES = 10
_OFFICIAL_SIZES = {"train": 5000, "test": 8000}
#: Images converted at a time by :func:`pixels_to_float32` (a 7 MB slice of uint8 pixels).
_BLOCK = 256


def _check_flag(param: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{param} must be True or False; got {value!r}.")
    return value


def stl10_files(root: str | os.PathLike, *, train: bool = True) -> list[Path]:
    """The files that one split of STL-10 is read from.

    Parameters
    ----------
    root : str or os.PathLike
        The data folder (``~`` is expanded).
    train : bool, default True
        The training split (True) or the test split (False).

    Returns
    -------
    list of Path
        ``stl10_binary/{train,test}_X.bin``, ``..._y.bin`` and ``stl10_binary/class_names.txt``.
    """
    folder = _root_path(root) / STL10_FOLDER
    prefix = "train" if train else "test"
    return [folder / f"{prefix}_X.bin", folder / f"{prefix}_y.bin", folder / _CLASS_NAMES_FILE]


def _missing_files_error(base: Path, missing: list[Path]) -> FileNotFoundError:
    return FileNotFoundError(
        f"stl10 is not in the data folder {base}: missing {describe_missing(base, missing)}. "
        "It must hold the folder "
        f"{STL10_FOLDER}/ with train_X.bin, train_y.bin, test_X.bin, test_y.bin and "
        f"{_CLASS_NAMES_FILE} (STL-10's binary release, stl10_binary.tar.gz, unpacked), the "
        "layout of torchvision.datasets.STL10. Pass download=True (CLI: --download) on a machine "
        "that is online to fetch the files into this folder (about 3.1 GB unpacked), or copy "
        "them there from a machine that has them."
    )


def _download(base: Path) -> None:
    """Fetch and unpack the official archive into ``base`` with torchvision (network needed)."""
    try:
        from torchvision import datasets as tv_datasets
    except Exception as exc:  # ImportError, or RuntimeError from a mismatched torch build
        raise ImportError(
            "download=True fetches stl10 with torchvision's downloader, but torchvision could not "
            f"be imported ({type(exc).__name__}: {exc}). Install a torchvision build that "
            "matches your torch, or fetch the files on another machine and copy them into "
            f"{base}."
        ) from exc
    base.mkdir(parents=True, exist_ok=True)
    tv_datasets.STL10(str(base), split="test", download=True)


def _read_class_names(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(
            f"{path} is not a text file; it must hold the {_N_CLASSES} class names of STL-10, one "
            "a line. Replace it with the original file."
        ) from None
    names = tuple(line.strip() for line in text.splitlines())
    while names and not names[-1]:  # blank lines at the end
        names = names[:-1]
    if len(names) != _N_CLASSES or not all(names):
        raise ValueError(
            f"{path} must hold the {_N_CLASSES} class names of STL-10, one a line, no blank "
            f"lines between them; got {len(names)} lines: {list(names)!r}."
        )
    return names


def _map_images(path: Path, split: str) -> np.ndarray:
    """Memory-map an ``_X.bin`` file as read-only uint8 of shape (n, 3, 96, 96) in (C, H, W)."""
    size = path.stat().st_size
    if size == 0 or size % _IMAGE_BYTES:
        official = _OFFICIAL_SIZES[split]
        raise ValueError(
            f"{path} must hold whole STL-10 images of 3 x 96 x 96 = {_IMAGE_BYTES} bytes each, "
            f"so a non-zero multiple of {_IMAGE_BYTES} bytes (the official file: {official} "
            f"images, {official * _IMAGE_BYTES} bytes); got {size} bytes "
            f"({size / _IMAGE_BYTES:.3f} images). It is truncated or not an STL-10 image file: "
            "replace it with the original."
        )
    mapped = np.memmap(
        path, dtype=np.uint8, mode="r", shape=(size // _IMAGE_BYTES, _CHANNELS, _SIDE, _SIDE)
    )
    # stored as (channel, column, row): swap the last two axes to (channel, row, column)
    return np.asarray(mapped).transpose(0, 1, 3, 2)


def _read_labels(path: Path, n_images: int, image_path: Path) -> np.ndarray:
    labels = np.fromfile(path, dtype=np.uint8)
    if labels.shape[0] != n_images:
        raise ValueError(
            f"{image_path} holds {n_images} images but {path} holds {labels.shape[0]} labels "
            "(one byte each); the two files belong together."
        )
    low, high = int(labels.min()), int(labels.max())
    if low < 1 or high > _N_CLASSES:
        raise ValueError(
            f"{path}: STL-10 labels must lie in 1..{_N_CLASSES} (the classes are counted from "
            f"1); got labels from {low} to {high}. Replace it with the original file."
        )
    return labels.astype(np.int64) - 1


def read_stl10_split(
    root: str | os.PathLike, *, train: bool = True, download: bool = False
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read one split of STL-10 as stored: uint8 pixels, integer labels, class names.

    Parameters
    ----------
    root : str or os.PathLike
        The data folder, holding ``stl10_binary/`` (see the module docstring).
    train : bool, default True
        The training split (5000 images in the official files) or the test split (8000).
    download : bool, default False
        When files are missing, fetch the official archive with torchvision's downloader
        (needs the network and an importable torchvision). Files already present are never
        fetched again.

    Returns
    -------
    images : ndarray of uint8, shape (n, 3, 96, 96)
        (n, C, H, W), values 0..255; ``images[i, c, r, k]`` is channel ``c`` (red, green, blue)
        of row ``r`` (0 at the top) and column ``k`` (0 at the left). A read-only view on the
        memory-mapped file, not C-contiguous; ``np.array(images)`` makes an ordinary copy.
    labels : ndarray of int64, shape (n,)
        0..9: the stored labels minus 1.
    class_names : tuple of str
        The ten lines of ``class_names.txt`` ("airplane", "bird", ..., "truck").

    Raises
    ------
    FileNotFoundError
        Files are missing and ``download`` is False; the message names the folder, the files
        expected and how to fetch them.
    ValueError
        A file is damaged or not in the expected format (the message names it, with the size
        or the values expected and those found).
    """
    train = _check_flag("train", train)
    download = _check_flag("download", download)
    base = _root_path(root)
    paths = stl10_files(base, train=train)
    if download and any(not p.is_file() for p in paths):
        _download(base)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise _missing_files_error(base, missing)
    image_path, label_path, names_path = paths
    class_names = _read_class_names(names_path)
    images = _map_images(image_path, "train" if train else "test")
    labels = _read_labels(label_path, images.shape[0], image_path)
    return images, labels, class_names


def pixels_to_float32(images: np.ndarray, *, image_size: int | None = None) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], optionally shrunk by averaging square blocks.

    Parameters
    ----------
    images : ndarray of uint8, shape (n, C, H, W)
        Any memory layout (a memory-mapped view is read a block at a time); square (H == W)
        when ``image_size`` is given.
    image_size : int, optional
        Side of the output images; it must divide ``H``. Each output pixel is the mean of an
        ``f x f`` block of input pixels, ``f = H // image_size`` (area interpolation for a
        whole factor). None (the default) or ``H`` keeps the full size.

    Returns
    -------
    ndarray of float32, shape (n, C, image_size, image_size)
        C-contiguous; pixel / 255 at full size (as for the other image sets), else
        ``block sum / (255 f^2)`` computed exactly in integers and float64, then rounded once
        to float32.
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        got = (
            f"{images.dtype} of shape {images.shape}"
            if isinstance(images, np.ndarray)
            else type(images).__name__
        )
        raise ValueError(f"images must be a uint8 array of shape (n, C, H, W); got {got}.")
    n, channels, height, width = images.shape
    if image_size is None:
        return _to_float32(images)
    if height != width:
        raise ValueError(
            f"images must be square (H == W) to be shrunk to image_size={image_size!r}; got "
            f"{height} x {width}."
        )
    image_size = check_int("image_size", image_size, minimum=1, maximum=height)
    if image_size == height:
        return _to_float32(images)
    if height % image_size:
        divisors = [d for d in range(1, height + 1) if height % d == 0]
        raise ValueError(
            f"image_size must divide the image side {height}, so that each output pixel averages "
            f"a whole block of pixels (one of {', '.join(map(str, divisors))}); got {image_size}."
        )
    factor = height // image_size
    scale = 255.0 * factor * factor
    out = np.empty((n, channels, image_size, image_size), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        block = images[start : start + _BLOCK]
        blocks = block.reshape(block.shape[0], channels, image_size, factor, image_size, factor)
        sums = blocks.sum(axis=(3, 5), dtype=np.int64)  # exact: at most 255 * f^2 each
        out[start : start + _BLOCK] = sums / scale
    return out


def load_stl10_split(
    root: str | os.PathLike,
    *,
    train: bool = True,
    download: bool = False,
    image_size: int | None = None,
) -> LabeledArrays:
    """Load one split of STL-10 as float32 images in [0, 1].

    Parameters
    ----------
    root : str or os.PathLike
        The data folder, holding ``stl10_binary/`` (see the module docstring).
    train : bool, default True
    download : bool, default False
        Fetch missing files with torchvision's downloader (see :func:`read_stl10_split`).
    image_size : int, optional
        Shrink the 96 x 96 images to ``image_size`` x ``image_size`` by averaging blocks of
        pixels (see :func:`pixels_to_float32`); a divisor of 96 (48, 32, 24, ...). Default: 96.

    Returns
    -------
    LabeledArrays
        ``X`` float32 of shape (n, 3, image_size, image_size) (553 MB for the full training
        split at 96, 885 MB for the test split), named ``"stl10/train"`` or ``"stl10/test"``.
    """
    images, labels, class_names = read_stl10_split(root, train=train, download=download)
    return LabeledArrays(
        X=pixels_to_float32(images, image_size=image_size),
        y=labels,
        class_names=class_names,
        name=f"stl10/{'train' if train else 'test'}",
    )
