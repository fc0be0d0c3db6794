"""Real data sets, offline: the containers, MNIST-1D, digits, the image readers (on files these
tests write in the published formats), Fourier magnitudes and load_dataset."""

from __future__ import annotations

import gzip
import json
import pickle
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from sparsity_widgets.datasets import (
    DATASETS,
    SYNTHETIC_DATASETS,
    DatasetSplits,
    LabeledArrays,
    fourier_magnitudes,
    image_split_files,
    load_dataset,
    load_image_split,
    load_mnist1d,
    read_image_split,
)
from sparsity_widgets.datasets import fourier as fourier_module
from sparsity_widgets.datasets import images as images_module
from sparsity_widgets.datasets import mnist1d as mnist1d_module

TORCHVISION_MNIST_CLASSES = (
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
)
CIFAR_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


# --------------------------------------------------------------------------- fixture writers


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> None:
    """Write a uint8 array in the IDX format of MNIST (big-endian header, then the bytes)."""
    assert array.dtype == np.uint8
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    payload = header + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as fh:
            fh.write(payload)
    else:
        path.write_bytes(payload)


def make_idx_set(
    root: Path,
    folder: str,
    *,
    n_train: int = 40,
    n_test: int = 20,
    seed: int = 0,
    compress: bool = False,
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0] = 0
        images[1] = 255  # both ends of the range are present
        labels = (np.arange(n) % 10).astype(np.uint8)
        rng.shuffle(labels)
        raw = root / folder / "raw"
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images, compress=compress)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, compress=compress)
        arrays[f"{prefix}_images"], arrays[f"{prefix}_labels"] = images, labels
    return arrays


def make_cifar_set(root: Path, *, per_batch: int = 6, n_test: int = 10) -> dict[str, np.ndarray]:
    """CIFAR-10's python version: pickled dicts, data (n, 3072) uint8 in R, G, B planes."""
    rng = np.random.default_rng(1)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    out: dict[str, list] = {"train_data": [], "train_labels": []}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        entry = {
            "batch_label": name,
            "labels": labels,
            "data": data,
            "filenames": [f"img_{i}.png" for i in range(n)],
        }
        with open(folder / name, "wb") as fh:
            pickle.dump(entry, fh, protocol=2)  # the published files are protocol-2 pickles
        if name == "test_batch":
            out["test_data"], out["test_labels"] = [data], [labels]
        else:
            out["train_data"].append(data)
            out["train_labels"].append(labels)
    meta = {"num_cases_per_batch": per_batch, "label_names": CIFAR_NAMES, "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump(meta, fh, protocol=2)
    return {
        "train_data": np.concatenate(out["train_data"]),
        "train_labels": np.concatenate([np.asarray(v) for v in out["train_labels"]]),
        "test_data": out["test_data"][0],
        "test_labels": np.asarray(out["test_labels"][0]),
    }


def python2_pickle(data: np.ndarray, labels: list[int]) -> bytes:
    """A batch dict pickled the way Python 2 and numpy 1 wrote the published CIFAR-10 files:
    protocol 2, byte strings as ``str`` (BINSTRING), the array rebuilt by
    ``numpy.core.multiarray._reconstruct``. Written opcode by opcode (see ``pickletools``)."""

    def text(b: bytes) -> bytes:  # SHORT_BINSTRING / BINSTRING
        return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b

    def integer(v: int) -> bytes:  # BININT
        return b"J" + struct.pack("<i", v)

    dtype = (
        b"cnumpy\ndtype\n"
        + text(b"u1")
        + integer(0)
        + integer(1)
        + b"\x87R"
        + b"("
        + integer(3)
        + text(b"|")
        + b"NNN"
        + integer(-1)
        + integer(-1)
        + integer(0)
        + b"tb"
    )
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        + b"cnumpy\nndarray\n"
        + integer(0)
        + b"\x85"
        + text(b"b")
        + b"\x87R"
        + b"("
        + integer(1)
        + integer(data.shape[0])
        + integer(data.shape[1])
        + b"\x86"
        + dtype
        + b"\x89"
        + text(data.tobytes())
        + b"tb"
    )
    label_list = b"](" + b"".join(integer(v) for v in labels) + b"e"
    return (
        b"\x80\x02}("
        + text(b"batch_label")
        + text(b"testing batch 1 of 1")
        + text(b"labels")
        + label_list
        + text(b"data")
        + array
        + b"u."
    )


