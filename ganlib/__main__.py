"""The course's experiments from the command line: ``python -m ganlib <experiment> [options]``.

Each experiment prints progress while it runs and, as its very last line, one JSON object with its
results, so scripts can read ``tail -n 1``. Bad arguments exit with code 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_int(text):
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be 1 or more, got 0")
    return value


def _common(parser, epochs_help):
    parser.add_argument("--epochs", type=_non_negative_int, help=epochs_help)
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--quick", action="store_true", help="quick mode: a tiny budget (as in CI)")
    parser.add_argument("--out", default=None, help="folder for figures (default: none written)")


def build_parser():
    parser = _Parser(prog="python -m ganlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="experiment", metavar="experiment", parser_class=_Parser)
    sub.required = True

    g = sub.add_parser("gaussian", help="train the 2-D Gaussian demo (chapter 3)")
    _common(g, "epochs (default 13; quick mode 2)")
    g.add_argument("--batch-size", type=_positive_int, default=None, help="points per round (32)")

    sub.add_parser("freeze-audit", help="which weights change in each step, Keras-2 idiom vs ganlib")

    d = sub.add_parser("dcgan", help="train a DCGAN on MNIST (chapter 5)")
    _common(d, "epochs (default 5; quick mode 2)")
    d.add_argument("--arch", choices=("seed", "radford"), default="seed",
                   help="the source's DCGAN (seed) or Radford et al.'s guidelines (radford)")
    d.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in --out after its last complete epoch")
    m = sub.add_parser("mixture", help="mode collapse on the ring of 8 or grid of 25 Gaussians (chapter 7)")
    m.add_argument("--layout", choices=("ring", "grid"), default="ring", help="ring of 8 or grid of 25")
    m.add_argument("--fix", choices=("none", "mbstd", "minibatch", "pack"), default="none",
                   help="remedy: none, minibatch stddev, minibatch discrimination or packing")
    m.add_argument("--seeds", type=_positive_int, default=5, help="seeds 0..N-1 (default 5)")
    m.add_argument("--steps", type=_positive_int, default=None,
                   help="learning rounds per seed (default: ring 10000, grid 20000; quick mode 200)")
    m.add_argument("--workers", type=_positive_int, default=1,
                   help="seeds trained at once in separate processes (default 1)")
    m.add_argument("--quick", action="store_true", help="quick mode: a tiny budget (as in CI)")
    m.add_argument("--out", default=None, help="folder for figures (default: none written)")

    c = sub.add_parser("collapse", help="a small DCGAN on MNIST with poorly chosen hyperparameters "
                       "(chapter 7)")
    _common(c, "epochs (default 4; quick mode 1)")
    c.add_argument("--fix", choices=("none", "mbstd"), default="none",
                   help="remedy: none or minibatch standard deviation in the discriminator")
    return parser


def _run_mixture(args):
    from ganlib import config, mixture

    overrides = {} if args.steps is None else {"steps": args.steps}
    cfg = mixture.mixture_config(args.layout, args.fix, **overrides)
    print(config.device_report(), "· mode:", config.mode(), flush=True)
    result, last = mixture.run_seeds(cfg, seeds=args.seeds, verbose=2, return_last=True,
                                     workers=args.workers)
    for s in result["per_seed"]:
        print(f"seed {s['seed']}: {s['modes']} modes, {100 * s['high_quality']:.1f}% high-quality, "
              f"KL {s['kl']:.3f}, {s['seconds']} s", flush=True)
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        from ganlib import plot

        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, "samples.png")
        plot.mixture_snapshots(last.snapshots, args.layout, title=f"{args.layout}, fix={args.fix}, "
                               f"seed {last.seed}").savefig(path, dpi=100)
        result["figures"] = [path]
    return result


def _run_collapse(args):
    from ganlib import collapse, config

    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    cfg = collapse.collapse_config(args.fix, **overrides)
    print(config.device_report(), "· mode:", config.mode(), flush=True)
    try:
        run = collapse.train_collapse(cfg, seed=args.seed, verbose=2)
    except FloatingPointError as exc:
        raise ValueError(str(exc)) from exc
    result = {
        "class_histogram": run.histograms[-1] if run.histograms else None,
        "class_kl": run.history["class_kl"][-1] if run.histograms else None,
        "classes_present": run.history["classes_present"][-1] if run.histograms else None,
        "histograms": run.histograms,
        "epochs": cfg.epochs,
        "fix": cfg.fix,
        "seconds": round(run.seconds, 1),
        "data_source": run.data_source,
    }
    if args.out:
        import matplotlib.pyplot as plt

        from ganlib.dcgan import image_grid

        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, f"collapse-{cfg.fix}.png")
        plt.imsave(path, image_grid(run.grids[-1]), cmap="gray")
        result["figures"] = [path]
    return result


def _run_gaussian(args):
    from ganlib import config, gaussian, plot

    cfg = config.gaussian_config()
    print(config.device_report(), "· mode:", config.mode(), flush=True)
    run = gaussian.train_gaussian(cfg, seed=args.seed, epochs=args.epochs, batch_size=args.batch_size,
                                  verbose=2)
    result = run.summary()
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        from ganlib import data

        real = data.gaussian_data(cfg.n_points, cfg.center, cfg.std, seed=args.seed)
        figures = {"epoch_grid.png": plot.epoch_grid(real, run.snapshots, center=cfg.center, std=cfg.std)}
        if run.history.get("d_loss"):
            figures["losses.png"] = plot.loss_curves(run.history)
            figures["outcomes.png"] = plot.outcome_counts(run.history)
        for name, fig in figures.items():
            fig.savefig(os.path.join(args.out, name), dpi=100)
        result["figures"] = sorted(os.path.join(args.out, n) for n in figures)
    return result


def _run_dcgan(args):
    import dataclasses

    import matplotlib.pyplot as plt

    from ganlib import config, dcgan

    cfg = config.dcgan_config(args.arch)
    if args.epochs is not None:
        cfg = dataclasses.replace(cfg, epochs=args.epochs)
    out = args.out or os.path.join("runs", f"dcgan-{args.arch}")
    print(config.device_report(), "· mode:", config.mode(), "· out:", out, flush=True)
    try:
        run = dcgan.train_dcgan(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=2)
    except FloatingPointError as exc:
        raise ValueError(str(exc)) from exc
    for epoch, grid in enumerate(run.grids, start=run.resumed_from):
        plt.imsave(os.path.join(out, f"samples_epoch{epoch:03d}.png"), dcgan.image_grid(grid), cmap="gray")
    last = {k: (v[-1] if v else None) for k, v in run.history.items()}
    return {
        "classifier_score": last.get("classifier_score"),
        "fid": last.get("fid"),
        "class_kl": last.get("class_kl"),
        "classes_present": last.get("classes_present"),
        "epochs": len(run.history.get("d_loss", [])),
        "resumed_from": run.resumed_from,
        "seconds": round(run.seconds, 1),
        "data_source": run.data_source,
        "arch": args.arch,
        "d_loss": last.get("d_loss"),
        "g_loss": last.get("g_loss"),
        "out": out,
    }


def _run_freeze_audit(args):
    from ganlib import config, freeze

    print(config.device_report(), flush=True)
    return freeze.freeze_audit()


def main(argv=None):
    args = build_parser().parse_args(argv)
    if getattr(args, "quick", False):
        # Quick mode is decided in ganlib.config from this variable; --quick just sets it.
        from ganlib.config import QUICK_ENV

        os.environ[QUICK_ENV] = "1"
    runners = {"gaussian": _run_gaussian, "freeze-audit": _run_freeze_audit, "dcgan": _run_dcgan,
               "mixture": _run_mixture, "collapse": _run_collapse}
    try:
        result = runners[args.experiment](args)
    except ValueError as exc:
        print(f"python -m ganlib {args.experiment}: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
