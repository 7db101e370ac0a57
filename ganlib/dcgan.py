"""DCGAN on MNIST (chapter 5): build, train with checkpoints and resume, watch, score."""

from __future__ import annotations

import keras

from ganlib import checkpoint, models
from ganlib.config import DCGANConfig, dcgan_config
from ganlib.plot import image_grid  # noqa: F401 (chapters 5-9 call dcgan.image_grid)
from ganlib.training import GAN, Snapshots

#: Each architecture's networks, optimizer and default learning rate: the source's (SGD with Nesterov
#: momentum), Radford et al.'s, and the course's CPU-sized DCGAN (its config sets the learning rates).
ARCHS = {
    "seed": (models.seed_dcgan_generator, models.seed_dcgan_discriminator, "sgd", 5e-4),
    "radford": (models.radford_dcgan_generator, models.radford_dcgan_discriminator, "adam", 2e-4),
    "compact": (models.compact_dcgan_generator, models.compact_dcgan_discriminator, "adam", 5e-4),
}


def _optimizer(kind, learning_rate):
    if kind == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    return keras.optimizers.Adam(learning_rate, beta_1=0.5)


def build_gan(config: DCGANConfig, seed: int = 0, jit_compile="auto") -> GAN:
    """Build and compile the fused GAN of ``config.arch`` (DCGANConfig has checked it); build it
    inside :func:`ganlib.training.data_parallel` to train on several devices."""
    make_g, make_d, kind, default_lr = ARCHS[config.arch]
    g_lr = config.learning_rate or default_lr
    # A D with batch norm (Radford's, compact) normalizes G's fakes by their own statistics in G's steps too.
    gan = GAN(make_g(config.latent_dim), make_d(), noise=config.noise, ema_momentum=config.ema_momentum,
              seed=seed, d_batch_stats_in_g_step=config.arch in ("radford", "compact"))
    gan.compile(_optimizer(kind, config.d_learning_rate or g_lr), _optimizer(kind, g_lr),
                jit_compile=jit_compile)
    return gan


def train_dcgan(config: DCGANConfig | None = None, seed: int = 0, out_dir: str | None = None,
                resume: bool = False, data=None, classifier=None, verbose="auto", callbacks=()):
    """Train a DCGAN on MNIST and return a :class:`ganlib.training.Run`. With ``out_dir``, a
    checkpoint after every epoch, which ``resume=True`` continues (``resumed_from``: the epoch it
    started from; see :func:`ganlib.checkpoint.fit`); ``callbacks`` run after each checkpoint."""
    config = config or dcgan_config()

    def setup(data):
        return build_gan(config, seed=seed), data.x_train[: config.n_train], Snapshots(64, 2024)

    return checkpoint.train(config, seed, out_dir, resume, data, setup, classifier, verbose,
                            callbacks, distribute=config.distribute)
