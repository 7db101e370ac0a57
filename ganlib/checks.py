"""Validation helpers shared by every module: each raises a one-line ``ValueError`` that names
the argument, before any work starts (the course's rule for bad input)."""

from __future__ import annotations

import dataclasses

import numpy as np


def check_positive_int(name: str, value) -> int:
    """``value`` as an ``int`` if it is a whole number of 1 or more (not a bool), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_overrides(config_class, overrides: dict) -> dict:
    """Raise a ValueError naming any key of ``overrides`` that is not a field of ``config_class``."""
    known = {field.name for field in dataclasses.fields(config_class)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown {config_class.__name__} setting(s) {unknown}; "
                         f"expected some of {sorted(known)}")
    return overrides
