"""Quick/full mode, seeding and the one-line device report.

The course runs every experiment in one of two modes, decided here and nowhere else:

* **full** (the default) makes the book: real training budgets, the figures readers see.
* **quick** makes CI fast: the same code on a tiny budget. The test harness turns it on by
  setting the environment variable ``GANLIB_QUICK=1``.

Notebooks write ``epochs = cfg.epochs  # full run: 13`` so a reader always sees the real number.
"""

from __future__ import annotations

import dataclasses
import os
import random

import numpy as np

#: The environment variable that switches quick mode on ("1", "true", "yes").
QUICK_ENV = "GANLIB_QUICK"


def is_quick() -> bool:
    """Return True when quick mode is on (``GANLIB_QUICK=1``); unset means full mode."""
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"{QUICK_ENV} must be 1/true/yes or 0/false/no, got {value!r}")


def mode() -> str:
    """The current mode as a word: ``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


@dataclasses.dataclass(frozen=True)
class GaussianConfig:
    """Hyperparameters of the 2-D Gaussian demo (chapters 2 and 3).

    The networks, batch size and noise are the source text's; the optimizer settings and the
    weight averaging are this course's choices, explained in chapter 3.
    """

    # Number of real points: one epoch is one pass over all of them.
    n_points: int = 10_000
    # Centre and standard deviation of the real 2-D Gaussian.
    center: tuple = (5.0, 5.0)
    std: float = 1.0
    # Size of the generator's noise vector (uniform in [0, 1)).
    latent_dim: int = 4
    # Points per batch; each batch is one four-step learning round.
    batch_size: int = 32
    # Epochs of the full demo (the source's figure shows epochs 0-10 and 13).
    epochs: int = 13
    # The generator's Adam learning rate.
    learning_rate: float = 1e-3
    # The discriminator's learning rate (None: the same as the generator's); a faster
    # discriminator tracks the generator's current samples (two time-scale update rule).
    d_learning_rate: float | None = 4e-3
    # Adam's averages of past gradients and of their sizes, shorter than the defaults (0.9, 0.999)
    # because with two players the target keeps moving.
    beta_1: float = 0.5
    beta_2: float = 0.99
    # The learning rate decays along a cosine to this fraction of itself by the last epoch.
    final_lr_fraction: float = 1.0
    # Exponential moving average of the generator's weights (0 turns it off).
    ema_momentum: float = 0.999


def gaussian_config(quick: bool | None = None) -> GaussianConfig:
    """The demo's configuration for the current mode (quick mode: 5 epochs instead of 13)."""
    quick = is_quick() if quick is None else quick
    if quick:
        return GaussianConfig(epochs=5)
    return GaussianConfig()


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend so a run can be repeated."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    import keras

    random.seed(int(seed))
    np.random.seed(int(seed))
    keras.utils.set_random_seed(int(seed))


def device_report() -> str:
    """One line naming the Keras backend, its version and the accelerator in use.

    Example: ``"TensorFlow 2.21.0 backend · Keras 3.15.1 · GPU: none"``.
    """
    import keras

    backend = keras.backend.backend()
    gpus: list[str] = []
    if backend == "tensorflow":
        import tensorflow as tf

        name, version = "TensorFlow", tf.__version__
        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    elif backend == "jax":
        import jax

        name, version = "JAX", jax.__version__
        gpus = [str(d.device_kind) for d in jax.devices() if d.platform == "gpu"]
    elif backend == "torch":
        import torch

        name, version = "PyTorch", torch.__version__
        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    else:
        name, version = backend, "?"
    gpu = ", ".join(gpus) if gpus else "none"
    return f"{name} {version} backend · Keras {keras.__version__} · GPU: {gpu}"


#: The two DCGAN architectures of chapter 5.
DCGAN_ARCHS = ("seed", "radford")


@dataclasses.dataclass(frozen=True)
class DCGANConfig:
    """Hyperparameters of the MNIST DCGAN (chapter 5)."""

    # "seed": the source text's DCGAN (Gildenblat 2020); "radford": Radford et al.'s guidelines.
    arch: str = "seed"
    # Passes over the training images. On 2 CPU cores one epoch of the 9,000 bundled digits
    # takes 2-3 minutes per architecture, so the book's stored run is 5 epochs; use more on a GPU.
    epochs: int = 5
    # Images per round (the source's 128).
    batch_size: int = 128
    # Length of the noise vector, uniform in [-1, 1].
    latent_dim: int = 100
    # Use only the first n training images (None: all of them).
    n_train: int | None = None
    # Learning rate of both networks (None: the architecture's own, see ganlib.dcgan).
    learning_rate: float | None = None
    # Generated digits scored with the chapter's classifier after every epoch (0: none).
    metric_samples: int = 2000


def dcgan_config(arch: str = "seed", quick: bool | None = None) -> DCGANConfig:
    """The DCGAN configuration for the current mode (quick mode: 2 epochs on 512 images)."""
    if arch not in DCGAN_ARCHS:
        raise ValueError(f"arch must be one of {DCGAN_ARCHS}, got {arch!r}")
    quick = is_quick() if quick is None else quick
    if quick:
        return DCGANConfig(arch=arch, epochs=2, n_train=512, metric_samples=200)
    return DCGANConfig(arch=arch)
