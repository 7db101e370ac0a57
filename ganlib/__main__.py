"""The course's experiments from the command line: ``python -m ganlib <experiment> [options]``.

Each experiment prints progress and, as its very last line, one JSON object (``tail -n 1``). Bad
arguments, an unusable or taken output folder and a diverging run exit with code 2 and one line;
Ctrl-C with code 130 and how to continue with ``--resume``. The arguments are checked and the
folder claimed before anything heavy is imported: a mistake costs a second, not a run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shlex
import sys

import numpy as np

from ganlib import config, files

_SCORES = ("classifier_score", "fid", "class_kl", "classes_present")  # a digit run's scores


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line on stderr and exit code 2, and no abbreviated options
    (``mixture --seed 3`` would otherwise run three seeds: ``--seeds 3``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _number(least=None, most=None, why=""):
    """An argparse type: a whole number from ``least`` to ``most`` (``why`` says why at most), or
    without ``least`` a positive finite number."""
    whole = least is not None

    def parse(text):
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {'whole ' * whole}number, got {text!r}") from None
        if not whole and not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
        if whole and value < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, got {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}{why}, got {value}")
        return value

    return parse


def _options(parser, epochs=None, kept=None, seed=True, minutes=None, resume=None, budgets=False):
    """Add the options most commands share, in this order: --epochs, --seed, --quick, (with
    ``budgets``: --budget, --rounds), --out (``kept``: what a checkpointed run keeps beside it, its
    folder's stem), --minutes, --resume."""
    if epochs:
        parser.add_argument("--epochs", type=_number(1), help=epochs)
    if seed:  # NumPy's seeds
        parser.add_argument("--seed", type=_number(0, 2**32 - 1), default=0,
                            help="random seed (default 0)")
    parser.add_argument("--quick", action="store_true", help="quick mode: a tiny budget (as in CI)")
    if budgets:
        parser.add_argument("--budget", choices=("cpu", "gpu"), default=None,
                            help="the budget to run (default: gpu when Keras sees a GPU, else cpu); a "
                                 "GPU budget runs on a CPU too, slowly: with --rounds, a dry run")
        parser.add_argument("--rounds", type=_number(1), default=None,
                            help="a dry run: end every training call after this many rounds (ProGAN: "
                                 "each phase); the rest (data, networks, scores, figures) as the budget's")
    parser.add_argument("--out", default=None, help=(
        f"folder for the checkpoint and {kept[0]}; must be new or empty unless --resume (default: "
        f"a new folder runs/{kept[1]}, runs/{kept[1]}-2, ...)" if kept
        else "folder for figures, new or empty (default: none written)"))
    if minutes:
        parser.add_argument("--minutes", type=_number(), default=None,
                            help="stop before an epoch that would end past this many minutes of training "
                                 f"(default: the budget's; {minutes})")
    if resume:
        parser.add_argument("--resume", action="store_true", help=f"continue the run in --out {resume}")


def _start(args, make=None, stem=None, checkpoint_name=None):
    """Build the run's configuration, ``make(**settings)`` with the settings given on the command
    line (None without ``make``); claim its folder before any training (``--out``, new or empty
    unless ``--resume``; else ``runs/stem``, ``runs/stem-2``, ...; None: nothing is written); print
    the first line and return both. :func:`main` removes the folder again if nothing is written."""
    from ganlib import checkpoint

    given = ("arch", "task", "layout", "fix", "distribute", "epochs", "minutes", "generations", "steps")
    cfg = make(**{k: getattr(args, k) for k in given if getattr(args, k, None) is not None}) if make else None
    args.checkpoint = checkpoint_name or checkpoint.CHECKPOINT_NAME
    if getattr(args, "resume", False):
        if not args.out:
            raise ValueError("--resume needs --out: the folder of the run to continue")
        out = args.run_dir = files.check_out_dir(args.out, "--out")
        if not os.path.exists(os.path.join(out, args.checkpoint)):
            raise ValueError(f"--resume: there is no run to continue in {out!r} (no {args.checkpoint})")
    elif args.out:
        if hasattr(args, "resume") and os.path.exists(os.path.join(args.out, args.checkpoint)):
            raise ValueError(f"--out {args.out!r} already holds a run; pass --resume to continue it "
                             "or choose another folder")
        args.run_dir, args.created = args.out, files.claim_out_dir(args.out, "--out")
    elif stem:
        args.run_dir, args.created = files.new_run_dir(os.path.join("runs", stem))
    more = () if stem is None else ("· budget:", cfg.budget, "· out:", args.run_dir)
    print(config.device_report(), "· mode:", config.mode(), *more, flush=True)
    return cfg, args.run_dir


def _last(history, *keys):
    """The last value of each log ``keys`` in ``history`` (None for a missing or empty log)."""
    return {k: (history[k][-1] if history.get(k) else None) for k in keys}


def _record(run, cfg, out, seconds=None, **fields):
    """The JSON of a run that keeps a checkpoint: its command's ``fields``, then what all report."""
    return {**fields, "epochs": len(run.history.get("d_loss", [])), "resumed_from": run.resumed_from,
            "seconds": round(run.seconds if seconds is None else seconds, 1), "budget": cfg.budget,
            "data_source": run.data_source, "out": out}


def _save(out, images, **kwargs):
    """Save ``images`` (name -> figure, or 2-D array: a grey PNG spanning black to white unless
    ``vmin``/``vmax`` say otherwise) in ``out``; return their paths, sorted."""
    from ganlib import plot

    kwargs = {"vmin": None, "vmax": None, **kwargs}
    for name, image in images.items():
        if isinstance(image, np.ndarray):
            plot.save_image(os.path.join(out, name), image, **kwargs)
        else:
            image.savefig(os.path.join(out, name), dpi=100)
    return sorted(os.path.join(out, name) for name in images)


def _run_conditional(args):
    from ganlib import conditional, metrics, plot
    from ganlib.data import load_mnist

    cfg, out = _start(args, functools.partial(config.conditional_config, args.experiment), args.experiment)
    data = load_mnist()
    classifier = metrics.get_classifier(data=data)
    run = conditional.train_conditional(cfg, seed=args.seed, out_dir=out, resume=args.resume,
                                        data=data, classifier=classifier, verbose=2)
    per_class = 100 if cfg.budget != "quick" else 20
    report = conditional.label_report(run.gan, classifier, per_class, seed=args.seed, reference=data.x_test)
    _save(out, {"digits_by_label.png": plot.image_grid(run.grids[-1], ncols=10)})
    print(f"{args.experiment}: label accuracy {100 * report['label_accuracy']:.1f}%, classifier score "
          f"{report['classifier_score']:.2f}, FID {report['fid']:.1f}, class KL {report['class_kl']:.3f}",
          flush=True)
    return _record(run, cfg, out, **{k: report[k] for k in ("label_accuracy", "per_class_accuracy",
                                                            "confusion", *_SCORES)},
                   samples=len(report["confusion"]) * per_class, kind=args.experiment,
                   **_last(run.history, "minutes"))


def _run_pix2pix(args):
    from ganlib import conditional

    cfg, out = _start(args, config.pix2pix_config, f"pix2pix-{args.task}")
    run = conditional.train_pix2pix(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=2)
    strip = np.concatenate([np.concatenate(list(v[..., 0]), axis=1) for v in run.examples.values()], axis=0)
    _save(out, {"strip.png": (strip + 1) / 2}, vmin=0, vmax=1)
    methods = {k: v for k, v in run.results.items() if k != "truth"}
    for name, report in methods.items():
        print(conditional.translation_line(args.task, name, report), flush=True)
    return _record(run, cfg, out, seconds=run.seconds + run.l1_seconds, task=args.task,
                   **{k: methods["gan"][k] for k in ("psnr", "ssim", "fid", "classifier_accuracy", "sharpness")},
                   methods=methods, truth=run.results["truth"], test_digits=cfg.eval_samples,
                   l1_epochs=len(run.l1_history.get("loss", [])))


def _run_bigan(args):
    from ganlib import bigan, metrics, plot
    from ganlib.data import load_mnist

    cfg, out = _start(args, config.bigan_config, "bigan")
    data = load_mnist()
    classifier = metrics.get_classifier(data=data)
    run = bigan.train_bigan(cfg, seed=args.seed, out_dir=out, resume=args.resume, data=data,
                            classifier=classifier, verbose=2)
    n_train = 1000 if cfg.budget == "quick" else None
    report = bigan.probe_report(run.gan, data, classifier, seed=args.seed, n_train=n_train)
    test = data.x_test[:16]
    pairs = list(test) + list(run.gan.reconstruct(test))
    _save(out, {"reconstructions.png": plot.image_grid(pairs, ncols=16),
                "samples.png": plot.image_grid(run.grids[-1], ncols=8)})
    for name, r in report["probe"].items():
        print(f"linear probe on {name}: test accuracy {100 * r['test_accuracy']:.1f}%", flush=True)
    for name, by_count in report["few_labels"].items():
        for n, r in by_count.items():
            print(bigan.few_label_line(name, n, r), flush=True)
    print(f"reconstructions G(E(x)) read as the same digit: {100 * report['reconstruction_accuracy']:.1f}%",
          flush=True)
    few = {name: {str(n): {"mean": r["mean"], "std": r["std"]} for n, r in by_count.items()}
           for name, by_count in report["few_labels"].items()}
    return _record(run, cfg, out, probe={name: r["test_accuracy"] for name, r in report["probe"].items()},
                   few_labels=few,
                   reconstruction_accuracy=report["reconstruction_accuracy"],
                   **_last(run.history, "classifier_score", "fid", "class_kl", "minutes"))


def _run_generations(args):
    from ganlib import generated, plot

    # A folder holds a chain once its first generation has started.
    cfg, out = _start(args, config.generations_config, "generations", "generation-1")
    run = generated.run_generations(
        cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=2,
        on_generation=lambda g, report: print(generated.generation_line(g, report), flush=True))
    _save(out, {"generations.png": np.concatenate([plot.image_grid(grid[:16], ncols=16)
                                                   for grid in run.grids], axis=0)})
    keys = ("classifier_score", "fid", "class_kl", "diversity", "classes_present")
    reports = [{"generation": g, **{k: r[k] for k in keys}} for g, r in enumerate(run.reports)]
    return {"generations": reports, "trained_on": run.trained_on, "seconds": round(run.seconds, 1),
            "budget": cfg.budget, "data_source": run.data_source, "out": out}


def build_parser():
    parser = _Parser(prog="python -m ganlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="experiment", metavar="experiment", parser_class=_Parser, required=True)
    at_most = "at most (default: the budget's; CPU 200 within --minutes, GPU {}, quick {})"
    last_epoch = "after its last complete epoch"

    g = sub.add_parser("gaussian", help="train the 2-D Gaussian demo (chapter 3)")
    _options(g, "epochs (default 13; quick mode 5)")
    points = config.GaussianConfig.n_points
    g.add_argument("--batch-size", type=_number(1, points, " (the real points)"), default=None,
                   help="points per round (32)")

    sub.add_parser("freeze-audit", help="which weights change in each step, Keras-2 idiom vs ganlib")

    d = sub.add_parser("dcgan", help="train a DCGAN on MNIST (chapter 5)")
    _options(d, "epochs, " + at_most.format(50, 2), ("sample grids", "dcgan-ARCH"),
             minutes="CPU 20 for compact, 12 for seed and radford; GPU and quick none", resume=last_epoch,
             budgets=True)
    d.add_argument("--arch", choices=config.DCGAN_ARCHS, default="seed",
                   help="the source's DCGAN (seed), Radford et al.'s guidelines (radford) or the "
                        "course's CPU-sized DCGAN (compact)")
    d.add_argument("--distribute", action="store_true",
                   help="train data-parallel on every visible device (GPUs, else the CPU)")

    m = sub.add_parser("mixture", help="mode collapse on the ring of 8 or grid of 25 Gaussians (chapter 7)")
    m.add_argument("--layout", choices=config.LAYOUTS, default="ring", help="ring of 8 or grid of 25")
    m.add_argument("--fix", choices=config.FIXES, default="none",
                   help="remedy: none, minibatch stddev, minibatch discrimination or packing")
    m.add_argument("--seeds", type=_number(1, 1000), default=5, help="seeds 0..N-1 (default 5)")
    m.add_argument("--steps", type=_number(1), default=None,
                   help="learning rounds per seed (default: ring 10000, grid 20000; quick mode 200)")
    m.add_argument("--workers", type=_number(1, os.cpu_count() or 1, " (this machine's CPU cores)"),
                   default=1, help="seeds trained at once in separate processes (default 1)")
    _options(m, seed=False)

    s = sub.add_parser("stacked", help="mode collapse on Stacked MNIST's 1,000 modes (chapter 7)")
    s.add_argument("--fix", choices=config.STACKED_FIXES, default="none",
                   help="remedy: none, packing (PacGAN, 2 stacks per pack) or minibatch stddev")
    s.add_argument("--arch", choices=config.STACKED_ARCHS, default="compact",
                   help="chapter 5's compact DCGAN (compact) or Metz et al.'s, with a discriminator a "
                        "quarter of the generator's size (metz)")
    s.add_argument("--seeds", type=_number(1, 1000), default=3, help="seeds 0..N-1 (default 3)")
    s.add_argument("--workers", type=_number(1, os.cpu_count() or 1, " (this machine's CPU cores)"),
                   default=1, help="seeds trained at once in separate processes (default 1)")
    _options(s, "epochs of 250 rounds per seed, at most (default: the budget's; CPU 8 within "
             "--minutes, GPU 40 of 1000 rounds, quick 2)", ("seed folders", "stacked-ARCH-FIX"), seed=False,
             minutes=f"CPU {config.STACKED_CPU_MINUTES:g} per seed; GPU and quick none",
             resume="finishing its unfinished seeds", budgets=True)

    p = sub.add_parser("progan", help="ProGAN on MNIST at 32x32, growing from 4x4 (chapter 6)")
    _options(p, kept=("sample grids", "progan"),
             resume="from its last checkpoint (the right phase and alpha)", budgets=True)

    later = {  # chapters 8 and 9: name -> (what it trains, --epochs help)
        "cgan": ("a conditional GAN: the label joined to the noise and the image (chapter 8)",
                 "epochs, " + at_most.format(30, 2)),
        "acgan": ("an auxiliary-classifier GAN: D also names the digit (chapter 8)",
                  "epochs, " + at_most.format(30, 2)),
        "pix2pix": ("image-to-image GAN: super-resolution or inpainting of digits, beside an L1-only "
                    "twin and the plain baseline (chapter 8)", "epochs of the GAN, "
                    + at_most.format(30, 1) + "; the L1-only network trains as many minutes (without "
                    "minutes: twice the epochs)"),
        "bigan": ("BiGAN: a generator, an encoder and a discriminator of (image, code) pairs; a linear "
                  "probe on the encoder's codes (chapter 9)", "epochs, " + at_most.format(30, 2)),
        "generations": ("a chain of DCGANs, each trained only on the digits of the one before "
                        "(chapter 9)", "epochs per generation, " + at_most.format(20, 1)),
    }
    for name, (what, epochs) in later.items():
        k = sub.add_parser(name, help=what)
        if name == "pix2pix":
            k.add_argument("--task", choices=config.PIX2PIX_TASKS, required=True,
                           help="superres: 7x7 digits back to 28x28; superres4: from 4x4; inpaint: fill "
                                "a 12x12 square; lower-half: draw the hidden lower half")
        _options(k, epochs, ("figures", "EXPERIMENT"), resume=last_epoch,
                 minutes="CPU 10 for cgan and acgan, 6 for pix2pix, 8 for bigan, 4 per generation",
                 budgets=True)
        if name == "generations":
            k.add_argument("--generations", type=_number(1), default=None,
                           help="generators in the chain (default 4; quick mode 2)")

    c = sub.add_parser("collapse", help="a small DCGAN on MNIST with poorly chosen hyperparameters "
                       "(chapter 7)")
    _options(c, "epochs (default 4; quick mode 1)")
    c.add_argument("--fix", choices=config.MNIST_FIXES, default="none",
                   help="remedy: none or minibatch standard deviation in the discriminator")
    return parser


def _run_mixture(args):
    from ganlib import mixture

    cfg, out = _start(args, config.mixture_config)
    result, last = mixture.run_seeds(cfg, seeds=args.seeds, verbose=2, return_last=True, workers=args.workers)
    for s in result["per_seed"]:
        print(f"seed {s['seed']}: {s['modes']} modes, {100 * s['high_quality']:.1f}% high-quality, "
              f"KL {s['kl']:.3f}, {s['seconds']} s", flush=True)
    if out:
        import matplotlib

        matplotlib.use("Agg")
        from ganlib import plot

        result["figures"] = _save(out, {"samples.png": plot.mixture_snapshots(
            last.snapshots, args.layout, title=f"{args.layout}, fix={args.fix}, seed {last.seed}")})
    return result


def _run_collapse(args):
    from ganlib import collapse, plot  # plot: already imported by collapse

    cfg, out = _start(args, config.collapse_config)
    run = collapse.train_collapse(cfg, seed=args.seed, verbose=2)
    result = {"class_histogram": run.histograms[-1] if run.histograms else None,
              **_last(run.history, "class_kl", "classes_present"), "histograms": run.histograms,
              "epochs": cfg.epochs, "fix": cfg.fix, "seconds": round(run.seconds, 1),
              "data_source": run.data_source}
    if out:
        result["figures"] = _save(out, {f"collapse-{cfg.fix}.png": plot.image_grid(run.grids[-1])})
    return result


def _run_gaussian(args):
    from ganlib import data, gaussian, plot

    cfg = config.gaussian_config()  # its --epochs go to the trainer
    out = _start(args)[1]
    run = gaussian.train_gaussian(cfg, seed=args.seed, epochs=args.epochs, batch_size=args.batch_size,
                                  verbose=2)
    result = run.summary()
    if out:
        real = data.gaussian_data(cfg.n_points, cfg.center, cfg.std, seed=args.seed)
        figures = {"epoch_grid.png": plot.epoch_grid(real, run.snapshots, center=cfg.center, std=cfg.std)}
        if run.history.get("d_loss"):
            figures.update({"losses.png": plot.loss_curves(run.history),
                            "outcomes.png": plot.outcome_counts(run.history)})
        result["figures"] = _save(out, figures)
    return result


def _run_dcgan(args):
    from ganlib import data, dcgan, metrics, plot, training

    cfg, out = _start(args, config.dcgan_config, f"dcgan-{args.arch}")
    run = dcgan.train_dcgan(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=0,
                            callbacks=[training.EpochLog(args.arch)])
    _save(out, {f"samples_epoch{epoch:03d}.png": plot.image_grid(grid)
                for epoch, grid in enumerate(run.grids, start=run.resumed_from)})
    mnist = data.load_mnist()
    # The real test digits' score (the yardstick of "x % of real") and the memorisation ratio.
    real = metrics.evaluate(mnist.x_test, metrics.get_classifier(data=mnist))["classifier_score"]
    copied = metrics.memorisation(run.gan.generate(1000, seed=13), mnist)["ratio"]
    return _record(run, cfg, out, **_last(run.history, *_SCORES, "minutes", "d_loss", "g_loss"),
                   arch=args.arch, devices=run.devices, real_classifier_score=round(real, 3),
                   memorisation_ratio=round(copied, 3))


def _run_progan(args):
    from ganlib import plot, progan

    cfg, out = _start(args, config.progan_config, "progan", progan.CHECKPOINT_NAME)
    run = progan.train_progan(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=1)
    _save(out, {f"samples_{label.replace(' ', '_')}.png": plot.image_grid(progan.to_28(grid))
                for label, grid in run.grids})
    final = run.stages[-1]
    stages = [{"resolution": s["resolution"], "fading": s["fading"], "seconds": round(s["seconds"], 1),
               "classifier_score": s["classifier_score"]} for s in run.stages]
    return {"resolution": final["resolution"], "stages": stages, **{k: final[k] for k in _SCORES},
            "seconds": round(run.seconds, 1), "budget": cfg.budget, "out": out}


def _run_stacked(args):
    from ganlib import plot, stacked

    cfg, out = _start(args, config.stacked_config, f"stacked-{args.arch}-{args.fix}", "seed-0")
    result = stacked.run_seeds(cfg, args.seeds, workers=args.workers, out_dir=out, resume=args.resume,
                               verbose=2)
    samples = result["per_seed"][-1]["samples"]
    for row in result["per_seed"]:
        print(f"seed {row['seed']}: {row['modes']} mode{'s' * (row['modes'] != 1)}, KL {row['kl']:.3f}, "
              f"{row['epochs']} epochs, {row['seconds']} s", flush=True)
        del row["counts"], row["samples"]
        row["kl"] = round(row["kl"], 4)
    print(stacked.summary_line(stacked.variant(cfg), result), flush=True)
    result["figures"] = _save(out, {"samples.png": plot.image_grid(samples / 127.5 - 1, ncols=6)})
    rounded = {k: round(result[k], 4) for k in ("modes", "modes_std", "modes_se", "kl", "kl_std", "kl_se")}
    return {**result, **rounded, "budget": cfg.budget, "out": out}


def _run_freeze_audit(args):
    from ganlib import freeze

    print(config.device_report(), flush=True)
    return freeze.freeze_audit()


def _import_keras_quietly():
    """Import Keras (and its backend) with file descriptor 2 pointed at /dev/null: TensorFlow's
    C++ start-up lines (absl, oneDNN) would otherwise stand before every message of ours."""
    if "keras" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. an embedding host): import as usual
        import keras  # noqa: F401
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _interrupted(args, argv):
    """The Ctrl-C line: how to continue the run, if a checkpoint was kept (after which complete
    epoch, where ganlib's checkpoint records one)."""
    from ganlib.checkpoint import CHECKPOINT_NAME

    kept = args.run_dir and hasattr(args, "resume") and os.path.join(args.run_dir, args.checkpoint)
    if not kept or not os.path.exists(kept):
        return "interrupted; nothing to resume"
    again = [a for a in argv if a != "--resume"] + ["--resume"]
    again += [] if args.out else ["--out", args.run_dir]
    epoch = None
    try:  # read here, not through ganlib.checkpoint, so that no checkpoint can fail this line
        if args.checkpoint == CHECKPOINT_NAME:
            with np.load(kept, allow_pickle=False) as saved:
                epoch = json.loads(str(saved["__meta__"]))["epoch"]
    except Exception:
        pass
    after = f" after epoch {epoch}" if type(epoch) is int and epoch >= 0 else ""
    return f"interrupted{after}; continue with: python -m ganlib {shlex.join(again)}"


def main(argv=None):
    """Run one experiment; return 0. Bad input and failed runs end in ``SystemExit(2)``, Ctrl-C in
    ``SystemExit(130)``, each after one line on stderr (as argparse's own errors do)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.run_dir = args.created = None
    runners = {"gaussian": _run_gaussian, "freeze-audit": _run_freeze_audit, "dcgan": _run_dcgan,
               "mixture": _run_mixture, "collapse": _run_collapse, "stacked": _run_stacked,
               "progan": _run_progan, "cgan": _run_conditional, "acgan": _run_conditional,
               "pix2pix": _run_pix2pix, "bigan": _run_bigan, "generations": _run_generations}
    try:
        _import_keras_quietly()
        if getattr(args, "quick", False):  # ganlib.config reads quick mode from the environment
            if getattr(args, "budget", None):
                raise ValueError("--budget cannot be combined with --quick: quick mode is a budget of its own")
            os.environ[config.QUICK_ENV] = "1"
        if getattr(args, "budget", None):  # ... and the budget and the dry run's rounds
            os.environ[config.BUDGET_ENV] = args.budget
        if getattr(args, "rounds", None):
            os.environ[config.ROUNDS_ENV] = str(args.rounds)
        from ganlib.training import stop_on_ctrl_c

        with stop_on_ctrl_c():  # Ctrl-C stops training between two batches
            result = runners[args.experiment](args)
    except KeyboardInterrupt:
        line, code = _interrupted(args, argv), 130
    except (ValueError, FloatingPointError, OSError, MemoryError) as exc:
        # One line, no traceback: bad input, an unwritable folder, or a run that diverged.
        message = " ".join(str(exc).split()) or type(exc).__name__
        line, code = f"python -m ganlib {args.experiment}: error: {message}", 2
    else:
        print(json.dumps(result), flush=True)
        return 0
    if args.created:  # a folder this run made and left empty goes again
        files.remove_empty_dirs(args.run_dir, args.created)
    print(line, file=sys.stderr, flush=True)
    raise SystemExit(code)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as exc:
        if exc.code != 130:
            raise
        # After Ctrl-C, leave without the interpreter's clean-up: TensorFlow's threads, stopped
        # mid-epoch, can abort it. Everything kept is already on disk (written atomically).
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(130)
