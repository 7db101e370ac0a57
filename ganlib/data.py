"""Datasets and the generator's noise.

Chapter 3's real data is the source text's: points from a 2-D Gaussian centred at (5, 5) with
standard deviation 1. The generator's noise is 4 numbers drawn uniformly from [0, 1).
"""

from __future__ import annotations

import numpy as np


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def gaussian_data(n: int = 10_000, center=(5.0, 5.0), std: float = 1.0, seed: int | None = 0):
    """Return ``n`` points of a 2-D Gaussian as a float32 array of shape ``(n, 2)``.

    Defined in chapter 3 (the source's real data: centre (5, 5), standard deviation 1).
    """
    n = _check_positive_int("n", n)
    center = np.asarray(center, dtype="float32")
    if center.shape != (2,) or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be two finite numbers (x, y), got {center.tolist()!r}")
    if not np.isfinite(std) or std <= 0:
        raise ValueError(f"std must be a positive number, got {std!r}")
    rng = np.random.default_rng(seed)
    return (center + std * rng.standard_normal((n, 2))).astype("float32")


def uniform_noise(n: int, latent_dim: int = 4, seed: int | None = None, rng=None):
    """Return generator noise: ``n`` vectors of ``latent_dim`` numbers uniform in [0, 1).

    Pass either ``seed`` or a ``numpy.random.Generator`` as ``rng``. Defined in chapter 2.
    """
    n = _check_positive_int("n", n)
    latent_dim = _check_positive_int("latent_dim", latent_dim)
    rng = np.random.default_rng(seed) if rng is None else rng
    return rng.random((n, latent_dim), dtype="float32")


def check_points(name: str, x, dim: int = 2):
    """Return ``x`` as a float32 array of shape ``(n, dim)``, or raise a ValueError saying why."""
    try:
        x = np.asarray(x, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (n, {dim}), got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one row")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x
