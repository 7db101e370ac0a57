"""Mode collapse on MNIST (chapter 7): a DCGAN with poorly chosen hyperparameters, and a remedy.

The source text's partial collapse ("mostly 1s after three epochs") made measurable: a small CPU-sized
DCGAN, its fixed-noise grid and its digits' class histograms; the remedy (``fix="mbstd"``) is one layer."""

from __future__ import annotations

import keras
from keras import layers

# The chapter's settings live in ganlib.config; importable from here too.
from ganlib.checks import check_choice, check_positive_int, check_type
from ganlib.config import HYPERPARAMETERS, MNIST_FIXES, CollapseConfig, collapse_config  # noqa: F401
from ganlib.layers import MinibatchStdDev
from ganlib.models import normalized
from ganlib.training import GAN, Run, SampleMetrics, Snapshots, timed_fit
from ganlib import checkpoint, metrics


def small_generator(latent_dim: int = 64, name: str = "generator") -> keras.Sequential:
    """Noise -> Dense(7*7*128) -> two 4x4 stride-2 transposed convolutions: a 28x28 digit in [-1, 1]."""
    return keras.Sequential([
        keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
        *normalized(layers.Dense(7 * 7 * 128, use_bias=False)),
        layers.Reshape((7, 7, 128)),
        *normalized(layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name=name)


def small_discriminator(fix: str = "none", name: str = "discriminator") -> keras.Sequential:
    """Two 4x4 stride-2 convolutions -> Dense(1, sigmoid); with ``fix="mbstd"`` the last feature maps
    get one more channel, how much the batch varies (:class:`MinibatchStdDev`)."""
    check_choice("fix", fix, MNIST_FIXES)
    stack = [keras.Input(shape=(28, 28, 1)),
             layers.Conv2D(64, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
             layers.Conv2D(128, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
             *([MinibatchStdDev(name="minibatch_stddev")] if fix == "mbstd" else []),
             layers.Flatten(), layers.Dense(1, activation="sigmoid")]
    return keras.Sequential(stack, name=name)


def train_collapse(config: CollapseConfig | None = None, seed: int = 0, data=None, classifier=None,
                   verbose="auto") -> Run:
    """Train the small DCGAN of ``config`` on MNIST and record its class histograms."""
    config = check_type("config", config or collapse_config(), CollapseConfig)
    _, data = checkpoint.start(seed, data)
    classifier = classifier or metrics.get_classifier(data=data)
    gan = GAN(small_generator(config.latent_dim), small_discriminator(config.fix), noise="uniform", seed=seed)
    gan.compile(*(keras.optimizers.Adam(lr, beta_1=config.beta_1)
                  for lr in (config.d_learning_rate or config.learning_rate, config.learning_rate)))
    grids = Snapshots(n=64, seed=2024)
    scores = SampleMetrics(classifier, n=config.metric_samples, seed=2025)
    history, seconds = timed_fit(gan, data.x_train[: config.n_train], batch_size=config.batch_size,
                                 epochs=config.epochs, verbose=verbose, callbacks=[grids, scores])
    return Run(gan=gan, config=config, history=history, grids=grids.snapshots, data_source=data.source,
               histograms=[r["class_histogram"] for r in scores.results], seconds=seconds)
