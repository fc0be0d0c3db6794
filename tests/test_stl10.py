"""STL-10, offline: the reader on small files these tests write in the published binary format
(headerless uint8; each image 3 channels of 96 x 96 pixels in column-major order; labels 1..10),
the block-average downscaling, the messages for missing and damaged files, and load_dataset."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sparsity_widgets.cli import main
from sparsity_widgets.datasets import (
    DATASETS,
    STL10_FOLDER,
    fourier_magnitudes,
    load_dataset,
    load_stl10_split,
    read_stl10_split,
    stl10_files,
)
from sparsity_widgets.datasets import stl10 as stl10_module
from sparsity_widgets.datasets.stl10 import pixels_to_float32

CLASSES = ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")
SIDE = 96
IMAGE_BYTES = 3 * SIDE * SIDE


def column_major_bytes(images: np.ndarray) -> bytes:
    """The bytes of an ``_X.bin`` file, placed by the official description rather than by a
    reshape: pixel (image i, channel c, row r, column k) goes to byte
    ``i * 3 * 96 * 96 + c * 96 * 96 + k * 96 + r`` (channels in turn, each column-major)."""
    assert images.dtype == np.uint8 and images.shape[1:] == (3, SIDE, SIDE)
    out = np.zeros(images.size, dtype=np.uint8)
    i, c, r, k = np.indices(images.shape)
    out[i * IMAGE_BYTES + c * SIDE * SIDE + k * SIDE + r] = images
    return out.tobytes()


def write_split(folder: Path, prefix: str, images: np.ndarray, labels: list[int]) -> None:
    """Write ``{prefix}_X.bin`` and ``{prefix}_y.bin``; ``labels`` as stored, 1..10."""
    (folder / f"{prefix}_X.bin").write_bytes(column_major_bytes(images))
    (folder / f"{prefix}_y.bin").write_bytes(np.asarray(labels, dtype=np.uint8).tobytes())


def patterned_images(n: int, seed: int) -> np.ndarray:
    """Random pixels plus a pattern that tells rows from columns: in every image and channel,
    row 3 is 0 everywhere and column 3 is 255 everywhere except where it crosses row 3."""
    images = np.random.default_rng(seed).integers(1, 255, size=(n, 3, SIDE, SIDE), dtype=np.uint8)
    images[:, :, :, 3] = 255
    images[:, :, 3, :] = 0
    return images


def make_stl10(root: Path) -> dict[str, object]:
    """4 training images (stored labels 1, 2, 1, 2) and 3 test images (3, 10, 1)."""
    folder = root / STL10_FOLDER
    folder.mkdir(parents=True)
    written = {
        "train_images": patterned_images(4, seed=0),
        "train_labels": [1, 2, 1, 2],
        "test_images": patterned_images(3, seed=1),
        "test_labels": [3, 10, 1],
    }
    write_split(folder, "train", written["train_images"], written["train_labels"])
    write_split(folder, "test", written["test_images"], written["test_labels"])
    (folder / "class_names.txt").write_text("\n".join(CLASSES) + "\n")
    return written


@pytest.fixture
def stl10_root(tmp_path):
    return tmp_path, make_stl10(tmp_path)


# --------------------------------------------------------------------------- reading


def test_reads_exactly_what_was_written(stl10_root):
    root, written = stl10_root
    for train, prefix in ((True, "train"), (False, "test")):
        images, labels, names = read_stl10_split(root, train=train)
        expected = written[f"{prefix}_images"]
        assert images.dtype == np.uint8 and images.shape == (len(expected), 3, 96, 96)
        np.testing.assert_array_equal(images, expected)
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(labels, np.asarray(written[f"{prefix}_labels"]) - 1)
        assert names == CLASSES
        split = load_stl10_split(str(root), train=train)
        assert split.name == f"stl10/{prefix}" and split.class_names == CLASSES
        assert split.X.dtype == np.float32 and split.X.flags.c_contiguous
        assert split.X.shape == (len(expected), 3, 96, 96)
        # the pattern holds both ends of the range, and float32 bytes / 255 * 255 is exact
        assert split.X.min() == 0.0 and split.X.max() == 1.0
        np.testing.assert_array_equal(split.X * np.float32(255), expected.astype(np.float32))


def test_orientation_follows_the_official_description(tmp_path):
    """The official page: "the first 96*96 values are the red channel", "column-major". So the
    first 96 bytes are the red column 0 from top to bottom, the next 96 bytes column 1."""
    folder = tmp_path / STL10_FOLDER
    folder.mkdir()
    data = np.zeros(IMAGE_BYTES, dtype=np.uint8)
    data[:96] = np.arange(1, 97)  # red, column 0, rows 0..95
    data[96:192] = 200  # red, column 1
    data[SIDE * SIDE + 5 * SIDE + 70] = 77  # green, column 5, row 70
    (folder / "test_X.bin").write_bytes(data.tobytes())
    (folder / "test_y.bin").write_bytes(bytes([4]))
    (folder / "class_names.txt").write_text("\n".join(CLASSES))
    images, labels, _ = read_stl10_split(tmp_path, train=False)
    red, green, blue = images[0]
    np.testing.assert_array_equal(red[:, 0], np.arange(1, 97))
    np.testing.assert_array_equal(red[:, 1], 200)
    np.testing.assert_array_equal(red[0, :3], [1, 200, 0])  # row 0 crosses the two columns
    assert red[:, 2:].max() == 0
    assert green[70, 5] == 77 and green[5, 70] == 0 and np.count_nonzero(green) == 1
    assert blue.max() == 0 and labels.tolist() == [3]


def test_rows_and_columns_are_not_swapped(stl10_root):
    root, _ = stl10_root
    X = load_stl10_split(root, train=True).X
    assert np.all(X[:, :, 3, :] == 0.0)  # row 3 dark
    rows = np.arange(96) != 3
    assert np.all(X[:, :, rows, 3] == 1.0)  # column 3 bright off row 3
    assert np.all(X[:, :, 3, 4:] == 0.0) and not np.all(X[:, :, 4:, 4] == 1.0)


def test_images_are_read_only_views_on_the_file(stl10_root):
    root, written = stl10_root
    images, _, _ = read_stl10_split(root, train=False)
    assert not images.flags.writeable and not images.flags.c_contiguous
    with pytest.raises(ValueError, match="read-only"):
        images[0, 0, 0, 0] = 1
    copy = np.array(images)
    copy[0, 0, 0, 0] = 1  # a copy is an ordinary array
    np.testing.assert_array_equal(read_stl10_split(root, train=False)[0], written["test_images"])


def test_class_names_with_windows_line_ends_and_a_final_blank_line(stl10_root):
    root, _ = stl10_root
    (root / STL10_FOLDER / "class_names.txt").write_bytes(
        ("\r\n".join(CLASSES) + "\r\n\r\n").encode()
    )
    assert read_stl10_split(root, train=False)[2] == CLASSES


# --------------------------------------------------------------------------- missing files


def test_missing_folder_names_it_the_files_and_the_download_switch(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_stl10_split(tmp_path)
    message = str(info.value)
    assert f"{tmp_path}: missing the folder {STL10_FOLDER}/" in message
    for name in ("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "class_names.txt"):
        assert name in message
    assert "download=True" in message and "--download" in message and "online" in message
    with pytest.raises(FileNotFoundError, match="stl10 is not in the data folder"):
        load_dataset("stl10", root=tmp_path)


@pytest.mark.parametrize("missing", ["test_y.bin", "class_names.txt", "test_X.bin"])
def test_one_missing_file_is_named(stl10_root, missing):
    root, _ = stl10_root
    (root / STL10_FOLDER / missing).unlink()
    with pytest.raises(FileNotFoundError, match=rf"missing {STL10_FOLDER}/{missing}\. It must"):
        read_stl10_split(root, train=False)


# --------------------------------------------------------------------------- damaged files


def test_image_file_of_the_wrong_size_is_rejected(stl10_root):
    root, _ = stl10_root
    path = root / STL10_FOLDER / "train_X.bin"
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    expected = 4 * IMAGE_BYTES - 5
    with pytest.raises(ValueError) as info:
        read_stl10_split(root, train=True)
    message = str(info.value)
    assert str(path) in message and f"multiple of {IMAGE_BYTES} bytes" in message
    assert f"got {expected} bytes" in message and "5000 images, 138240000 bytes" in message
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"non-zero multiple of 27648 bytes .* got 0 bytes"):
        read_stl10_split(root, train=True)


def test_image_and_label_counts_must_agree(stl10_root):
    root, _ = stl10_root
    (root / STL10_FOLDER / "test_y.bin").write_bytes(bytes([1, 2]))
    with pytest.raises(ValueError, match=r"test_X\.bin holds 3 images but .*test_y\.bin holds 2"):
        read_stl10_split(root, train=False)


@pytest.mark.parametrize(("stored", "low", "high"), [([0, 1, 2], 0, 2), ([1, 11, 10], 1, 11)])
def test_labels_outside_1_to_10_are_rejected(stl10_root, stored, low, high):
    root, _ = stl10_root
    (root / STL10_FOLDER / "test_y.bin").write_bytes(bytes(stored))
    with pytest.raises(
        ValueError, match=rf"test_y\.bin: STL-10 labels must lie in 1\.\.10 .* from {low} to {high}"
    ):
        read_stl10_split(root, train=False)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("\n".join(CLASSES[:9]), "got 9 lines"),
        ("\n".join((*CLASSES[:5], "", *CLASSES[5:])), "no blank lines between them; got 11"),
        ("\n".join((*CLASSES, "eleventh")), "got 11 lines"),
    ],
)
def test_bad_class_names_are_rejected(stl10_root, text, match):
    root, _ = stl10_root
    (root / STL10_FOLDER / "class_names.txt").write_text(text)
    with pytest.raises(ValueError, match=rf"class_names\.txt must hold the 10 class .*{match}"):
        read_stl10_split(root, train=False)


def test_class_names_that_are_not_text_are_rejected(stl10_root):
    root, _ = stl10_root
    (root / STL10_FOLDER / "class_names.txt").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match=r"class_names\.txt is not a text file"):
        read_stl10_split(root, train=False)


def test_argument_checks_and_file_names(tmp_path):
    files = stl10_files(tmp_path, train=False)
    assert [p.name for p in files] == ["test_X.bin", "test_y.bin", "class_names.txt"]
    assert all(p.parent == tmp_path / STL10_FOLDER for p in files)
    assert "~" not in str(stl10_files("~")[0])
    with pytest.raises(ValueError, match="train must be True or False; got 'yes'"):
        read_stl10_split(tmp_path, train="yes")
    with pytest.raises(ValueError, match="download must be True or False; got 1"):
        read_stl10_split(tmp_path, download=1)
    with pytest.raises(ValueError, match="root must name the data folder"):
        read_stl10_split(None)


# --------------------------------------------------------------------------- download


def test_download_with_files_present_fetches_nothing(stl10_root, monkeypatch):
    root, written = stl10_root

    def fail(*args):
        raise AssertionError("nothing should be downloaded")

    monkeypatch.setattr(stl10_module, "_download", fail)
    images, _, _ = read_stl10_split(root, train=True, download=True)
    np.testing.assert_array_equal(images, written["train_images"])


def test_download_fetches_missing_files_then_reads_them(tmp_path, monkeypatch):
    calls = []

    def fake_download(base):  # stands in for torchvision's downloader
        calls.append(base)
        make_stl10(base)

    monkeypatch.setattr(stl10_module, "_download", fake_download)
    split = load_stl10_split(tmp_path / "data", train=False, download=True)
    assert calls == [tmp_path / "data"] and split.n_samples == 3


def test_download_without_a_working_torchvision_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision -> ImportError
    with pytest.raises(ImportError, match="download=True fetches stl10 with torchvision's"):
        load_stl10_split(tmp_path, download=True)


# --------------------------------------------------------------------------- downscaling


def block_means(images: np.ndarray, size: int) -> np.ndarray:
    """The mean of each f x f block, pixel by pixel in float64 (the reference)."""
    f = images.shape[-1] // size
    out = np.zeros((*images.shape[:2], size, size))
    for r in range(size):
        for k in range(size):
            block = images[:, :, r * f : (r + 1) * f, k * f : (k + 1) * f]
            out[:, :, r, k] = block.astype(np.float64).mean(axis=(2, 3)) / 255.0
    return out


@pytest.mark.parametrize("size", [48, 32, 1])
def test_image_size_averages_blocks(stl10_root, size):
    root, written = stl10_root
    X = load_stl10_split(root, train=True, image_size=size).X
    assert X.shape == (4, 3, size, size) and X.dtype == np.float32 and X.flags.c_contiguous
    # exact integer sums / (255 f^2) in float64, rounded once to float32: within half a float32
    # ulp (6e-8 relative) of the float64 reference
    np.testing.assert_allclose(X, block_means(written["train_images"], size), rtol=6e-8, atol=0)


def test_image_size_averages_blocks_of_a_known_pattern():
    images = np.zeros((1, 3, 96, 96), dtype=np.uint8)
    images[0, 0, :2, :2] = [[255, 0], [0, 0]]  # one bright pixel in the first 2 x 2 block
    images[0, 1, 94:, 94:] = 255  # a full bright last block
    images[0, 2, 0, :] = 255  # the top row of the blue channel
    X = pixels_to_float32(images, image_size=48)[0]
    assert X[0, 0, 0] == np.float32(0.25) and np.count_nonzero(X[0]) == 1
    assert X[1, 47, 47] == 1.0 and np.count_nonzero(X[1]) == 1
    np.testing.assert_array_equal(X[2, 0, :], 0.5)  # half of each block in the top row
    assert np.count_nonzero(X[2, 1:, :]) == 0


def test_image_size_full_or_none_is_pixel_over_255(stl10_root):
    root, _ = stl10_root
    plain = load_stl10_split(root, train=False).X
    np.testing.assert_array_equal(load_stl10_split(root, train=False, image_size=96).X, plain)


def test_image_size_in_blocks_gives_the_same_result(stl10_root, monkeypatch):
    root, _ = stl10_root
    whole = load_stl10_split(root, train=True, image_size=24).X
    monkeypatch.setattr(stl10_module, "_BLOCK", 3)  # 4 images: blocks of 3 and 1
    np.testing.assert_array_equal(load_stl10_split(root, train=True, image_size=24).X, whole)


def test_image_size_matches_torch_area_interpolation(stl10_root):
    torch = pytest.importorskip("torch")
    root, written = stl10_root
    X = load_stl10_split(root, train=True, image_size=32).X
    pixels = torch.from_numpy(written["train_images"].astype(np.float64) / 255.0)
    area = torch.nn.functional.interpolate(pixels, size=(32, 32), mode="area").numpy()
    # torch's float64 average against ours rounded to float32: half an ulp, 6e-8 relative
    np.testing.assert_allclose(X, area, rtol=6e-8, atol=0)


@pytest.mark.parametrize(
    ("size", "match"),
    [
        (50, r"image_size must divide the image side 96, .* 24, 32, 48, 96\); got 50"),
        (0, r"image_size must be an integer in \[1, 96\]; got 0"),
        (97, r"image_size must be an integer in \[1, 96\]; got 97"),
        (48.0, "image_size must be an integer; got 48.0"),
    ],
)
def test_bad_image_size(stl10_root, size, match):
    root, _ = stl10_root
    with pytest.raises(ValueError, match=match):
        load_stl10_split(root, train=False, image_size=size)


def test_pixels_to_float32_checks_its_input():
    with pytest.raises(ValueError, match=r"uint8 array of shape \(n, C, H, W\); got float32"):
        pixels_to_float32(np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"must be square .* got 4 x 6"):
        pixels_to_float32(np.zeros((1, 3, 4, 6), np.uint8), image_size=2)
    out = pixels_to_float32(np.full((1, 1, 4, 6), 255, np.uint8))  # any shape at full size
    assert out.shape == (1, 1, 4, 6) and np.all(out == 1.0)


# --------------------------------------------------------------------------- load_dataset and CLI


def test_stl10_is_registered_and_suggested():
    assert "stl10" in DATASETS
    with pytest.raises(ValueError, match=r"got 'stl-10'\. Did you mean 'stl10'"):
        load_dataset("stl-10")


def test_load_dataset_end_to_end(stl10_root):
    root, written = stl10_root
    splits = load_dataset("stl10", root=root)
    assert splits.name == "stl10" and splits.sample_shape == (3, 96, 96)
    assert splits.train.X.shape == (4, 3, 96, 96) and splits.test.X.shape == (3, 3, 96, 96)
    assert splits.train.class_names == CLASSES
    np.testing.assert_array_equal(
        splits.test.X * np.float32(255), written["test_images"].astype(np.float32)
    )
    np.testing.assert_array_equal(splits.test.y, [2, 9, 0])
    info = splits.info
    assert info["root"] == str(root) and info["image_size"] == 96
    assert (info["n_train_available"], info["n_test_available"]) == (4, 3)
    json.dumps(info)  # the record is plain data

    small = load_dataset("stl10", root=str(root), n_train=2, n_test=1, random_state=3)
    assert np.bincount(small.train.y).tolist() == [1, 1]  # 2 per class -> 1 per class
    rows = {row.tobytes() for row in splits.train.X}
    assert all(row.tobytes() in rows for row in small.train.X)
    with pytest.raises(ValueError, match="n_train=5 is larger than the 4 samples of stl10/train"):
        load_dataset("stl10", root=root, n_train=5)

    shrunk = load_dataset("stl10", root=root, image_size=48)
    assert shrunk.sample_shape == (3, 48, 48) and shrunk.info["image_size"] == 48
    np.testing.assert_array_equal(
        shrunk.test.X, pixels_to_float32(written["test_images"], image_size=48)
    )
    fourier = load_dataset("stl10", root=root, fourier=True, image_size=32)
    assert fourier.name == "stl10-fourier" and fourier.test.X.shape == (3, 3, 32, 32)
    plain = load_dataset("stl10", root=root, image_size=32)
    np.testing.assert_array_equal(fourier.test.X, fourier_magnitudes(plain.test.X))


def test_load_dataset_image_size_checks(stl10_root):
    root, _ = stl10_root
    with pytest.raises(
        ValueError, match=r"image_size applies to the image sets .*got image_size=14 for 'mnist1d'"
    ):
        load_dataset("mnist1d", image_size=14)
    with pytest.raises(ValueError, match="image_size must be an integer >= 1; got -2"):
        load_dataset("stl10", root=root, image_size=-2)
    with pytest.raises(ValueError, match="image_size must divide the image side 96"):
        load_dataset("stl10", root=root, image_size=40)
    with pytest.raises(ValueError, match="root must name the data folder that holds stl10"):
        load_dataset("stl10")


@pytest.mark.parametrize("command", ["train", "probe"])
def test_the_command_line_lists_stl10(capsys, tmp_path, command):
    pytest.importorskip("torch")
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--dataset", "stl10", "--root", str(tmp_path), "--list-datasets"])
    assert exit_info.value.code == 0
    assert "stl10" in capsys.readouterr().out.splitlines()
