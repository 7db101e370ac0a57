"""Datasets and the generator's noise: chapter 3's 2-D Gaussian and uniform noise (the source
text's), and MNIST (chapter 5) from Keras's download or the 10,000 digits shipped with ganlib."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.resources
import io
import os
import threading

import numpy as np

from ganlib.checks import check_positive_int


def gaussian_data(n: int = 10_000, center=(5.0, 5.0), std: float = 1.0, seed: int | None = 0):
    """``n`` points of a 2-D Gaussian as a float32 array ``(n, 2)``: the source's real data (centre
    (5, 5), standard deviation 1). Defined in chapter 3."""
    n = check_positive_int("n", n)
    center = np.asarray(center, dtype="float32")
    if center.shape != (2,) or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be two finite numbers (x, y), got {center.tolist()!r}")
    if not np.isfinite(std) or std <= 0:
        raise ValueError(f"std must be a positive number, got {std!r}")
    return (center + std * np.random.default_rng(seed).standard_normal((n, 2))).astype("float32")


def uniform_noise(n: int, latent_dim: int = 4, seed: int | None = None):
    """Generator noise: ``n`` vectors of ``latent_dim`` numbers uniform in [0, 1). Defined in
    chapter 2."""
    n = check_positive_int("n", n)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    return np.random.default_rng(seed).random((n, latent_dim), dtype="float32")


def check_points(name: str, x):
    """Return ``x`` as a float32 array of shape ``(n, 2)``, or raise a ValueError saying why."""
    try:
        x = np.asarray(x, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one row")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


# --- MNIST (chapter 5) ---------------------------------------------------------------------------

MNIST_SOURCES = ("auto", "keras", "bundled")
# What keras.datasets.mnist.load_data downloads (used as is when a cache_dir is given).
_KERAS_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


@dataclasses.dataclass(frozen=True, repr=False)
class MNIST:
    """MNIST images scaled to [-1, 1], shape ``(n, 28, 28, 1)`` float32, labels int64.

    ``source`` is ``"keras"`` (the full 60,000 + 10,000 images from Keras's download) or
    ``"bundled"`` (the 9,000 + 1,000 images shipped in ``ganlib/datasets/mnist_10k.npz``).
    ``fallback_reason`` says why ``source="auto"`` did not use Keras (None otherwise).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    fallback_reason: str | None = None

    def __repr__(self) -> str:
        return (f"MNIST(source={self.source!r}, x_train={self.x_train.shape}, "
                f"x_test={self.x_test.shape})")

    def summary(self) -> str:
        """One line saying which MNIST this is, e.g. ``"MNIST: ganlib's bundled digits, 9,000
        train + 1,000 test (Keras's download unavailable)"``."""
        name = "Keras's download" if self.source == "keras" else "ganlib's bundled digits"
        why = " (Keras's download unavailable)" if self.fallback_reason else ""
        return f"MNIST: {name}, {len(self.x_train):,} train + {len(self.x_test):,} test{why}"


def _mnist_split(name: str, x, y):
    """Check one split of raw MNIST (bytes 0..255) and return it scaled to [-1, 1]."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) == 0:
        raise ValueError(f"MNIST {name} images must have shape (n, 28, 28), got {x.shape}")
    if y.shape != (len(x),):
        raise ValueError(f"MNIST {name} labels must have shape ({len(x)},), got {y.shape}")
    if not (np.issubdtype(x.dtype, np.number) and x.min() >= 0 and x.max() <= 255):
        raise ValueError(f"MNIST {name} images must be pixel values in [0, 255]")
    if not (np.issubdtype(y.dtype, np.integer) and y.min() >= 0 and y.max() <= 9):
        raise ValueError(f"MNIST {name} labels must be integers 0..9")
    x = (x.astype("float32") / np.float32(127.5) - np.float32(1.0))[..., None]
    return x, y.astype("int64")


def _mnist(x_train, y_train, x_test, y_test, source) -> MNIST:
    return MNIST(*_mnist_split("train", x_train, y_train), *_mnist_split("test", x_test, y_test),
                 source)


def _bundled_mnist_file():
    """The shipped 10k MNIST file (a Traversable; see ganlib/datasets/MNIST_LICENSE.md)."""
    return importlib.resources.files("ganlib") / "datasets" / "mnist_10k.npz"


def _load_bundled_mnist() -> MNIST:
    with importlib.resources.as_file(_bundled_mnist_file()) as path:
        with np.load(path, allow_pickle=False) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    return _mnist(*arrays, source="bundled")


def _keras_mnist_arrays(cache_dir):
    """Keras's MNIST as ((x_train, y_train), (x_test, y_test)) uint8 arrays; may download, quietly
    (a failed download would otherwise leave its first line in every chapter's output)."""
    import keras

    with contextlib.redirect_stdout(io.StringIO()):
        if cache_dir is None:
            return keras.datasets.mnist.load_data()  # cache: $KERAS_HOME or ~/.keras/datasets
        path = keras.utils.get_file("mnist.npz", origin=_KERAS_MNIST_URL,
                                    file_hash=_KERAS_MNIST_SHA256, cache_dir=os.fspath(cache_dir))
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _call_with_timeout(fn, timeout):
    """Run ``fn()`` in a daemon thread; raise TimeoutError if it takes over ``timeout`` s.

    Keras's download (urllib.request.urlretrieve) has no timeout of its own and can wait for
    minutes where the network drops packets. A thread that times out is left to finish in the
    background; Keras checks the cached file's hash, so a partial file is redone."""
    if timeout is None:
        return fn()
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="ganlib-load-mnist", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"Keras's MNIST download did not finish within {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result["value"]


def load_mnist(source: str = "auto", cache_dir=None, *, timeout: float | None = 60.0) -> MNIST:
    """MNIST as an :class:`MNIST` object: images in [-1, 1] ``(n, 28, 28, 1)``, int64 labels.

    ``source="auto"`` tries ``keras.datasets.mnist.load_data()`` (60,000 + 10,000 images from
    Keras's cache, else downloaded) and, if that fails for any reason (no network, a download past
    ``timeout`` seconds, a bad file), uses the 9,000 + 1,000 images shipped with ganlib. It prints
    nothing: read ``.source`` and ``.fallback_reason``, or print ``.summary()`` (one line).
    ``source="keras"`` or ``"bundled"`` forces one and raises RuntimeError if it is unavailable.
    ``cache_dir`` is Keras's cache directory (None: ``$KERAS_HOME`` or ``~/.keras``). Defined in
    chapter 5.
    """
    if not isinstance(source, str) or source not in MNIST_SOURCES:
        allowed = ", ".join(map(repr, MNIST_SOURCES))
        raise ValueError(f"source must be one of {allowed}, got {source!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")

    keras_error = None
    if source in ("auto", "keras"):
        try:
            train, test = _call_with_timeout(lambda: _keras_mnist_arrays(cache_dir), timeout)
            return _mnist(*train, *test, source="keras")
        except Exception as exc:  # Keras raises a bare Exception for a failed download
            keras_error = f"{type(exc).__name__}: {exc}"
            if source == "keras":
                raise RuntimeError(f"Keras's MNIST is unavailable ({keras_error}); "
                                   "try load_mnist(source='bundled')") from exc

    try:
        return dataclasses.replace(_load_bundled_mnist(), fallback_reason=keras_error)
    except (OSError, KeyError, ValueError) as exc:
        bundled_error = f"{type(exc).__name__}: {exc}"
        if source == "bundled":
            raise RuntimeError(f"ganlib's bundled MNIST is unavailable ({bundled_error}); rebuild "
                               "it with `python -m ganlib.datasets.make_mnist` or use "
                               "load_mnist(source='keras')") from exc
        raise RuntimeError(f"No MNIST available: Keras's download failed ({keras_error}) and "
                           f"ganlib's bundled file failed ({bundled_error})") from exc
