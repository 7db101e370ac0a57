"""Discriminator layers against mode collapse (chapter 7).

A collapsed generator makes a batch of near-identical samples, each of which may look real on its
own. These layers let the discriminator look at the whole batch (or at groups of samples) at once,
so low variety becomes evidence of fakes and the generator is pushed to spread out."""

from __future__ import annotations

import keras
from keras import ops

from ganlib.checks import check_positive_int


@keras.saving.register_keras_serializable(package="ganlib")
class MinibatchStdDev(keras.layers.Layer):
    """Karras et al. (2018, ProGAN): append to each sample, as one more feature (or channel), the
    mean over features of their standard deviation across its group of ``group_size`` samples
    (``None``: the whole batch). A batch of identical samples gets 0. No weights."""

    def __init__(self, group_size=None, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = None if group_size is None else check_positive_int("group_size", group_size)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"MinibatchStdDev needs inputs of rank >= 2, got shape {input_shape}")

    def call(self, x):
        shape = ops.shape(x)
        g = shape[0] if self.group_size is None else self.group_size
        grouped = ops.reshape(x, (-1, g, *shape[1:]))  # (groups, g, ...)
        std = ops.sqrt(ops.var(grouped, axis=1) + self.epsilon)  # (groups, ...)
        stat = ops.mean(ops.reshape(std, (ops.shape(std)[0], -1)), axis=1)  # (groups,)
        stat = ops.repeat(stat, g, axis=0)  # (n,)
        extra = ops.ones_like(x[..., :1]) * ops.reshape(stat, (-1,) + (1,) * (len(x.shape) - 1))
        return ops.concatenate([x, extra], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], None if input_shape[-1] is None else input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="ganlib")
class MinibatchDiscrimination(keras.layers.Layer):
    """Salimans et al.'s (2016) minibatch discrimination for flat features ``(n, d)``: a learned
    ``T`` projects each sample to ``M_i`` (``num_kernels`` rows of ``kernel_dim``), and for each
    kernel ``b`` the layer appends ``mean_j exp(-||M_i,b - M_j,b||_1)`` over the other samples
    ``j``. In a batch of identical samples every value is 1, its maximum."""

    def __init__(self, num_kernels=8, kernel_dim=4, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = check_positive_int("num_kernels", num_kernels)
        self.kernel_dim = check_positive_int("kernel_dim", kernel_dim)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"MinibatchDiscrimination needs flat inputs of shape (n, d), got {input_shape}")
        self.T = self.add_weight(name="T", shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
                                 initializer=keras.initializers.RandomNormal(stddev=0.1))

    def call(self, x):
        m = ops.reshape(ops.matmul(x, self.T), (-1, self.num_kernels, self.kernel_dim))
        diff = ops.sum(ops.abs(m[:, None] - m[None, :]), axis=-1)  # (n, n, kernels)
        # Minus exp(0) = 1 (each sample with itself); the mean, not Salimans et al.'s sum, keeps it in [0, 1]
        # at any batch size (summed, a collapsed batch of 128 gives 127 and saturates D: no gradient to G).
        n = ops.cast(ops.shape(x)[0], x.dtype)
        closeness = (ops.sum(ops.exp(-diff), axis=1) - 1.0) / ops.maximum(n - 1.0, 1.0)
        return ops.concatenate([x, closeness], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim}


@keras.saving.register_keras_serializable(package="ganlib")
class Pack(keras.layers.Layer):
    """PacGAN's packing (Lin et al. 2018): each ``m`` consecutive samples become one, their last
    axes joined, so the discriminator judges them jointly: points ``(n, d)`` become
    ``(n / m, m * d)``, images ``(n, h, w, c)`` become ``(n / m, h, w, m * c)``. In ganlib's round
    every pack holds only real or only fake samples, as in PacGAN: each step shows D one kind."""

    def __init__(self, m=2, **kwargs):
        super().__init__(**kwargs)
        self.m = check_positive_int("m", m)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Pack needs inputs of rank >= 2 with a known last axis, got {input_shape}")

    def call(self, x):
        shape = tuple(x.shape[1:])
        packs = ops.moveaxis(ops.reshape(x, (-1, self.m, *shape)), 1, -2)  # (n / m, ..., m, c)
        return ops.reshape(packs, (-1, *shape[:-1], self.m * shape[-1]))

    def compute_output_shape(self, input_shape):
        n = None if input_shape[0] is None else input_shape[0] // self.m
        return (n, *input_shape[1:-1], input_shape[-1] * self.m)

    def get_config(self):
        return {**super().get_config(), "m": self.m}


@keras.saving.register_keras_serializable(package="ganlib")
class Maxout(keras.layers.Layer):
    """Goodfellow et al.'s (2013) maxout: ``units`` outputs, each the largest of ``pieces`` linear
    functions of the input (PacGAN's discriminator on the mixtures)."""

    def __init__(self, units, pieces=5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.pieces = check_positive_int("units", units), check_positive_int("pieces", pieces)
        self.linear = keras.layers.Dense(self.units * self.pieces)

    def build(self, input_shape):
        self.linear.build(input_shape)

    def call(self, x):
        return ops.max(ops.reshape(self.linear(x), (-1, self.units, self.pieces)), axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces}
