"""Validation helpers shared by every module: each raises a one-line ``ValueError`` that names
the argument, before any work starts (the course's rule for bad input)."""

from __future__ import annotations

import numpy as np


def check_positive_int(name: str, value) -> int:
    """``value`` as an ``int`` if it is a whole number of 1 or more (not a bool), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_choice(name: str, value, choices: tuple):
    """``value`` if it is one of ``choices``, else a ValueError naming ``name`` and the choices."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_config(config, config_class):
    """``config`` if it is a ``config_class``, else a ValueError naming both types."""
    if not isinstance(config, config_class):
        raise ValueError(f"config must be a {config_class.__name__}, got {type(config).__name__}")
    return config
