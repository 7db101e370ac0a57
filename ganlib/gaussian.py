"""The 2-D Gaussian demo of chapter 3: train, snapshot each epoch, summarise (for the chapter, the
command line and the benchmark alike). Chapter 7's mixtures share its optimizer (:func:`adam`)."""

from __future__ import annotations

import dataclasses

import numpy as np

import keras

from ganlib import data, models
from ganlib.config import GaussianConfig, gaussian_config, set_seed
from ganlib.training import GAN, Run, Snapshots, pad_to_rounds, timed_fit


class GaussianRun(Run):
    """A :class:`ganlib.training.Run` of the demo: also its ``seed``, fixed-noise ``snapshots`` and
    the ``mean`` and ``std`` of 10,000 fresh points after the last epoch."""

    def converged(self, mean_tol=0.2, std_tol=0.15):
        """The course's success test: mean within 0.2 of the centre and std within 0.15 of it."""
        return bool(np.all(np.abs(self.mean - np.asarray(self.config.center)) <= mean_tol)
                    and np.all(np.abs(self.std - self.config.std) <= std_tol))

    def summary(self):
        """A JSON-ready dict of the run's results (the last epoch's losses None before any epoch)."""
        losses = {key: round(float(self.history[key][-1]), 4) if self.history.get(key) else None
                  for key in ("d_loss", "g_loss")}
        return {"mean": [round(float(v), 4) for v in self.mean],
                "std": [round(float(v), 4) for v in self.std],
                "converged": self.converged(), "epochs": len(self.history.get("d_loss", [])),
                "seed": self.seed, "batch_size": self.config.batch_size, "seconds": round(self.seconds, 2),
                **losses}


def adam(config, learning_rate: float, rounds: int):
    """Adam with the ``beta_1``, ``beta_2`` of ``config``, its learning rate decaying along a cosine to
    ``config.final_lr_fraction`` of itself over ``rounds`` rounds of two steps each (none at 1.0)."""
    if config.final_lr_fraction != 1.0:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, 2 * rounds,
                                                               alpha=config.final_lr_fraction)
    return keras.optimizers.Adam(learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)


def make_gan(config: GaussianConfig, seed: int = 0, rounds_per_step: int = 1, jit_compile="auto",
             rounds_per_epoch: int | None = None):
    """Build and compile the demo's fused GAN with the course's optimizer settings."""
    gan = GAN(models.gaussian_generator(config.latent_dim), models.gaussian_discriminator(),
              noise="uniform01", ema_momentum=config.ema_momentum, rounds_per_step=rounds_per_step, seed=seed)
    rounds = (rounds_per_epoch or rounds_per_step) * max(config.epochs, 1)
    gan.compile(d_optimizer=adam(config, config.d_learning_rate or config.learning_rate, rounds),
                g_optimizer=adam(config, config.learning_rate, rounds), jit_compile=jit_compile)
    return gan


def train_gaussian(config: GaussianConfig | None = None, seed: int = 0, epochs: int | None = None,
                   batch_size: int | None = None, verbose="auto", callbacks=(), jit_compile="auto"):
    """Train the demo: one epoch, one compiled call, is one pass over all the real points in round
    batches of ``batch_size`` (:func:`ganlib.training.pad_to_rounds`). A :class:`GaussianRun`."""
    # GaussianConfig checks the epochs and the batch size.
    changes = {name: v for name, v in (("epochs", epochs), ("batch_size", batch_size)) if v is not None}
    config = dataclasses.replace(config or gaussian_config(), **changes)
    set_seed(seed)
    real = data.gaussian_data(config.n_points, config.center, config.std, seed=seed)
    x, rounds = pad_to_rounds(real, config.batch_size, rng=np.random.default_rng(seed))
    gan = make_gan(config, seed=seed, rounds_per_step=rounds, jit_compile=jit_compile)
    snapshots = Snapshots(n=1000, seed=12345)
    history, seconds = timed_fit(gan, x, batch_size=len(x), epochs=config.epochs, verbose=verbose,
                                 callbacks=[snapshots, *callbacks])
    final = gan.generate(10_000, seed=seed + 1)
    return GaussianRun(gan=gan, config=config, seed=seed, history=history, snapshots=snapshots.snapshots,
                       mean=final.mean(axis=0), std=final.std(axis=0), seconds=seconds)


def plain_adam_config(config: GaussianConfig) -> GaussianConfig:
    """The baseline of chapter 3: plain Adam(1e-3) for both networks, no weight averaging."""
    return dataclasses.replace(config, learning_rate=1e-3, d_learning_rate=None, beta_1=0.9,
                               beta_2=0.999, final_lr_fraction=1.0, ema_momentum=0.0)


def seed_table(configs: dict, seeds, **kwargs):
    """Train every :class:`GaussianConfig` of ``configs`` (a name: config dict) on every seed;
    return one row per run: the config's name and the run's :meth:`GaussianRun.summary`."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    if not configs:
        raise ValueError("configs is empty: give at least one configuration")
    return [{"config": name, **train_gaussian(config, seed=seed, verbose=0, **kwargs).summary()}
            for name, config in configs.items() for seed in seeds]
