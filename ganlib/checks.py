"""Validation helpers shared by every module: each raises a one-line ``ValueError`` that names
the argument, before any work starts (the course's rule for bad input)."""

from __future__ import annotations

import math

import numpy as np

_SIGNS = {"finite": lambda v: True, "positive": lambda v: v > 0, "non-negative": lambda v: v >= 0}


def is_int(value) -> bool:
    """True for a whole number, Python's or NumPy's (a bool is not one)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value) -> bool:
    """True for a real number, Python's or NumPy's (a bool is not one)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_positive_int(name: str, value) -> int:
    """``value`` as an int if it is a whole number of 1 or more (not a bool), else ValueError."""
    if not is_int(value) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative_int(name: str, value) -> int:
    """``value`` as an int if it is a whole number of 0 or more (not a bool), else ValueError."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_number(name: str, value, sign: str = "finite") -> float:
    """``value`` as a float if a finite number (not a bool) that is ``sign``, else ValueError."""
    if not (is_number(value) and math.isfinite(value) and _SIGNS[sign](value)):
        raise ValueError(f"{name} must be a {sign} number, got {value!r}")
    return float(value)


def check_choice(name: str, value, choices: tuple):
    """``value`` if it is one of ``choices``, else a ValueError naming ``name`` and the choices."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_type(name: str, value, cls, what: str | None = None):
    """``value`` if it is a ``cls`` (named ``what`` in the error, if given), else a ValueError."""
    if not isinstance(value, cls):
        raise ValueError(f"{name} must be a {what or cls.__name__}, got {type(value).__name__}")
    return value


def check_array(name: str, value, what: str = "numbers", dtype=None) -> np.ndarray:
    """``value`` as a NumPy array (of ``dtype``), else a ValueError: "an array of ``what``"."""
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of {what}, got {type(value).__name__}") from exc


def check_batch(name: str, x, shape, n=None) -> np.ndarray:
    """``x`` as float32 ``(n, *shape)`` (``n`` rows, any number but 0 if None), else ValueError."""
    x = check_array(name, x, dtype="float32")
    if x.ndim == 0 or x.shape[1:] != tuple(shape) or n not in (None, len(x)):
        raise ValueError(f"{name} must have shape ({n or 'n'}, {', '.join(map(str, shape))}), got {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{name} is empty: it needs at least one row")
    return x


def check_images(name: str, images, channels: int = 1, min_n: int = 1, n=None) -> np.ndarray:
    """``images`` as float32 ``(n, 28, 28, channels)`` (or ``(n, 28, 28)``, one channel), at least
    ``min_n``, ``n`` unless None, in [-1, 1] (rounding errors outside: clipped); else ValueError."""
    x = check_array(name, images, "images")
    if x.dtype == bool or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{name} must hold numbers in [-1, 1], got dtype {x.dtype}")
    if x.ndim == 3 and channels == 1:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, channels) or n not in (None, len(x)):
        raise ValueError(f"{name} must have shape ({n or 'n'}, 28, 28, {channels}), got {x.shape}")
    if len(x) < min_n:
        raise ValueError(f"{name} must hold at least {min_n} image{'s' * (min_n > 1)}, got {len(x)}")
    x = x.astype("float32", copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.001 or hi > 1.001:
        raise ValueError(f"{name} must be scaled to [-1, 1] like load_mnist's images, "
                         f"got values in [{lo:g}, {hi:g}]")
    return np.clip(x, -1.0, 1.0) if lo < -1 or hi > 1 else x


def check_labels(name: str, labels, n=None) -> np.ndarray:
    """``labels`` as an int32 vector of digits 0..9 (``n`` of them unless None), else ValueError."""
    array = check_array(name, labels, "digits 0..9")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of digits 0..9, got shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: it needs at least one label")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold whole numbers (digits 0..9), got dtype {array.dtype}")
    if array.min() < 0 or array.max() > 9:
        raise ValueError(f"{name} must be digits 0..9, got values from {array.min()} to {array.max()}")
    if n is not None and len(array) != n:
        raise ValueError(f"{name} must hold {n} labels (one per image), got {len(array)}")
    return array.astype("int32")
