"""Milliseconds per DCGAN training round (batch 128): ganlib's fused step against two others.

All three run the same four-step round (chapter 2) on the same networks (``--arch``) and
optimizers, in one process, on the TensorFlow backend:

* ganlib: ``ganlib.training.GAN`` (one compiled ``train_step`` per round, written once for
  TensorFlow and JAX with ``stateless_call``);
* reference: the round written the way the Keras examples write a GAN ``train_step``
  (``tf.GradientTape`` and ``apply_gradients`` on ``trainable_weights``, TensorFlow only);
* classic: ``ClassicGAN``'s ``train_on_batch`` calls with the trainable flags.

Each is warmed up as long as it is timed (compilation excluded), then timed over ``--steps``
rounds, the best of three (the speed of this machine varies from call to call), for every
architecture of chapter 5 (or ``--arch``) at its own batch size. Beside the times: the round's
FLOPs counted from the layer shapes (:func:`ganlib.training.round_flops`), the GFLOP/s the fused
round achieves, and the ceiling: the GFLOP/s of a large float32 matrix product on the same
machine, measured in the same run. The last line is ``ratio: X`` = reference ms / ganlib ms for
the architecture where ganlib does worst (above 1 means ganlib is faster for every one).
Usage: ``python benchmarks/dcgan_step.py [--arch seed|radford|compact] [--steps 20]``.
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
from ganlib.training import round_flops  # noqa: E402


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

        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
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
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
        d2 = self._d_step(self.generator(z, training=True), 0.0)
        g2 = self._g_step(n)
        return {"d_loss": (d1 + d2) / 2, "g_loss": (g1 + g2) / 2}


REPEATS = 3


def time_fit(model, x, batch_size, steps):
    """ms per round of ``fit`` over ``steps`` rounds: the best of REPEATS timed calls, after a
    warm-up call as long (this VM's speed varies from call to call; the best is the machine's)."""
    model.fit(x[: batch_size * steps], batch_size=batch_size, epochs=1, verbose=0)  # compile, warm
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        model.fit(x[: batch_size * steps], batch_size=batch_size, epochs=1, verbose=0)
        best = min(best, time.perf_counter() - start)
    return best / steps * 1000


def matmul_gflops(n=4096, repeats=5):
    """The machine's ceiling: GFLOP/s of an n x n float32 matrix product (best of ``repeats``)."""
    a = keras.random.normal((n, n), seed=1)
    b = keras.random.normal((n, n), seed=2)
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def classic_ms(cfg, x, steps):
    config.set_seed(0)
    template = dcgan.build_gan(cfg)
    classic = ClassicGAN(template.generator, template.discriminator,
                         template.d_optimizer.__class__.from_config(template.d_optimizer.get_config()),
                         template.g_optimizer.__class__.from_config(template.g_optimizer.get_config()))
    rng, b = np.random.default_rng(0), cfg.batch_size

    def classic_round(i):
        real = x[(i % steps) * b : (i % steps + 1) * b]
        z = template.noise_array(3 * b, rng=rng).reshape(3, b, cfg.latent_dim)
        classic.train_discriminator(real, 1.0)
        classic.train_generator(z[0])
        classic.train_discriminator(classic.generator.predict_on_batch(z[1]), 0.0)
        classic.train_generator(z[2])

    for i in range(steps):  # warm up as long as it is timed
        classic_round(i)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for i in range(steps):
            classic_round(i)
        best = min(best, time.perf_counter() - start)
    return best / steps * 1000


def measure(arch, steps):
    """ms per round of the three ways, and the round's GFLOPs, for one architecture."""
    cfg = config.dcgan_config(arch, budget_name="cpu")
    b = cfg.batch_size
    x = np.random.default_rng(0).uniform(-1, 1, (b * steps, 28, 28, 1)).astype("float32")
    config.set_seed(0)
    fused = dcgan.build_gan(cfg)
    gflops = round_flops(fused.generator, fused.discriminator, b) / 1e9
    fused_ms = time_fit(fused, x, b, steps)
    config.set_seed(0)
    template = dcgan.build_gan(cfg)  # the same networks and optimizer settings
    reference = ReferenceGAN(template.generator, template.discriminator, cfg.latent_dim)
    reference.compile(template.d_optimizer, template.g_optimizer)
    reference_ms = time_fit(reference, x, b, steps)
    return {"batch": b, "gflops": gflops, "fused": fused_ms, "reference": reference_ms,
            "classic": classic_ms(cfg, x, steps)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=config.DCGAN_ARCHS, default=None,
                        help="one architecture (default: all)")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be 1 or more")
    if keras.backend.backend() != "tensorflow":
        parser.error("the reference step is TensorFlow code: run with KERAS_BACKEND=tensorflow")
    archs = [args.arch] if args.arch else list(config.DCGAN_ARCHS)
    print(config.device_report(), f"· {args.steps} timed rounds per way")
    ceiling = matmul_gflops()
    print(f"ceiling: 4096x4096 float32 matmul {ceiling:.0f} GFLOP/s")
    print(f"{'arch':<8} {'batch':>5} {'GFLOP/round':>11} {'fused ms':>9} {'keras-io ms':>11} "
          f"{'classic ms':>10} {'fused GFLOP/s':>13} {'of ceiling':>10} {'ratio':>6}")
    ratios = []
    for arch in archs:
        r = measure(arch, args.steps)
        achieved = r["gflops"] / (r["fused"] / 1000)
        ratio = r["reference"] / r["fused"]
        ratios.append(ratio)
        print(f"{arch:<8} {r['batch']:>5} {r['gflops']:>11.2f} {r['fused']:>9.1f} {r['reference']:>11.1f} "
              f"{r['classic']:>10.1f} {achieved:>13.1f} {achieved / ceiling:>9.0%} {ratio:>6.2f}",
              flush=True)
    print(f"ratio: {min(ratios):.2f}")


if __name__ == "__main__":
    main()
