"""Mode collapse measured (chapter 7) on the benchmarks of the mode-collapse literature (Metz et
al. 2017; VEEGAN; PacGAN): the ring of 8 and the grid of 25 Gaussians (:mod:`ganlib.data`).

A generated sample is *high-quality* within 3 standard deviations of its nearest mean; a mode is
*captured* when at least one high-quality sample is nearest to it; the KL divergence of their
mode histogram from uniform says how evenly the captured modes are covered (:data:`SCORE_SAMPLES`)."""

from __future__ import annotations

import functools
import math

import numpy as np

import keras
from keras import layers

# The chapter's settings live in ganlib.config; importable from here too.
from ganlib.checks import check_choice, check_number, check_positive_int, check_type
from ganlib.config import FIXES, LAYOUTS, MixtureConfig, mixture_config, set_seed, table_budget  # noqa: F401
from ganlib.data import check_points, mixture_means, mixture_std, sample_mixture
from ganlib.gaussian import adam
from ganlib.metrics import kl_from_uniform
from ganlib.layers import Maxout, MinibatchDiscrimination, MinibatchStdDev, Pack
from ganlib.training import GAN, Run, Snapshots, over_seeds, timed_fit

#: Samples scored per run, as in the published tables.
SCORE_SAMPLES = 2500

#: Published (modes, modes' standard error or None, % high-quality samples) to compare with:
#: PacGAN's table (Lin et al. 2018) and VEEGAN's (Srivastava et al. 2017).
PUBLISHED = {
    "PacGAN paper": {
        "GAN": {"ring": (6.3, 0.5, 98.2), "grid": (17.3, 0.8, 94.8)},
        "PacGAN2": {"ring": (7.9, 0.1, 95.6), "grid": (23.8, 0.7, 91.3)},
        "PacGAN4": {"ring": (7.8, 0.1, 95.9), "grid": (24.8, 0.2, 93.6)},
    },
    "VEEGAN paper": {
        "GAN": {"ring": (1.0, None, 99.3), "grid": (3.3, None, 0.5)},
        "Unrolled GAN": {"ring": (7.6, None, 35.6), "grid": (23.6, None, 16.0)},
        "VEEGAN": {"ring": (8.0, None, 52.9), "grid": (24.6, None, 40.0)},
    },
}


def score_samples(samples, layout: str = "ring") -> dict:
    """``modes`` captured, ``high_quality`` (fraction), ``kl`` (``ln k`` without high-quality
    samples), ``histogram`` (high-quality samples per mode), ``nearest`` (all, per mode), ``n``."""
    samples = check_points("samples", samples)
    means, std = mixture_means(layout), mixture_std(layout)
    d2 = ((samples[:, None, :] - means[None, :, :]) ** 2).sum(axis=-1)
    nearest = d2.argmin(axis=1)
    good = np.sqrt(d2[np.arange(len(samples)), nearest]) <= 3 * std
    histogram = np.bincount(nearest[good], minlength=len(means))
    return {"modes": int((histogram > 0).sum()), "high_quality": float(good.mean()),
            "kl": kl_from_uniform(histogram), "histogram": histogram.tolist(),
            "nearest": np.bincount(nearest, minlength=len(means)).tolist(), "n": len(samples)}


def mixture_scale(layout: str) -> float:
    """The standard deviation of one coordinate of the whole mixture (about 0.71 for the ring,
    2.83 for the grid): the networks work in units of it (see ``scale`` below)."""
    means, std = mixture_means(layout), mixture_std(layout)
    return float(np.sqrt(means.var(axis=0).mean() + std**2))


def mixture_generator(latent_dim: int = 8, units: int = 256, scale: float = 1.0, name: str = "generator"):
    """Noise -> 3 x (Dense(units) + ReLU) -> Dense(2) -> times ``scale``: with ``scale`` the data's
    standard deviation, the network works on standardized data, whatever the layout's size."""
    latent_dim = check_positive_int("latent_dim", latent_dim)
    units = check_positive_int("units", units)
    scale = check_number("scale", scale, "positive")
    hidden = [layer for _ in range(3) for layer in (layers.Dense(units), layers.ReLU())]
    return keras.Sequential([keras.Input(shape=(latent_dim,)), *hidden, layers.Dense(2),
                             layers.Rescaling(scale, name="unstandardize")], name=name)


def mixture_discriminator(fix: str = "none", units: int = 256, pack: int = 4,
                          group_size: int | None = None, scale: float = 1.0,
                          name: str = "discriminator"):
    """Input / ``scale`` -> 3 x (Dense(units) + LeakyReLU(0.2)) -> Dense(1, sigmoid), with the
    remedy ``fix``: ``"mbstd"`` (:class:`MinibatchStdDev` before the last hidden layer),
    ``"minibatch"`` (:class:`MinibatchDiscrimination` after it) or ``"pack"`` (PacGAN's input)."""
    check_choice("fix", fix, FIXES)
    units = check_positive_int("units", units)
    scale = check_number("scale", scale, "positive")
    stack = [keras.Input(shape=(2,)), layers.Rescaling(1.0 / scale, name="standardize"),
             *([Pack(check_positive_int("pack", pack), name="pack")] if fix == "pack" else [])]
    for i in range(3):
        if fix == "mbstd" and i == 2:
            stack.append(MinibatchStdDev(group_size, name="minibatch_stddev"))
        stack += [layers.Dense(units), layers.LeakyReLU(negative_slope=0.2)]
    if fix == "minibatch":
        stack.append(MinibatchDiscrimination(num_kernels=8, kernel_dim=4, name="minibatch_discrimination"))
    return keras.Sequential([*stack, layers.Dense(1, activation="sigmoid")], name=name)


