"""Builders of generators and discriminators, exactly as the source text describes them."""

from __future__ import annotations

import keras
from keras import layers

from ganlib.data import _check_positive_int


def gaussian_generator(latent_dim: int = 4, name: str = "generator") -> keras.Sequential:
    """The 2-D demo's generator: noise -> Dense(16) + LeakyReLU(0.1) -> Dense(2), no activation.

    Defined in chapter 2.
    """
    latent_dim = _check_positive_int("latent_dim", latent_dim)
    return keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            layers.Dense(16, name="hidden"),
            layers.LeakyReLU(negative_slope=0.1, name="leaky"),
            layers.Dense(2, name="point"),
        ],
        name=name,
    )


def gaussian_discriminator(name: str = "discriminator") -> keras.Sequential:
    """The 2-D demo's discriminator: two Dense(16) + LeakyReLU(0.1) layers, then Dense(1, sigmoid).

    Its output is the probability that a point is real. Defined in chapter 2.
    """
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            layers.Dense(16, name="hidden_1"),
            layers.LeakyReLU(negative_slope=0.1, name="leaky_1"),
            layers.Dense(16, name="hidden_2"),
            layers.LeakyReLU(negative_slope=0.1, name="leaky_2"),
            layers.Dense(1, activation="sigmoid", name="p_real"),
        ],
        name=name,
    )
