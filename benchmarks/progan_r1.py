"""Chapter 6's ProGAN round at 32x32: the R1 penalty in every round against lazy R1 (every 16th
round, weighted 16 times, as StyleGAN2 and chapter 6's run).

R1 is the gradient of a gradient: in the critic's step it backpropagates through the critic's
input gradient at the real images, which costs about as much again as the rest of the step. Lazy
R1 pays it once in ``r1_every`` rounds (``ops.cond`` picks the branch inside the compiled step).

* ms per round each way: chapter 6's CPU networks and batch at 32x32 (a stable phase), the same
  starting weights, best of ``--repeats`` timed ``fit`` calls of ``--steps`` rounds, the ways
  taking turns (``dcgan_step.interleaved_best``: this VM's speed changes from second to second).

The last line is ``ratio: X`` = ms per round with R1 every round / ms with lazy R1.
Usage: ``python benchmarks/progan_r1.py [--steps 64] [--repeats 5]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from dcgan_step import interleaved_best, stopwatch  # noqa: E402  (same folder)
from ganlib import config, data, progan  # noqa: E402


def round_timer(every, x, steps):
    """A function timing one ``fit`` of ``steps`` 32x32 rounds with R1 every ``every`` rounds."""
    cfg = config.progan_config(budget_name="cpu", r1_every=every)
    channels = dict(zip(progan.RESOLUTIONS, cfg.channels))
    g_net = progan.GrowingGenerator(cfg.latent_dim, channels, seed=0)
    d_net = progan.GrowingDiscriminator(channels, seed=0)
    for r in progan.RESOLUTIONS:  # the smaller stages first: the 32x32 networks reuse their layers
        g_net.model(r, False), d_net.model(r, False)
    gan = progan._build_phase(cfg, g_net, d_net, 32, False, None, 0)
    batch = x[: steps * cfg.batch_size]

    def work():
        gan.fit(batch, batch_size=cfg.batch_size, epochs=1, shuffle=False, verbose=0)

    work()  # compile, warm
    return stopwatch(work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=64, help="rounds per timed fit (a multiple of 16)")
    parser.add_argument("--repeats", type=int, default=5, help="timed fits per way")
    args = parser.parse_args()
    if args.steps < 16 or args.steps % 16 or args.repeats < 1:
        parser.error("--steps must be a positive multiple of 16 and --repeats at least 1")
    mnist = data.load_mnist()
    x32 = progan.pad_to_32(mnist.x_train[np.random.default_rng(0).permutation(len(mnist.x_train))[:20_000]])
    lazy = config.progan_config(budget_name="cpu").r1_every
    timers = {"R1 every round": round_timer(1, x32, args.steps),
              f"lazy R1 (every {lazy}th round)": round_timer(lazy, x32, args.steps)}
    ms = interleaved_best(timers, args.steps, args.repeats)
    for name, value in ms.items():
        print(f"{name}: {value:.1f} ms per 32x32 round")
    every, lazy_ms = ms.values()
    print(f"ratio: {every / lazy_ms:.2f}")


if __name__ == "__main__":
    main()