@pytest.fixture
def mnist_root(tmp_path):
    return tmp_path, make_idx_set(tmp_path, "MNIST")


@pytest.fixture
def cifar_root(tmp_path):
    return tmp_path, make_cifar_set(tmp_path)


def make_arrays(n=6, shape=(1, 4), classes=("a", "b", "c"), name="toy"):
    X = np.arange(n * int(np.prod(shape)), dtype=np.float32).reshape(n, *shape)
    y = (np.arange(n) % len(classes)).astype(np.int64)
    return LabeledArrays(X=X, y=y, class_names=classes, name=name)


# --------------------------------------------------------------------------- containers


def test_labeled_arrays_properties_subset_and_flat():
    data = make_arrays(n=6, shape=(2, 3))
    assert data.n_samples == len(data) == 6
    assert data.sample_shape == (2, 3)
    assert data.n_classes == 3
    assert "toy" in repr(data) and "(6, 2, 3)" in repr(data)
    flat = data.flat()
    assert flat.shape == (6, 6) and flat.dtype == np.float32
    assert np.shares_memory(flat, data.X)
    part = data.subset([4, 0])
    np.testing.assert_array_equal(part.X, data.X[[4, 0]])
    np.testing.assert_array_equal(part.y, [1, 0])
    assert part.class_names == data.class_names and part.name == "toy"
    mask = data.y == 2
    assert data.subset(mask).n_samples == 2
    with pytest.raises(ValueError, match="has no samples"):
        data.subset([])
    with pytest.raises(ValueError, match=r"indices must lie in \[-6, 5\]"):
        data.subset([6])
    with pytest.raises(ValueError, match=r"boolean mask .* must have shape"):
        data.subset(np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="integer positions"):
        data.subset([0.5])


def test_labeled_arrays_stores_c_contiguous_and_a_tuple_of_names():
    X = np.asfortranarray(np.ones((4, 3, 2), dtype=np.float32))
    data = LabeledArrays(X=X, y=np.zeros(4, dtype=np.int64), class_names=["only"], name="f")
    assert data.X.flags.c_contiguous and data.class_names == ("only",)


def test_labeled_arrays_validation_messages():
    X, y = np.zeros((3, 2), np.float32), np.zeros(3, np.int64)
    with pytest.raises(ValueError, match="X must be a float32 ndarray; got dtype float64"):
        LabeledArrays(X=X.astype(np.float64), y=y, class_names=("a",), name="n")
    with pytest.raises(ValueError, match=r"ndim >= 2; got shape \(3,\)"):
        LabeledArrays(X=np.zeros(3, np.float32), y=y, class_names=("a",), name="n")
    with pytest.raises(ValueError, match=r"y must be an int64 ndarray .* got dtype int32"):
        LabeledArrays(X=X, y=y.astype(np.int32), class_names=("a",), name="n")
    with pytest.raises(ValueError, match="X has 3 samples but y has 2 labels"):
        LabeledArrays(X=X, y=y[:2], class_names=("a",), name="n")
    with pytest.raises(ValueError, match="'empty' has no samples"):
        LabeledArrays(X=X[:0], y=y[:0], class_names=("a",), name="empty")
    with pytest.raises(ValueError, match=r"labels must lie in 0..1 .* from 0 to 2"):
        LabeledArrays(X=X, y=np.array([0, 1, 2]), class_names=("a", "b"), name="n")
    with pytest.raises(ValueError, match=r"labels must lie in 0..1 .* from -1 to 0"):
        LabeledArrays(X=X, y=np.array([0, -1, 0]), class_names=("a", "b"), name="n")
    with pytest.raises(ValueError, match="class_names must be a tuple of str"):
        LabeledArrays(X=X, y=y, class_names="ab", name="n")
    with pytest.raises(ValueError, match="non-empty tuple of str"):
        LabeledArrays(X=X, y=y, class_names=(), name="n")


