"""Builders of generators and discriminators, exactly as the source text describes them."""

from __future__ import annotations

import functools
import math

import keras
from keras import layers

from ganlib.checks import check_positive_int, check_type


def gaussian_generator(latent_dim: int = 4, name: str = "generator") -> keras.Sequential:
    """The 2-D demo's generator: noise to a point, no output activation. Defined in chapter 2."""
    return keras.Sequential([
        keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
        layers.Dense(16, name="hidden"), layers.LeakyReLU(negative_slope=0.1, name="leaky"),
        layers.Dense(2, name="point"),
    ], name=name)


def gaussian_discriminator(name: str = "discriminator") -> keras.Sequential:
    """The 2-D demo's discriminator: the probability that a point is real. Defined in chapter 2."""
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(16, name="hidden_1"), layers.LeakyReLU(negative_slope=0.1, name="leaky_1"),
        layers.Dense(16, name="hidden_2"), layers.LeakyReLU(negative_slope=0.1, name="leaky_2"),
        layers.Dense(1, activation="sigmoid", name="p_real"),
    ], name=name)


# -- DCGANs for 28x28 MNIST digits (chapter 5) ------------------------------------------------


def normalized(layer, activation="relu"):
    """``layer``, batch norm, then ReLU or LeakyReLU(0.2) (``"leaky"``): Radford et al.'s block."""
    return [layer, layers.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2) if activation == "leaky" else layers.ReLU()]


def chain(stack, h):
    """``h`` through the layers of ``stack``, one after another."""
    return functools.reduce(lambda h, layer: layer(h), stack, h)


def seed_dcgan_generator(latent_dim: int = 100, name: str = "generator") -> keras.Sequential:
    """The source text's DCGAN generator (Gildenblat 2020), layer for layer: the 6,272 = 7*7*128
    numbers of its second Dense layer bridge a vector to an image."""
    return keras.Sequential([
        keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
        layers.Dense(1024, activation="tanh"),
        layers.Dense(7 * 7 * 128), layers.BatchNormalization(), layers.Activation("tanh"),
        layers.Reshape((7, 7, 128)),
        layers.UpSampling2D(size=2), layers.Conv2D(64, 5, padding="same", activation="tanh"),
        layers.UpSampling2D(size=2), layers.Conv2D(1, 5, padding="same", activation="tanh"),
    ], name=name)


def seed_dcgan_discriminator(name: str = "discriminator") -> keras.Sequential:
    """The source text's DCGAN discriminator (Gildenblat 2020), layer for layer."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, 5, padding="same", activation="tanh"), layers.MaxPooling2D(2),
        layers.Conv2D(128, 5, activation="tanh"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(1024, activation="tanh"),
        layers.Dense(1, activation="sigmoid"),
    ], name=name)


def radford_dcgan_generator(latent_dim: int = 100, name: str = "generator") -> keras.Sequential:
    """A DCGAN generator following Radford et al. (2016): strided (transposed) convolutions, no
    pooling or upsampling; batch norm after every layer but the output; ReLU inside, tanh out."""
    return keras.Sequential([
        keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
        *normalized(layers.Dense(7 * 7 * 256, use_bias=False)),
        layers.Reshape((7, 7, 256)),
        *normalized(layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)),
        *normalized(layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False)),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh"),
    ], name=name)


def radford_dcgan_discriminator(name: str = "discriminator") -> keras.Sequential:
    """A DCGAN discriminator following Radford et al. (2016): strided convolutions instead of
    pooling, LeakyReLU(0.2), batch norm on every layer but the input one."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
        *normalized(layers.Conv2D(128, 5, strides=2, padding="same", use_bias=False), "leaky"),
        layers.Flatten(), layers.Dense(1, activation="sigmoid"),
    ], name=name)


def compact_dcgan_generator(latent_dim: int = 64, channels: int = 1,
                            name: str = "generator") -> keras.Sequential:
    """The course's CPU-sized DCGAN generator: Radford et al.'s pattern with fewer, smaller layers
    (4x4 kernels, which a stride of 2 covers evenly), a stride-1 convolution at 14x14 that refines
    the strokes, and a thin 28x28 stage (32 channels) whose 3x3 convolution draws the pixels: the
    last upsampling no longer paints the image itself. That stage costs about a third more time per
    round; in chapter 5's 20 minutes it lifted the score of seed 7 from 8.77 to 8.96. No bias
    before batch norm: BN's own shift replaces it. ``channels``: 3 for Stacked MNIST (chapter 7)."""
    return keras.Sequential([
        keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
        *normalized(layers.Dense(7 * 7 * 128, use_bias=False)),
        layers.Reshape((7, 7, 128)),
        *normalized(layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)),
        *normalized(layers.Conv2D(64, 3, padding="same", use_bias=False)),
        *normalized(layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)),
        layers.Conv2D(check_positive_int("channels", channels), 3, padding="same", activation="tanh"),
    ], name=name)


def compact_dcgan_discriminator(name: str = "discriminator") -> keras.Sequential:
    """The course's CPU-sized DCGAN discriminator: :func:`compact_image_trunk` + Dense(1, sigmoid). Its third
    convolution (28 -> 14 -> 7 -> 4 pixels) judges whole strokes, not just pieces: on the 2-core CPU it lifted
    the classifier score at 8 minutes from about 8.1 to 8.55 (two seeds) for 20 % more time per round."""
    return keras.Sequential([*compact_image_trunk(), layers.Dense(1, activation="sigmoid")], name=name)


def compact_image_trunk(channels: int = 1) -> list:
    """The layers of the compact discriminator before its verdict, new each call: a 28x28 digit
    (``channels`` deep) -> three strided convolutions -> 4 * 4 * 256 features."""
    return [
        keras.Input(shape=(28, 28, check_positive_int("channels", channels))),
        layers.Conv2D(64, 4, strides=2, padding="same"), layers.LeakyReLU(negative_slope=0.2),
        *normalized(layers.Conv2D(128, 4, strides=2, padding="same", use_bias=False), "leaky"),
        *normalized(layers.Conv2D(256, 4, strides=2, padding="same", use_bias=False), "leaky"),
        layers.Flatten(),
    ]


def forward_flops(model) -> int:
    """FLOPs of one sample's forward pass: the multiply-adds (2 FLOPs each) of every layer with a
    ``kernel`` (dense and convolution layers, chapter 6's equalized ones included), nearly all the
    work (activations, batch norm and pooling are left out). A transposed convolution costs what
    the convolution it inverts costs."""
    check_type("model", model, keras.Model, "keras.Model")
    total = 0
    for layer in model._flatten_layers(include_self=False):
        kernel = getattr(layer, "kernel", None)
        if kernel is None or len(kernel.shape) not in (2, 4):
            continue
        if len(kernel.shape) == 2:  # a dense layer: one multiply-add per weight
            total += 2 * int(kernel.shape[0]) * int(kernel.shape[1])
        else:  # a convolution: one multiply-add per weight and output pixel (input pixel if transposed)
            h, w = (layer.input if isinstance(layer, layers.Conv2DTranspose) else layer.output).shape[1:3]
            total += 2 * math.prod(int(n) for n in kernel.shape) * int(h) * int(w)
    return total