def pacgan_generator(latent_dim: int = 2, name: str = "generator"):
    """PacGAN's generator for the mixtures: noise -> 4 x (Dense(400) + batch norm + ReLU) -> 2."""
    hidden = [layer for _ in range(4) for layer in (layers.Dense(400), layers.BatchNormalization(),
                                                     layers.ReLU())]
    return keras.Sequential([keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
                             *hidden, layers.Dense(2)], name=name)


def pacgan_discriminator(fix: str = "pack", pack: int = 4, name: str = "discriminator"):
    """PacGAN's discriminator for the mixtures: [``pack`` points joined] -> 3 x maxout (200 units,
    5 pieces) -> sigmoid; ``fix`` "none" or "pack"."""
    check_choice("fix", fix, ("none", "pack"))
    stack = [keras.Input(shape=(2,)), *([Pack(check_positive_int("pack", pack))] if fix == "pack" else [])]
    stack += [Maxout(200, 5) for _ in range(3)]
    return keras.Sequential([*stack, layers.Dense(1, activation="sigmoid")], name=name)


def rounds_per_call(steps: int, rounds_per_epoch: int) -> int:
    """The largest number of rounds up to ``rounds_per_epoch`` that divides ``steps``: each
    compiled call (a progress-bar epoch) runs that many, so a run makes exactly ``steps``."""
    steps = check_positive_int("steps", steps)
    rounds_per_epoch = check_positive_int("rounds_per_epoch", rounds_per_epoch)
    return max(k for k in range(1, min(steps, rounds_per_epoch) + 1) if steps % k == 0)


def train_mixture(config: MixtureConfig | None = None, seed: int = 0, verbose="auto") -> Run:
    """Train one GAN on the ring or grid and score it."""
    config = check_type("config", config or mixture_config(), MixtureConfig)
    set_seed(seed)
    k = rounds_per_call(config.steps, config.rounds_per_epoch)
    epochs, per_epoch = config.steps // k, k * config.batch_size
    x = sample_mixture(per_epoch, config.layout, seed=seed)
    scale = mixture_scale(config.layout) if config.standardize else 1.0
    if config.networks == "pacgan":
        networks = pacgan_generator(config.latent_dim), pacgan_discriminator(config.fix, config.pack)
    else:
        networks = (mixture_generator(config.latent_dim, config.units, scale),
                    mixture_discriminator(config.fix, config.units, config.pack, config.group_size, scale))
    gan = GAN(*networks, noise="normal", ema_momentum=config.ema_momentum, rounds_per_step=k, seed=seed)
    gan.compile(*(adam(config, config.learning_rate, epochs * k) for _ in range(2)))
    snapshots = Snapshots(n=SCORE_SAMPLES, seed=99, use_ema=False)
    history, seconds = timed_fit(gan, x, batch_size=per_epoch, epochs=epochs, verbose=verbose,
                                 callbacks=[snapshots])
    samples = gan.generate(SCORE_SAMPLES, seed=seed + 1)
    return Run(gan=gan, config=config, seed=seed, history=history, snapshots=snapshots.snapshots,
               score=score_samples(samples, config.layout), samples=samples, seconds=seconds)


def _score_seed(config: MixtureConfig, seed: int, verbose=0, runs=None):
    """Train one seed and return its score row (a worker of :func:`run_seeds`); its run goes into ``runs``."""
    run = train_mixture(config, seed=seed, verbose=verbose)
    if runs is not None:
        runs.append(run)
    score = {key: run.score[key] for key in ("modes", "high_quality", "kl")}
    return {"seed": seed, **score, "seconds": round(run.seconds, 1)}


def run_seeds(config: MixtureConfig, seeds=5, first_seed: int = 0, verbose=0, return_last=False,
              workers: int = 1):
    """Train ``seeds`` runs (``workers`` at once, :func:`ganlib.training.over_seeds`) and summarise them as
    the published tables do: mean and standard error (``modes_se``...) of ``modes``, ``high_quality`` and
    ``kl``, ``per_seed``, summed ``seconds``; with ``return_last``, ``(summary, this process's last run)``."""
    seeds = check_positive_int("seeds", seeds)
    check_type("config", config, MixtureConfig)
    runs = []
    rows = over_seeds(range(first_seed, first_seed + seeds),
                      functools.partial(_score_seed, config, verbose=verbose, runs=runs),
                      functools.partial(_score_seed, config), workers)
    per_seed = list(rows.values())
    result = {"layout": config.layout, "fix": config.fix}
    for key in ("modes", "high_quality", "kl"):  # mean and standard error over the seeds
        values = np.array([row[key] for row in per_seed], dtype="float64")
        se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
        result[key], result[f"{key}_se"] = float(values.mean()), float(se)
    result.update(per_seed=per_seed, steps=config.steps, batch_size=config.batch_size,
                  seconds=round(sum(s["seconds"] for s in per_seed), 1))
    return (result, runs[-1]) if return_last else result