def test_to_tensor_dataset_keeps_values_and_dtypes():
    torch = pytest.importorskip("torch")
    data = make_arrays(n=5, shape=(1, 3))
    ds = data.to_tensor_dataset()
    X, y = ds.tensors
    assert X.dtype == torch.float32 and y.dtype == torch.int64 and len(ds) == 5
    np.testing.assert_array_equal(X.numpy(), data.X)
    np.testing.assert_array_equal(y.numpy(), data.y)


def test_dataset_splits_checks_the_pair():
    a = make_arrays(shape=(1, 4))
    assert DatasetSplits("toy", a, a, {}).sample_shape == (1, 4)
    with pytest.raises(ValueError, match="one shape; got \\(1, 4\\) and \\(2, 2\\)"):
        DatasetSplits("toy", a, make_arrays(shape=(2, 2)), {})
    with pytest.raises(ValueError, match="share class_names"):
        DatasetSplits("toy", a, make_arrays(classes=("x", "y", "z")), {})
    with pytest.raises(ValueError, match="test must be a LabeledArrays"):
        DatasetSplits("toy", a, None, {})


# --------------------------------------------------------------------------- MNIST-1D


def test_mnist1d_defaults_are_the_packages():
    from mnist1d.data import get_dataset_args

    args = get_dataset_args()
    assert (args.seed, args.num_samples) == (
        mnist1d_module.MNIST1D_SEED,
        mnist1d_module.MNIST1D_NUM_SAMPLES,
    )
    assert args.train_split == mnist1d_module._TRAIN_SPLIT


def test_mnist1d_standard_split():
    splits = load_mnist1d()
    assert splits.train.X.shape == (4000, 1, 40) and splits.test.X.shape == (1000, 1, 40)
    assert splits.train.X.dtype == np.float32 and splits.train.y.dtype == np.int64
    assert set(np.unique(splits.train.y)) == set(range(10))
    assert splits.info["seed"] == 42 and splits.info["num_samples"] == 5000
    assert splits.train.name == "mnist1d/train" and splits.test.name == "mnist1d/test"
    # the generator standardises the whole set (in float64: mean 2e-11); what is left is the
    # float32 storage and a float32 mean over 200 000 values, ~1e-6, far inside 1e-3
    both = np.concatenate([splits.train.X.ravel(), splits.test.X.ravel()])
    assert abs(both.mean()) < 1e-3 and abs(both.std() - 1) < 1e-3


def test_mnist1d_matches_the_generator_and_restores_global_rngs():
    from mnist1d.data import get_dataset_args, make_dataset

    misses = mnist1d_module._generate.cache_info().misses
    np.random.seed(123)  # noqa: NPY002 (the global RNG is what is tested)
    random.seed(123)
    splits = load_mnist1d(seed=3, num_samples=60)
    assert mnist1d_module._generate.cache_info().misses == misses + 1  # it did generate
    after = (np.random.random(3), [random.random() for _ in range(3)])  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002 (the global RNG is what is tested)
    random.seed(123)
    expected = (np.random.random(3), [random.random() for _ in range(3)])  # noqa: NPY002
    np.testing.assert_array_equal(after[0], expected[0])
    assert after[1] == expected[1]

    # the generator itself does reseed both global RNGs: the guard above is needed
    args = get_dataset_args()
    args.seed, args.num_samples = 3, 60
    np.random.seed(123)  # noqa: NPY002 (the global RNG is what is tested)
    random.seed(123)
    reference = make_dataset(args)
    assert not np.array_equal(np.random.random(3), expected[0])  # noqa: NPY002
    assert random.random() != expected[1][0]

    assert splits.train.X.shape == (48, 1, 40) and splits.test.X.shape == (12, 1, 40)
    np.testing.assert_array_equal(splits.train.X[:, 0], reference["x"].astype(np.float32))
    np.testing.assert_array_equal(splits.test.X[:, 0], reference["x_test"].astype(np.float32))
    np.testing.assert_array_equal(splits.train.y, reference["y"])
    np.testing.assert_array_equal(splits.test.y, reference["y_test"])


