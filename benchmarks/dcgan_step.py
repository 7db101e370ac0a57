"""Milliseconds per DCGAN training round (batch 128): ganlib's fused step against two others.

All three run the same four-step round (chapter 2) on the same networks (``--arch``) and
optimizers, in one process, on the TensorFlow backend:

* ganlib: ``ganlib.training.GAN`` (one compiled ``train_step`` per round, written once for
  TensorFlow and JAX with ``stateless_call``);
* reference: the round written the way the Keras examples write a GAN ``train_step``
  (``tf.GradientTape`` and ``apply_gradients`` on ``trainable_weights``, TensorFlow only);
* classic: ``ClassicGAN``'s ``train_on_batch`` calls with the trainable flags.

Each is warmed up (compilation excluded), then timed over ``--steps`` rounds. The last line is
``ratio: X`` = reference ms / ganlib ms (above 1 means ganlib is faster).
Usage: ``python benchmarks/dcgan_step.py [--arch seed|radford] [--steps 20]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402

from ganlib import config, dcgan  # noqa: E402
from ganlib.freeze import ClassicGAN  # noqa: E402


class ReferenceGAN(keras.Model):
    """The four-step round in the style of keras-io's ``dcgan_overriding_train_step``."""

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.seed_generator = keras.random.SeedGenerator(0)
        self.built = True

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy()

    def _d_step(self, x, label):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            p = self.discriminator(x, training=True)
            loss = self.loss_fn(tf.fill(tf.shape(p), label), p)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    def _g_step(self, n):
        import tensorflow as tf

        z = keras.random.uniform((n, self.latent_dim), -1, 1, seed=self.seed_generator)
        with tf.GradientTape() as tape:
            p = self.discriminator(self.generator(z, training=True), training=False)
            loss = self.loss_fn(tf.ones_like(p), p)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    def train_step(self, data):
        real = data[0] if isinstance(data, tuple) else data
        n = keras.ops.shape(real)[0]
        d1 = self._d_step(real, 1.0)
        g1 = self._g_step(n)
        z = keras.random.uniform((n, self.latent_dim), -1, 1, seed=self.seed_generator)
        d2 = self._d_step(self.generator(z, training=True), 0.0)
        g2 = self._g_step(n)
        return {"d_loss": (d1 + d2) / 2, "g_loss": (g1 + g2) / 2}


def time_fit(model, x, batch_size, steps):
    model.fit(x[: batch_size * 3], batch_size=batch_size, epochs=1, verbose=0)  # compile
    start = time.perf_counter()
    model.fit(x[: batch_size * steps], batch_size=batch_size, epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=config.DCGAN_ARCHS, default="seed")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be 1 or more")
    if keras.backend.backend() != "tensorflow":
        parser.error("the reference step is TensorFlow code: run with KERAS_BACKEND=tensorflow")
    cfg = config.dcgan_config(args.arch, quick=False)
    b = cfg.batch_size
    x = np.random.default_rng(0).uniform(-1, 1, (b * args.steps, 28, 28, 1)).astype("float32")
    print(config.device_report(), f"· arch {args.arch} · batch {b} · {args.steps} timed rounds")

    config.set_seed(0)
    ganlib_ms = time_fit(dcgan.build_gan(cfg), x, b, args.steps)
    print(f"ganlib fused GAN.train_step      : {ganlib_ms:8.1f} ms/round")

    config.set_seed(0)
    template = dcgan.build_gan(cfg)  # the same networks and optimizer settings
    reference = ReferenceGAN(template.generator, template.discriminator, cfg.latent_dim)
    reference.compile(template.d_optimizer, template.g_optimizer)
    reference_ms = time_fit(reference, x, b, args.steps)
    print(f"reference (keras-io style) step  : {reference_ms:8.1f} ms/round")

    config.set_seed(0)
    template = dcgan.build_gan(cfg)
    classic = ClassicGAN(template.generator, template.discriminator,
                         template.d_optimizer.__class__.from_config(template.d_optimizer.get_config()),
                         template.g_optimizer.__class__.from_config(template.g_optimizer.get_config()))
    rng = np.random.default_rng(0)

    def classic_round(i):
        real = x[(i % args.steps) * b : (i % args.steps + 1) * b]
        z = rng.uniform(-1, 1, (3, b, cfg.latent_dim)).astype("float32")
        classic.train_discriminator(real, 1.0)
        classic.train_generator(z[0])
        classic.train_discriminator(classic.generator.predict_on_batch(z[1]), 0.0)
        classic.train_generator(z[2])

    for i in range(3):
        classic_round(i)
    start = time.perf_counter()
    for i in range(args.steps):
        classic_round(i)
    classic_ms = (time.perf_counter() - start) / args.steps * 1000
    print(f"classic train_on_batch round     : {classic_ms:8.1f} ms/round")
    print(f"ratio: {reference_ms / ganlib_ms:.2f}")


if __name__ == "__main__":
    main()
