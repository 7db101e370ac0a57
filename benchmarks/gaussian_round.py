"""One epoch of the 2-D Gaussian demo: the classic per-call loop against the fused ``fit``.

Both ways run the same four-step round (chapter 2) on 10,000 points in batches of 32 (313 rounds)
with the same networks and optimizers, in one process on the current Keras backend:

* classic: ``ClassicGAN``'s per-call loop, four ``train_on_batch`` calls and one
  ``predict_on_batch`` (the FP step's fakes) per round, with the trainable flags set before each
  call; it does not count outcomes, so it does a little less work than the fused round;
* fused: ``ganlib.training.GAN.fit`` with the whole epoch in one compiled call
  (``rounds_per_step=313``), with XLA (``jit_compile=True``) and without.

Compilation is timed separately (first epoch) from steady-state epochs. The last line is
``ratio: X`` = classic seconds per epoch / fused seconds per epoch (the faster fused variant).
Usage: ``python benchmarks/gaussian_round.py [--epochs 5]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import keras

from ganlib import config, data, gaussian
from ganlib.freeze import ClassicGAN
from ganlib.training import pad_to_rounds


def classic_epoch_seconds(cfg, epochs):
    config.set_seed(0)
    gan = gaussian.make_gan(cfg)  # only for its networks and optimizer settings
    classic = ClassicGAN(gan.generator, gan.discriminator, gan.d_optimizer, gan.g_optimizer)
    real, rounds = pad_to_rounds(data.gaussian_data(cfg.n_points, seed=0), cfg.batch_size)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(epochs + 1):  # the first epoch includes tracing: not counted
        order = rng.permutation(len(real))
        start = time.perf_counter()
        for r in range(rounds):
            batch = real[order[r * cfg.batch_size : (r + 1) * cfg.batch_size]]
            z = rng.random((3, cfg.batch_size, cfg.latent_dim), dtype="float32")
            classic.train_discriminator(batch, 1.0)
            classic.train_generator(z[0])
            classic.train_discriminator(classic.generator.predict_on_batch(z[1]), 0.0)
            classic.train_generator(z[2])
        times.append(time.perf_counter() - start)
    return times[0], float(np.median(times[1:]))


def fused_epoch_seconds(cfg, epochs, jit_compile):
    config.set_seed(0)
    real, rounds = pad_to_rounds(data.gaussian_data(cfg.n_points, seed=0), cfg.batch_size)
    gan = gaussian.make_gan(cfg, rounds_per_step=rounds, jit_compile=jit_compile)

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    timer = Timer()
    gan.fit(real, batch_size=len(real), epochs=epochs + 1, verbose=0, callbacks=[timer])
    return timer.times[0], float(np.median(timer.times[1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs after the first")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be 1 or more")
    cfg = config.gaussian_config(quick=False)
    print(config.device_report())
    print(f"one epoch = {cfg.n_points} points, batch {cfg.batch_size}; median of {args.epochs} epochs")

    first, classic = classic_epoch_seconds(cfg, args.epochs)
    print(f"classic train_on_batch loop : {classic:6.3f} s/epoch (first epoch {first:.2f} s)")
    fused = {}
    for jit in (False, True):
        first, per_epoch = fused_epoch_seconds(cfg, args.epochs, jit)
        fused[jit] = per_epoch
        print(f"fused fit, jit_compile={jit!s:<5} : {per_epoch:6.3f} s/epoch (first epoch, with "
              f"compilation, {first:.2f} s; 13 epochs ≈ {first + 12 * per_epoch:.1f} s)")

    start = time.perf_counter()
    run = gaussian.train_gaussian(cfg, seed=0, verbose=0)
    print(f"full demo, train_gaussian({cfg.epochs} epochs, defaults): {time.perf_counter() - start:.2f} s "
          f"wall, of which fit {run.seconds:.2f} s")
    best = min(fused.values())
    print(f"ratio: {classic / best:.1f}")


if __name__ == "__main__":
    main()