def test_mnist1d_is_cached_deterministic_and_hands_out_copies():
    first = load_mnist1d(seed=5, num_samples=50)
    first.train.X[:] = 0.0  # changing a returned copy must not reach the cache
    second = load_mnist1d(seed=5, num_samples=50)
    assert mnist1d_module._generate.cache_info().hits >= 1
    assert second.train.X.any()
    other = load_mnist1d(seed=6, num_samples=50)
    assert not np.array_equal(second.train.X, other.train.X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_samples": 55}, "multiple of 10 .* got 55. Try 50"),
        ({"num_samples": 5}, "num_samples must be an integer >= 10"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 1.5}, "seed must be an integer"),
    ],
)
def test_mnist1d_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_mnist1d(**kwargs)


# --------------------------------------------------------------------------- image files


@pytest.mark.parametrize(
    ("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
@pytest.mark.parametrize("compress", [False, True])
def test_idx_sets_load_exactly_what_was_written(tmp_path, name, folder, compress):
    written = make_idx_set(tmp_path, folder, compress=compress)
    for train, prefix in ((True, "train"), (False, "t10k")):
        images, labels, names = read_image_split(name, tmp_path, train=train)
        assert images.dtype == np.uint8 and images.shape == (
            len(written[f"{prefix}_images"]),
            1,
            28,
            28,
        )
        np.testing.assert_array_equal(images[:, 0], written[f"{prefix}_images"])
        np.testing.assert_array_equal(labels, written[f"{prefix}_labels"])
        assert labels.dtype == np.int64
        split = load_image_split(name, str(tmp_path), train=train)
        assert split.X.dtype == np.float32 and split.X.flags.c_contiguous
        assert split.X.min() == 0.0 and split.X.max() == 1.0
        np.testing.assert_array_equal(split.X * np.float32(255), images.astype(np.float32))
        assert split.name == f"{name}/{prefix.replace('t10k', 'test')}"
    if name == "mnist":
        assert names == TORCHVISION_MNIST_CLASSES
    else:
        assert names[0] == "T-shirt/top" and names[9] == "Ankle boot" and len(names) == 10


def test_cifar10_loads_exactly_what_was_written(cifar_root):
    root, written = cifar_root
    train = load_image_split("cifar10", root, train=True)
    test = load_image_split("cifar10", root, train=False)
    assert train.X.shape == (30, 3, 32, 32) and test.X.shape == (10, 3, 32, 32)
    assert train.class_names == tuple(CIFAR_NAMES)
    np.testing.assert_array_equal(train.y, written["train_labels"])
    np.testing.assert_array_equal(test.y, written["test_labels"])
    images, _, _ = read_image_split("cifar10", root, train=True)
    np.testing.assert_array_equal(images.reshape(30, -1), written["train_data"])
    # channel planes: the first 1024 values of a row are the red 32 x 32 image, row by row
    np.testing.assert_array_equal(images[2, 0, 1, :], written["train_data"][2, 32:64])
    np.testing.assert_array_equal(images[2, 2, 31, 31], written["train_data"][2, 3071])
    np.testing.assert_allclose(  # float32 bytes / 255 against float64: 6e-8 relative
        test.X, written["test_data"].reshape(10, 3, 32, 32) / 255.0, rtol=1e-6
    )
    assert 0.0 <= train.X.min() and train.X.max() <= 1.0


def test_cifar_batches_pickled_by_python2_load(cifar_root):
    root, _ = cifar_root
    data = np.random.default_rng(3).integers(0, 256, size=(4, 3072), dtype=np.uint8)
    data[0, :300] = np.arange(300) % 256  # every byte value, high ones included (latin-1)
    blob = python2_pickle(data, [9, 0, 3, 3])
    (root / "cifar-10-batches-py" / "test_batch").write_bytes(blob)
    images, labels, _ = read_image_split("cifar10", root, train=False)
    np.testing.assert_array_equal(images.reshape(4, -1), data)
    np.testing.assert_array_equal(labels, [9, 0, 3, 3])


def test_image_readers_agree_with_torchvision_where_it_imports(tmp_path):
    """Cross-check against torchvision's own classes (md5 checks of CIFAR-10 off for the test)."""
    try:
        from torchvision import datasets as tv
    except Exception as exc:  # a CUDA torchvision beside a CPU torch fails with RuntimeError
        pytest.skip(f"torchvision does not import here ({type(exc).__name__}: {exc})")
    make_idx_set(tmp_path, "MNIST")
    make_cifar_set(tmp_path)
    ours = load_image_split("mnist", tmp_path, train=False)
    theirs = tv.MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(ours.X[:, 0] * np.float32(255), theirs.data.numpy())
    np.testing.assert_array_equal(ours.y, theirs.targets.numpy())
    assert ours.class_names == tuple(theirs.classes)

    class NoChecksumCIFAR10(tv.CIFAR10):
        train_list: ClassVar = [[name, None] for name, _ in tv.CIFAR10.train_list]
        test_list: ClassVar = [[name, None] for name, _ in tv.CIFAR10.test_list]
        meta: ClassVar = {**tv.CIFAR10.meta, "md5": None}

    ours = load_image_split("cifar10", tmp_path, train=True)
    theirs = NoChecksumCIFAR10(str(tmp_path), train=True)
    np.testing.assert_array_equal(ours.X * np.float32(255), theirs.data.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(ours.y, theirs.targets)
    assert ours.class_names == tuple(theirs.classes)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "cifar10"])
def test_missing_files_name_the_folder_the_files_and_the_download_switch(tmp_path, name):
    folder, first = {
        "mnist": ("MNIST/raw/", "train-images-idx3-ubyte"),
        "fashion-mnist": ("FashionMNIST/raw/", "train-labels-idx1-ubyte"),
        "cifar10": ("cifar-10-batches-py/", "data_batch_1"),
    }[name]
    with pytest.raises(FileNotFoundError) as info:
        load_image_split(name, tmp_path)
    message = str(info.value)
    assert f"{tmp_path}: missing the folder {folder}" in message and first in message
    assert "download=True" in message and "--download" in message
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_dataset(name, root=tmp_path)


def test_missing_cifar_meta_is_named(cifar_root):
    root, _ = cifar_root
    (root / "cifar-10-batches-py" / "batches.meta").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing cifar-10-batches-py/batches\.meta"):
        load_image_split("cifar10", root, train=False)


def test_download_with_files_present_fetches_nothing(mnist_root, monkeypatch):
    root, written = mnist_root

    def fail(*args):
        raise AssertionError("nothing should be downloaded")

    monkeypatch.setattr(images_module, "_download", fail)
    images, _, _ = read_image_split("mnist", root, train=True, download=True)
    np.testing.assert_array_equal(images[:, 0], written["train_images"])


def test_download_fetches_missing_files_then_reads_them(tmp_path, monkeypatch):
    calls = []

    def fake_download(name, base):  # stands in for torchvision's downloader
        calls.append((name, base))
        make_idx_set(base, "FashionMNIST", n_train=12, n_test=10)

    monkeypatch.setattr(images_module, "_download", fake_download)
    split = load_image_split("fashion-mnist", tmp_path / "data", train=False, download=True)
    assert calls == [("fashion-mnist", tmp_path / "data")] and split.n_samples == 10


def test_download_without_a_working_torchvision_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision -> ImportError
    with pytest.raises(ImportError, match="download=True fetches mnist with torchvision's"):
        load_image_split("mnist", tmp_path, download=True)


def test_damaged_idx_files_are_rejected(mnist_root):
    root, _ = mnist_root
    raw = root / "MNIST" / "raw"
    path = raw / "t10k-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with pytest.raises(ValueError, match=r"truncated or padded: .* shape \(20, 28, 28\)"):
        read_image_split("mnist", root, train=False)
    path.write_bytes(b"\x01\x02" + data[2:])
    with pytest.raises(ValueError, match="is not an IDX file"):
        read_image_split("mnist", root, train=False)
    write_idx(path, np.zeros((19, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"holds 19 images but .* holds 20 labels"):
        read_image_split("mnist", root, train=False)
    write_idx(path, np.zeros((20, 784), np.uint8))
    with pytest.raises(ValueError, match="uint8 images of shape \\(n, height, width\\)"):
        read_image_split("mnist", root, train=False)
    write_idx(path, np.zeros((20, 28, 28), np.uint8))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.full(20, 10, np.uint8))
    with pytest.raises(ValueError, match=r"labels must lie in 0..9"):
        read_image_split("mnist", root, train=False)


class _Sneaky:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_cifar_pickles_that_would_run_code_are_refused(cifar_root, capsys):
    root, _ = cifar_root
    with open(root / "cifar-10-batches-py" / "test_batch", "wb") as fh:
        pickle.dump({"data": _Sneaky(), "labels": []}, fh, protocol=2)
    with pytest.raises(ValueError, match=r"refusing to load (__builtin__|builtins)\.print"):
        read_image_split("cifar10", root, train=False)
    assert "must never run" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"data": np.zeros((2, 3072), np.float32), "labels": [0, 1]}, "'data' must be a uint8"),
        ({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, r"shape \(n, 3072\)"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": [0]}, "one label per image \\(2\\)"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}, "must lie in 0..9"),
        ([1, 2, 3], "must hold a dict; got list"),
    ],
)
def test_malformed_cifar_batches_are_rejected(cifar_root, entry, match):
    root, _ = cifar_root
    with open(root / "cifar-10-batches-py" / "test_batch", "wb") as fh:
        pickle.dump(entry, fh, protocol=2)
    with pytest.raises(ValueError, match=match):
        read_image_split("cifar10", root, train=False)


