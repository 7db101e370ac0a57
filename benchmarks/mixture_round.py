"""Chapter 7's mixture training: the fused round without XLA (Keras's default here) against XLA.

The networks of ``ganlib.mixture`` are small MLPs (256 units), so per-operation overhead weighs
as much as arithmetic, and XLA, which fuses operations, may pay off where it does not for the
DCGAN's convolutions. Both ways train the same configuration (grid, minibatch standard deviation,
batch 128) with ``rounds_per_epoch`` rounds per compiled call, in one process, alternating, so
that a background load hits both alike. Compilation (the first call) is timed separately.

The last line is ``ratio: X`` = ms per round without XLA / ms per round with XLA.
Usage: ``python benchmarks/mixture_round.py [--rounds 500] [--repeats 3] [--fix mbstd]``.
"""

from __future__ import annotations

import argparse
import time

import keras

from ganlib import mixture
from ganlib.config import set_seed
from ganlib.training import GAN


def build(cfg, jit_compile):
    set_seed(0)
    scale = mixture.mixture_scale(cfg.layout)
    gan = GAN(mixture.mixture_generator(cfg.latent_dim, cfg.units, scale),
              mixture.mixture_discriminator(cfg.fix, cfg.units, cfg.pack, cfg.group_size, scale),
              noise="normal", ema_momentum=cfg.ema_momentum, rounds_per_step=cfg.rounds_per_epoch, seed=0)
    gan.compile(keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1),
                keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1), jit_compile=jit_compile)
    return gan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500, help="rounds per compiled call")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per way")
    parser.add_argument("--fix", default="mbstd", choices=mixture.FIXES)
    parser.add_argument("--layout", default="grid", choices=mixture.LAYOUTS)
    args = parser.parse_args()
    cfg = mixture.MixtureConfig(layout=args.layout, fix=args.fix, rounds_per_epoch=args.rounds)
    x = mixture.sample_mixture(args.rounds * cfg.batch_size, cfg.layout, seed=0)
    ways = {"no XLA (jit_compile=False)": False, "XLA (jit_compile=True)": True}
    gans, first = {}, {}
    for name, jit in ways.items():
        gans[name] = build(cfg, jit)
        start = time.perf_counter()
        gans[name].fit(x, batch_size=len(x), epochs=1, verbose=0)
        first[name] = time.perf_counter() - start
    times = {name: [] for name in ways}
    for _ in range(args.repeats):
        for name in ways:
            start = time.perf_counter()
            gans[name].fit(x, batch_size=len(x), epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
    print(f"{cfg.layout}, fix={cfg.fix}, batch {cfg.batch_size}, {args.rounds} rounds per call, "
          f"{keras.backend.backend()} backend")
    ms = {}
    for name in ways:
        ms[name] = 1000 * min(times[name]) / args.rounds
        print(f"{name:28s} {ms[name]:7.2f} ms per round (best of {args.repeats}); "
              f"first call with compilation {first[name]:.1f} s")
    print(f"ratio: {ms['no XLA (jit_compile=False)'] / ms['XLA (jit_compile=True)']:.2f}")


if __name__ == "__main__":
    main()
