"""Milliseconds per DCGAN round: ganlib's fused step against the same round written other ways.

Every way runs the four-step round (chapter 2) on the same networks (``--arch``) and
optimizers, in one process, on the TensorFlow backend:

* fused: ``ganlib.training.GAN`` as chapter 5 trains it (one compiled ``train_step`` per round,
  written once for TensorFlow and JAX with ``stateless_call``); where the architecture keeps an
  averaged generator (EMA), also the same round without it ("no EMA"), since no other way keeps one;
* keras-io: chapter 5's round written the way the Keras examples write a GAN ``train_step``
  (``tf.GradientTape`` and ``apply_gradients`` on ``trainable_weights``, TensorFlow only). Where
  chapter 5's round lets the batch-norm discriminator normalize G's fakes with their own batch
  statistics in G's steps (radford, compact: ``GAN(d_batch_stats_in_g_step=True)``), this one
  does too (``training=True``; it also updates D's running averages there, a few small
  assignments the fused round skips), so both do the same arithmetic; shown beside it, not counted:
  the examples' own choice, D in inference mode in G's steps ("k-io, D inf."), a cheaper round;
* classic: ``ClassicGAN.train_round``, ``train_on_batch`` calls with the trainable flags, fakes
  made in training mode and D's outcome counts returned, as the fused round does (the frozen D
  of the combined model runs in inference mode in G's steps: for radford and compact a little
  less work);
* lean: the classic round as the Keras-2 tutorials write it (fakes from ``predict_on_batch``,
  no counts): less work than the others.

Each is warmed up (compilation excluded), then timed over ``--steps`` rounds ``--repeats``
times, the ways taking turns, and the best time kept: this VM switches between a fast and a
slow state (about 30 % apart) from one second to the next, so only the best of many short
samples compares the ways' own costs (each ``fit``-based sample also pays one start-up of
``fit``, 20-35 ms here, 2-3 ms a round at 10 rounds, which the classic loop does not pay).
Every architecture of chapter 5 (or ``--arch``) runs at its own batch size. Beside the
times: the round's FLOPs counted from the layer shapes (:func:`ganlib.training.round_flops`), the
GFLOP/s the fused round achieves, and the ceiling: the GFLOP/s of a large float32 matrix
product on the same machine, measured in the same run.
``ratio`` = the faster of keras-io and classic, in ms, / the fused round's ms (without EMA where
it has one): the ways that train the same round. The lean round's ratio is printed beside it,
not counted: it makes its fakes with batch norm's running averages, a different round. The last
line is ``ratio: X`` for the architecture where the fused round does worst (1 or more: fused is
at least as fast as the same-round ways for every architecture). ``--profile`` first times each
part of the fused round compiled on its own: where the time goes. The column "again" is a
second copy of the same-work fused round timed as one more way: its distance from the first
is this run's resolution, printed on the line before the last.
Usage: ``python benchmarks/dcgan_step.py [--arch seed|radford|compact] [--steps 10] [--repeats 10]
[--profile]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402

from ganlib import config, dcgan  # noqa: E402
from ganlib.freeze import ClassicGAN  # noqa: E402
from ganlib.training import round_flops  # noqa: E402


class ReferenceGAN(keras.Model):
    """The four-step round in the style of keras-io's ``dcgan_overriding_train_step``.

    ``d_training_in_g_step``: D runs in training mode (batch norm on the fakes' own batch
    statistics) in G's steps, as chapter 5's round does for its batch-norm discriminators;
    False: in inference mode, as the Keras examples call it.
    """

    def __init__(self, generator, discriminator, latent_dim, d_training_in_g_step=False):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.d_training_in_g_step = d_training_in_g_step
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
            p = self.discriminator(self.generator(z, training=True), training=self.d_training_in_g_step)
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


REPEATS = 10  # timed samples per way (default of --repeats)


def stopwatch(work):
    """A function that runs ``work()`` and returns the seconds it took."""

    def timed():
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    return timed


def fit_timer(model, x, batch_size, steps):
    """A function timing one ``fit`` over ``steps`` rounds (seconds); warmed up (compiled) once."""
    x = x[: batch_size * steps]

    def work():
        model.fit(x, batch_size=batch_size, epochs=1, verbose=0)

    work()  # compile, warm
    return stopwatch(work)


def classic_timer(cfg, x, steps, lean=False):
    """A function timing ``steps`` classic rounds (``train_on_batch`` with the trainable flags).

    ``lean=False``: ``ClassicGAN.train_round``, chapter 2's round: fakes made in training mode,
    the losses and D's outcome counts returned, as the fused round computes them. ``lean=True``:
    the round as the Keras-2 tutorials write it: fakes from ``predict_on_batch`` (inference mode:
    batch norm uses its running averages), no counts; less work than the fused round.
    """
    config.set_seed(0)
    template = dcgan.build_gan(cfg)
    classic = ClassicGAN(template.generator, template.discriminator,
                         template.d_optimizer.__class__.from_config(template.d_optimizer.get_config()),
                         template.g_optimizer.__class__.from_config(template.g_optimizer.get_config()))
    rng, b = np.random.default_rng(0), cfg.batch_size

    def rounds():
        for i in range(steps):
            real = x[i * b : (i + 1) * b]
            z = template.noise_array(3 * b, rng=rng).reshape(3, b, cfg.latent_dim)
            if not lean:
                classic.train_round(real, z[0], z[1], z[2])
                continue
            classic.train_discriminator(real, 1.0)
            classic.train_generator(z[0])
            classic.train_discriminator(classic.generator.predict_on_batch(z[1]), 0.0)
            classic.train_generator(z[2])

    rounds()  # warm up as long as it is timed
    return stopwatch(rounds)


def interleaved_best(timers, steps, repeats):
    """ms per round of each way: the best of ``repeats`` timed runs, the ways taking turns (in a
    rotating order) so that a slow spell of this VM falls on all of them, not on one."""
    names, best = list(timers), {name: float("inf") for name in timers}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            best[name] = min(best[name], timers[name]())
    return {name: seconds / steps * 1000 for name, seconds in best.items()}


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


def measure(arch, steps, repeats):
    """ms per round of the ways, and the round's GFLOPs, for one architecture."""
    cfg = config.dcgan_config(arch, budget_name="cpu")
    b = cfg.batch_size
    x = np.random.default_rng(0).uniform(-1, 1, (b * steps, 28, 28, 1)).astype("float32")
    config.set_seed(0)
    fused = dcgan.build_gan(cfg)
    gflops = round_flops(fused.generator, fused.discriminator, b) / 1e9
    timers = {"fused": fit_timer(fused, x, b, steps)}
    # The same round without the averaged generator, which the other ways do not keep.
    same_work_cfg = dataclasses.replace(cfg, ema_momentum=0.0)
    if fused.ema_generator is not None:
        config.set_seed(0)
        timers["fused, no EMA"] = fit_timer(dcgan.build_gan(same_work_cfg), x, b, steps)
    # A second copy of the same-work fused round, timed as one more way: how far two timings of
    # the very same round land apart in this run, the resolution of every comparison here.
    config.set_seed(0)
    timers["fused, again"] = fit_timer(dcgan.build_gan(same_work_cfg), x, b, steps)
    for name, same_round in (("reference", True), ("reference, D inference", False)):
        config.set_seed(0)
        template = dcgan.build_gan(cfg)  # the same networks and optimizer settings
        reference = ReferenceGAN(template.generator, template.discriminator, cfg.latent_dim,
                                 d_training_in_g_step=same_round and template.d_batch_stats_in_g_step)
        reference.compile(template.d_optimizer, template.g_optimizer)
        timers[name] = fit_timer(reference, x, b, steps)
    timers["classic"] = classic_timer(cfg, x, steps)
    timers["classic, lean"] = classic_timer(cfg, x, steps, lean=True)
    return {"batch": b, "gflops": gflops, **interleaved_best(timers, steps, repeats)}


def profile(arch, steps, repeats):
    """Where the fused round's time goes: each part of ``GAN.train_round`` compiled on its own
    (``tf.function``), timed over ``steps`` calls (best of ``repeats``), beside the whole round."""
    import tensorflow as tf

    from ganlib import backend

    cfg = config.dcgan_config(arch, budget_name="cpu")
    b = cfg.batch_size
    x = np.random.default_rng(0).uniform(-1, 1, (b * steps, 28, 28, 1)).astype("float32")
    config.set_seed(0)
    gan = dcgan.build_gan(cfg)
    whole = fit_timer(gan, x, b, steps)
    real, z = tf.constant(x[:b]), tf.constant(gan.noise_array(b))
    G, D = gan.generator, gan.discriminator
    parts = {
        "D step on real (a)": lambda: gan.learn(D, gan.d_loss, real, 1.0),
        "G step (b or d)": lambda: gan.learn(G, gan.g_loss, z),
        "G makes fakes (c)": lambda: gan.run(G, z),
        "D step on fakes (c)": lambda: gan.learn(D, gan.d_loss, real, 0.0),
        "averaged G (EMA)": lambda: gan.update_ema(),
        "noise for b, c, d": lambda: gan.draw(lambda n: [gan.sample_noise(n) for _ in range(3)], real),
    }
    times = {"whole round (fit)": min(whole() for _ in range(repeats)) / steps * 1000}
    with backend.all_trainable(G, D):
        gan._live.store = backend.VariableStore()  # the parts run outside fit: variables in place
        for name, part in parts.items():
            fn = tf.function(part)
            for _ in range(3):
                fn()  # trace, warm
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                for _ in range(steps):
                    out = fn()
                tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)
                best = min(best, time.perf_counter() - start)
            times[name] = best / steps * 1000
    # One round: two D steps, two G steps, one batch of fakes, one EMA update, one noise draw.
    counts = {"G step (b or d)": 2}
    parts_sum = sum(ms * counts.get(name, 1) for name, ms in times.items() if name != "whole round (fit)")
    times["sum of the parts"] = parts_sum
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=config.DCGAN_ARCHS, default=None,
                        help="one architecture (default: all)")
    parser.add_argument("--steps", type=int, default=10, help="rounds per timed sample")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed samples per way")
    parser.add_argument("--profile", action="store_true",
                        help="also time each part of the fused round on its own")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be 1 or more")
    if args.repeats < 1:
        parser.error("--repeats must be 1 or more")
    if keras.backend.backend() != "tensorflow":
        parser.error("the reference step is TensorFlow code: run with KERAS_BACKEND=tensorflow")
    archs = [args.arch] if args.arch else list(config.DCGAN_ARCHS)
    print(config.device_report(),
          f"· {args.steps} timed rounds per way, best of {args.repeats}, ways interleaved")
    ceiling = matmul_gflops()
    print(f"ceiling: 4096x4096 float32 matmul {ceiling:.0f} GFLOP/s")
    if args.profile:
        for arch in archs:
            print(f"{arch}: ms per call of each part of the fused round (compiled on its own)")
            for name, ms in profile(arch, args.steps, args.repeats).items():
                print(f"  {name:<22} {ms:8.1f}")
    print(f"{'arch':<8} {'batch':>5} {'GFLOP/round':>11} {'fused ms':>9} {'no EMA':>7} {'keras-io ms':>11} "
          f"{'k-io, D inf.':>12} {'classic ms':>10} {'lean ms':>8} {'fused GFLOP/s':>13} {'of ceiling':>10} "
          f"{'again':>6} {'ratio':>6}")
    ratios, lean_ratios, spreads = [], [], []
    for arch in archs:
        r = measure(arch, args.steps, args.repeats)
        achieved = r["gflops"] / (r["fused"] / 1000)
        # Against the faster of the two ways that do the same work (no averaged G in any).
        same_work = r.get("fused, no EMA", r["fused"])
        ratio = min(r["reference"], r["classic"]) / same_work
        lean_ratios.append(r["classic, lean"] / same_work)
        ratios.append(ratio)
        spreads.append(abs(r["fused, again"] / same_work - 1))
        no_ema = f"{same_work:>7.1f}" if "fused, no EMA" in r else f"{'-':>7}"
        print(f"{arch:<8} {r['batch']:>5} {r['gflops']:>11.2f} {r['fused']:>9.1f} {no_ema} "
              f"{r['reference']:>11.1f} {r['reference, D inference']:>12.1f} {r['classic']:>10.1f} "
              f"{r['classic, lean']:>8.1f} {achieved:>13.1f} {achieved / ceiling:>9.0%} "
              f"{r['fused, again']:>6.1f} {ratio:>6.2f}", flush=True)
    print(f"lean tutorial round (less work) / fused, worst architecture: {min(lean_ratios):.2f}")
    print(f"resolution: the same fused round timed twice ('again') differs by up to {max(spreads):.1%}")
    print(f"ratio: {min(ratios):.2f}")


if __name__ == "__main__":
    main()