def test_truncated_cifar_batch_is_rejected(cifar_root):
    root, _ = cifar_root
    path = root / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="data_batch_3 could not be unpickled"):
        read_image_split("cifar10", root, train=True)


def test_image_split_files_and_argument_checks(tmp_path):
    files = image_split_files("cifar10", tmp_path, train=False)
    assert [p.name for p in files] == ["test_batch", "batches.meta"]
    assert image_split_files("mnist", "~", train=True)[0].parts[-3:] == (
        "MNIST",
        "raw",
        "train-images-idx3-ubyte",
    )
    assert "~" not in str(image_split_files("mnist", "~")[0])
    with pytest.raises(ValueError, match="name must be one of 'mnist', 'fashion-mnist'"):
        read_image_split("svhn", tmp_path)
    with pytest.raises(ValueError, match="root must name the data folder"):
        read_image_split("mnist", None)
    with pytest.raises(ValueError, match="train must be True or False"):
        read_image_split("mnist", tmp_path, train="yes")


# --------------------------------------------------------------------------- Fourier magnitudes


def test_fourier_magnitudes_match_numpy_fft():
    rng = np.random.default_rng(0)
    signals = rng.standard_normal((3, 2, 9)).astype(np.float32)
    out = fourier_magnitudes(signals)
    expected = np.abs(np.fft.fftshift(np.fft.fft(signals.astype(np.float64), axis=-1), axes=-1))
    assert out.dtype == np.float32 and out.shape == signals.shape
    # float32 output against float64: rounding ~6e-8 relative plus the FFT's ~n eps32 sum|x|
    # < 1e-6 absolute (magnitudes can be ~0, hence atol)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    images = rng.random((2, 3, 6, 5))
    out = fourier_magnitudes(images, log1p=True)
    expected = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(images), axes=(-2, -1))))
    assert out.shape == images.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_a_pure_cosine_has_two_peaks_around_the_centre():
    length, k = 16, 3
    t = np.arange(length)
    signal = np.cos(2 * np.pi * k * t / length)[None, None, :]
    out = fourier_magnitudes(signal)[0, 0]
    # off the peaks the exact transform is 0, computed as <= 16 eps32 ~ 2e-6 (threshold 1e-4);
    # the peaks are float32 values of n / 2 and n: a few eps32 ~ 1e-7 relative
    peaks = np.flatnonzero(out > 1e-4)
    np.testing.assert_array_equal(peaks, [length // 2 - k, length // 2 + k])
    np.testing.assert_allclose(out[peaks], length / 2, rtol=1e-6)
    # 2-D: a cosine along the rows only; the constant image puts its sum at the centre
    h, w = 8, 6
    image = np.cos(2 * np.pi * 2 * np.arange(h) / h)[:, None] * np.ones((1, w))
    out = fourier_magnitudes(np.stack([image, np.ones((h, w))])[None])[0]
    assert set(zip(*np.nonzero(out[0] > 1e-4), strict=True)) == {(2, 3), (6, 3)}
    np.testing.assert_allclose(out[0, 2, 3], h * w / 2, rtol=1e-6)
    assert list(zip(*np.nonzero(out[1] > 1e-4), strict=True)) == [(4, 3)]
    np.testing.assert_allclose(out[1, 4, 3], h * w, rtol=1e-6)


def test_fourier_magnitudes_blocks_give_the_same_result(monkeypatch):
    X = np.random.default_rng(2).random((7, 1, 4, 4)).astype(np.float32)
    whole = fourier_magnitudes(X)
    monkeypatch.setattr(fourier_module, "_BLOCK", 3)
    np.testing.assert_array_equal(fourier_magnitudes(X), whole)


@pytest.mark.parametrize(
    ("X", "kwargs", "match"),
    [
        (np.zeros((4, 2)), {}, r"\(n, C, L\) for signals or \(n, C, H, W\) .* got shape \(4, 2\)"),
        (np.zeros((0, 1, 4)), {}, "X has no samples"),
        (np.zeros((2, 1, 4), complex), {}, "real numbers; got an array of dtype complex128"),
        (np.zeros((2, 1, 4)), {"log1p": 1}, "log1p must be True or False"),
    ],
)
def test_fourier_magnitudes_bad_input(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fourier_magnitudes(X, **kwargs)


# --------------------------------------------------------------------------- load_dataset


def test_dataset_names():
    assert DATASETS == (
        "mnist1d",
        "digits",
        "spiral",
        "circles",
        "gaussian-quantiles",
        "blocks",
        "smooth-domain",
        "mnist",
        "fashion-mnist",
        "cifar10",
        "stl10",
    )
    assert set(SYNTHETIC_DATASETS) < set(DATASETS)


@pytest.mark.parametrize(
    ("name", "close"),
    [("fashion_mnist", "fashion-mnist"), ("cifar-10", "cifar10"), ("MNIST1D", "mnist1d")],
)
def test_unknown_name_lists_the_valid_ones_and_the_closest(name, close):
    with pytest.raises(
        ValueError,
        match=f"name must be one of mnist1d, digits, .*cifar10, stl10; got "
        f"'{name}'. Did you mean '{close}'",
    ):
        load_dataset(name)


def test_load_mnist1d_full_and_stratified_subsets():
    full = load_dataset("mnist1d")
    assert full.name == "mnist1d" and full.train.X.shape == (4000, 1, 40)
    assert full.test.X.shape == (1000, 1, 40)
    assert full.info["seed"] == 42 and full.info["n_train"] == 4000
    small = load_dataset("mnist1d", n_train=200, n_test=50, random_state=3)
    assert small.train.n_samples == 200 and small.test.n_samples == 50
    assert small.info["n_train_available"] == 4000 and small.info["random_state"] == 3
    for part, n in ((small.train, 200), (small.test, 50)):
        whole = getattr(full, part.name.split("/")[1])
        counts = np.bincount(whole.y, minlength=10) * n / whole.n_samples
        got = np.bincount(part.y, minlength=10)
        # integer counts of a stratified draw: each class rounds its share, so < 1 off
        assert np.all(np.abs(got - counts) < 1), (got, counts)
    # the subset is drawn from the full split, and reproducible from random_state
    rows = {row.tobytes() for row in full.train.X}
    assert all(row.tobytes() in rows for row in small.train.X)
    again = load_dataset("mnist1d", n_train=200, n_test=50, random_state=3)
    np.testing.assert_array_equal(again.train.X, small.train.X)
    other = load_dataset("mnist1d", n_train=200, n_test=50, random_state=4)
    assert not np.array_equal(other.train.X, small.train.X)
    with pytest.raises(
        ValueError,
        match="n_train=4001 is larger than the 4000 samples of mnist1d/train; pass n_train <= 4000",
    ):
        load_dataset("mnist1d", n_train=4001)
    with pytest.raises(ValueError, match="n_test=1001 is larger than the 1000"):
        load_dataset("mnist1d", n_test=1001)


def test_load_mnist1d_fourier():
    splits = load_dataset("mnist1d", n_train=30, n_test=20, fourier=True)
    plain = load_dataset("mnist1d", n_train=30, n_test=20)
    assert splits.name == "mnist1d-fourier" and splits.train.name == "mnist1d-fourier/train"
    np.testing.assert_array_equal(splits.train.X, fourier_magnitudes(plain.train.X))
    np.testing.assert_array_equal(splits.test.y, plain.test.y)
    assert splits.info["fourier"] is True


def test_load_digits_is_a_seeded_stratified_split():
    splits = load_dataset("digits")
    assert splits.train.X.shape == (1347, 1, 8, 8) and splits.test.X.shape == (450, 1, 8, 8)
    assert splits.train.X.min() == 0.0 and splits.train.X.max() == 1.0
    counts = np.bincount(splits.test.y, minlength=10)
    total = counts + np.bincount(splits.train.y, minlength=10)
    # integer counts: a stratified 25% split rounds each class's share, at most 1 off
    assert np.all(np.abs(counts - total * 0.25) <= 1)
    same = load_dataset("digits")
    np.testing.assert_array_equal(same.train.X, splits.train.X)
    other = load_dataset("digits", random_state=1)
    assert not np.array_equal(other.train.y, splits.train.y)
    assert load_dataset("digits", n_test=100).test.n_samples == 100


@pytest.mark.parametrize("name", sorted(SYNTHETIC_DATASETS))
def test_load_synthetic_sets(name):
    splits = load_dataset(name, random_state=2)
    assert splits.train.X.shape == (4000, 2) and splits.test.X.shape == (1000, 2)
    assert splits.train.X.dtype == np.float32 and splits.train.n_classes == 2
    assert not np.array_equal(splits.train.X[:1000], splits.test.X)  # independent draws
    again = load_dataset(name, random_state=2, n_train=50, n_test=20)
    assert again.train.n_samples == 50 and again.test.n_samples == 20
    assert splits.info["train_seed"] != splits.info["test_seed"]
    with pytest.raises(
        ValueError, match=f"n_train must be at least 2 for the generated set '{name}'; got 1"
    ):
        load_dataset(name, n_train=1)
    with pytest.raises(ValueError, match=r"fourier=True needs signals .* shape \(2,\)"):
        load_dataset(name, fourier=True)


def test_load_image_sets_from_a_folder(tmp_path):
    written = make_idx_set(tmp_path, "MNIST", n_train=40, n_test=20)
    make_cifar_set(tmp_path)
    mnist = load_dataset("mnist", root=tmp_path)
    np.testing.assert_array_equal(
        mnist.train.X[:, 0] * np.float32(255), written["train_images"].astype(np.float32)
    )
    assert mnist.info["root"] == str(tmp_path) and mnist.info["n_test_available"] == 20
    sub = load_dataset("mnist", root=str(tmp_path), n_train=20, n_test=10, random_state=5)
    assert np.bincount(sub.train.y).tolist() == [2] * 10  # 4 per class -> 2 per class
    assert np.bincount(sub.test.y).tolist() == [1] * 10
    picked = {row.tobytes() for row in mnist.train.X}
    assert all(row.tobytes() in picked for row in sub.train.X)
    with pytest.raises(ValueError, match="n_train=41 is larger than the 40 samples of mnist/train"):
        load_dataset("mnist", root=tmp_path, n_train=41)
    cifar = load_dataset("cifar10", root=tmp_path, fourier=True)
    assert cifar.name == "cifar10-fourier" and cifar.test.X.shape == (10, 3, 32, 32)
    assert cifar.train.class_names == tuple(CIFAR_NAMES)
    plain = load_dataset("cifar10", root=tmp_path)
    np.testing.assert_array_equal(cifar.test.X, fourier_magnitudes(plain.test.X))
    json.dumps(cifar.info)  # the record is plain data


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "mnist"}, "root must name the data folder that holds mnist"),
        ({"name": "digits", "random_state": -1}, "random_state must be an integer >= 0"),
        ({"name": "digits", "n_train": 0}, "n_train must be an integer >= 1"),
        ({"name": "digits", "n_test": "5"}, "n_test must be an integer; got '5'"),
        ({"name": "digits", "fourier": "yes"}, "fourier must be True or False"),
        ({"name": "digits", "download": 1}, "download must be True or False"),
        ({"name": "digits", "n_train": 2000}, "larger than the 1347 samples of digits/train"),
    ],
)
def test_load_dataset_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(**kwargs)


def test_importing_datasets_leaves_heavy_packages_out():
    heavy = ["torch", "torchvision", "mnist1d", "matplotlib"]
    code = (
        "import json, sys, sparsity_widgets.datasets\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []
