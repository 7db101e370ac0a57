"""Mode collapse measured (chapter 7): the ring of 8 and the grid of 25 Gaussians.

These are the benchmarks the mode-collapse literature runs (Metz et al. 2017; Srivastava et al.
2017, VEEGAN; Lin et al. 2018, PacGAN): the **ring** of 8 Gaussians on the unit circle (standard
deviation 0.01) and the **grid** of 25 at {-4, -2, 0, 2, 4}^2 (standard deviation 0.05).

A generated sample is *high-quality* when it lies within 3 standard deviations of its nearest
mean; a mode is *captured* when at least one high-quality sample is nearest to it. The KL
divergence of the high-quality samples' mode histogram from uniform says how evenly the captured
modes are covered. Scores use 2,500 samples, as the papers do. Used by the chapter and by
``python -m ganlib mixture``.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing

import numpy as np

import keras
from keras import layers

# The chapter's settings live in ganlib.config with every other configuration; they are
# importable from here too (mixture.mixture_config, mixture.FIXES, ...).
from ganlib.checks import check_choice, check_number, check_positive_int, check_type
from ganlib.config import (FIXES, LAYOUTS, MixtureConfig, mixture_config, set_seed,  # noqa: F401
                           table_budget)
from ganlib.data import check_points
from ganlib.gaussian import adam
from ganlib.metrics import kl_from_uniform
from ganlib.layers import MinibatchDiscrimination, MinibatchStdDev, Pack
from ganlib.training import GAN, Run, Snapshots, timed_fit

#: Samples scored per run, as in the published tables.
SCORE_SAMPLES = 2500

#: Published results (modes captured / % high-quality samples) to compare with: PacGAN's table
#: (Lin et al. 2018, mean +- standard error) and VEEGAN's (Srivastava et al. 2017, means).
#: Each entry: (modes, modes_se or None, high-quality %).
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


def mixture_means(layout: str) -> np.ndarray:
    """The means of the mixture's components, shape ``(k, 2)``."""
    if check_choice("layout", layout, LAYOUTS) == "ring":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype("float32")
    values = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.array([(x, y) for x in values for y in values], dtype="float32")


def mixture_std(layout: str) -> float:
    """The standard deviation of every component: 0.01 (ring) or 0.05 (grid)."""
    return 0.01 if check_choice("layout", layout, LAYOUTS) == "ring" else 0.05


def sample_mixture(n: int, layout: str = "ring", seed: int | None = 0) -> np.ndarray:
    """``n`` points of the mixture (each component equally likely), float32 of shape ``(n, 2)``."""
    n = check_positive_int("n", n)
    means, std = mixture_means(layout), mixture_std(layout)
    rng = np.random.default_rng(seed)
    which = rng.integers(len(means), size=n)
    return (means[which] + std * rng.standard_normal((n, 2))).astype("float32")


def score_samples(samples, layout: str = "ring") -> dict:
    """Score generated points against the mixture: ``modes`` captured, ``high_quality`` (the
    fraction of high-quality samples), ``kl`` (from uniform of their mode histogram; ``ln k``, its
    maximum, when there is none), ``histogram`` (high-quality samples per mode), ``nearest`` (all
    samples per nearest mode, whatever their quality) and ``n``."""
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


def mixture_generator(latent_dim: int = 8, units: int = 256, scale: float = 1.0,
                      name: str = "generator"):
    """An MLP generator: noise -> 3 x (Dense(units) + ReLU) -> Dense(2) -> times ``scale``. With
    ``scale`` the data's standard deviation, the network works on standardized data, whatever the
    layout's size."""
    latent_dim = check_positive_int("latent_dim", latent_dim)
    units = check_positive_int("units", units)
    scale = check_number("scale", scale, "positive")
    hidden = [layer for _ in range(3) for layer in (layers.Dense(units), layers.ReLU())]
    return keras.Sequential([keras.Input(shape=(latent_dim,)), *hidden, layers.Dense(2),
                             layers.Rescaling(scale, name="unstandardize")], name=name)


def mixture_discriminator(fix: str = "none", units: int = 256, pack: int = 4,
                          group_size: int | None = None, scale: float = 1.0,
                          name: str = "discriminator"):
    """An MLP discriminator on the input divided by ``scale``: 3 x (Dense(units) + LeakyReLU(0.2))
    -> Dense(1, sigmoid), with a remedy, ``fix``: ``"none"``, ``"mbstd"`` (:class:`MinibatchStdDev`
    before the last hidden layer), ``"minibatch"`` (:class:`MinibatchDiscrimination` after it) or
    ``"pack"`` (:class:`Pack` of ``pack`` samples at the input, as in PacGAN)."""
    check_choice("fix", fix, FIXES)
    units = check_positive_int("units", units)
    scale = check_number("scale", scale, "positive")
    stack = [keras.Input(shape=(2,)), layers.Rescaling(1.0 / scale, name="standardize")]
    if fix == "pack":
        stack.append(Pack(check_positive_int("pack", pack), name="pack"))
    for i in range(3):
        if fix == "mbstd" and i == 2:
            stack.append(MinibatchStdDev(group_size, name="minibatch_stddev"))
        stack += [layers.Dense(units), layers.LeakyReLU(negative_slope=0.2)]
    if fix == "minibatch":
        stack.append(MinibatchDiscrimination(num_kernels=8, kernel_dim=4, name="minibatch_discrimination"))
    stack.append(layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(stack, name=name)


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
    epochs = config.steps // k
    per_epoch = k * config.batch_size
    x = sample_mixture(per_epoch, config.layout, seed=seed)
    scale = mixture_scale(config.layout) if config.standardize else 1.0
    gan = GAN(mixture_generator(config.latent_dim, config.units, scale),
              mixture_discriminator(config.fix, config.units, config.pack, config.group_size, scale),
              noise="normal", ema_momentum=config.ema_momentum, rounds_per_step=k, seed=seed)
    gan.compile(adam(config, config.learning_rate, epochs * k),
                adam(config, config.learning_rate, epochs * k))
    snapshots = Snapshots(n=SCORE_SAMPLES, seed=99, use_ema=False)
    history, seconds = timed_fit(gan, x, batch_size=per_epoch, epochs=epochs, verbose=verbose,
                                 callbacks=[snapshots])
    samples = gan.generate(SCORE_SAMPLES, seed=seed + 1)
    return Run(gan=gan, config=config, seed=seed, history=history, snapshots=snapshots.snapshots,
               score=score_samples(samples, config.layout), samples=samples, seconds=seconds)


def _score_seed(config: MixtureConfig, seed: int, verbose=0):
    """Train one seed and return its score row (a worker of :func:`run_seeds`)."""
    run = train_mixture(config, seed=seed, verbose=verbose)
    score = {key: run.score[key] for key in ("modes", "high_quality", "kl")}
    return {"seed": seed, **score, "seconds": round(run.seconds, 1)}, run


def _score_seed_in_worker(config: MixtureConfig, seed: int):
    return _score_seed(config, seed)[0]


def run_seeds(config: MixtureConfig, seeds=5, first_seed: int = 0, verbose=0, return_last=False,
              workers: int = 1):
    """Train ``seeds`` runs and summarise them the way the published tables do: a JSON-ready dict
    of the mean and standard error (``modes_se``...) of ``modes``, ``high_quality`` and ``kl``,
    each seed's score (``per_seed``), ``layout``, ``fix``, ``steps``, ``batch_size`` and the
    training ``seconds`` summed over the seeds; with ``return_last``, ``(summary, last_run)``.

    ``workers`` > 1 trains that many seeds at once, in ``workers - 1`` separate processes and this
    one (the last run returned is the last one trained here). One of these small networks does not
    keep two CPU cores busy, so two workers finish a row sooner on a 2-core machine; each seed's
    result is the same either way.
    """
    seeds = check_positive_int("seeds", seeds)
    workers = min(check_positive_int("workers", workers), seeds)
    check_type("config", config, MixtureConfig)
    order = list(range(first_seed, first_seed + seeds))
    rows = {}
    if workers > 1:
        context = multiprocessing.get_context("spawn")
        # Every workers-th seed is trained here, the others by workers - 1 processes.
        here = order[workers - 1 :: workers]
        with concurrent.futures.ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
            futures = {seed: pool.submit(_score_seed_in_worker, config, seed)
                       for seed in order if seed not in here}
            for seed in here:
                rows[seed], run = _score_seed(config, seed, verbose)
            for seed, future in futures.items():
                rows[seed] = future.result()
    else:
        for seed in order:
            rows[seed], run = _score_seed(config, seed, verbose)
    per_seed = [rows[seed] for seed in order]
    result = {"layout": config.layout, "fix": config.fix}
    for key in ("modes", "high_quality", "kl"):  # mean and standard error over the seeds
        values = np.array([row[key] for row in per_seed], dtype="float64")
        se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
        result[key], result[f"{key}_se"] = float(values.mean()), float(se)
    result.update(per_seed=per_seed, steps=config.steps, batch_size=config.batch_size,
                  seconds=round(sum(s["seconds"] for s in per_seed), 1))
    return (result, run) if return_last else result
