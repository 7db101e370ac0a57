"""The course's experiments from the command line: ``python -m ganlib <experiment> [options]``.

Each experiment prints progress while it runs and, as its very last line, one JSON object with its
results, so scripts can read ``tail -n 1``. Bad arguments (``--epochs`` must be 1 or more, a batch
at most the data), an output folder that cannot be written or already holds a run (is not empty),
and a run that diverges (NaN) exit with code 2 and a one-line message; arguments and folders are
checked before any training starts, and nothing is written when they are wrong. Ctrl-C exits with
code 130 and one line: how to continue the run with ``--resume``, where there is one to continue.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

from ganlib.config import DCGAN_ARCHS, GaussianConfig


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _whole(least, most=None, why=""):
    """An argparse type: a whole number from ``least`` to ``most`` (``why`` says why at most)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, got {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}{why}, got {value}")
        return value

    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


_SEED = _whole(0, 2**32 - 1)  # NumPy's seeds


def _common(parser, epochs_help, out_help="folder for figures, new or empty (default: none written)"):
    parser.add_argument("--epochs", type=_whole(1), help=epochs_help)
    parser.add_argument("--seed", type=_SEED, default=0, help="random seed (default 0)")
    parser.add_argument("--quick", action="store_true", help="quick mode: a tiny budget (as in CI)")
    parser.add_argument("--out", default=None, help=out_help)


def _conditional_options(parser, epochs_help):
    _common(parser, epochs_help,
            out_help="folder for the checkpoint and figures; must be new or empty unless --resume "
                     "(default: a new folder runs/EXPERIMENT, runs/EXPERIMENT-2, ...)")
    parser.add_argument("--minutes", type=_positive_float, default=None,
                        help="stop after the first epoch past this many minutes of training "
                             "(default: the budget's; CPU 10 for cgan and acgan, 6 for pix2pix, "
                             "8 for bigan, 4 per generation)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out after its last complete epoch")


def _claim(args, stem=None, checkpoint_name=None):
    """The run's folder, claimed before any training; None when nothing is to be written.

    ``--out`` must be new or empty (a folder that holds anything holds an earlier run), unless
    ``--resume`` continues the run whose ``checkpoint_name`` it holds. Without ``--out``, commands
    that keep a checkpoint (``stem``) get a new folder ``runs/stem``, ``runs/stem-2``, ... The
    folder is recorded in ``args`` for :func:`main`, which removes it again if the run fails or is
    interrupted before writing anything.
    """
    from ganlib import checkpoint, files

    args.checkpoint = checkpoint_name or checkpoint.CHECKPOINT_NAME
    resumable = hasattr(args, "resume")
    if resumable and args.resume:
        if not args.out:
            raise ValueError("--resume needs --out: the folder of the run to continue")
        out = files.check_out_dir(args.out, "--out")
        if not os.path.exists(os.path.join(out, args.checkpoint)):
            raise ValueError(f"--resume: there is no run to continue in {out!r} (no {args.checkpoint})")
        args.run_dir = out
    elif args.out:
        if resumable and os.path.exists(os.path.join(args.out, args.checkpoint)):
            raise ValueError(f"--out {args.out!r} already holds a run; pass --resume to continue it "
                             "or choose another folder")
        args.run_dir, args.created = args.out, files.claim_out_dir(args.out, "--out")
    elif stem:
        args.run_dir, args.created = files.new_run_dir(os.path.join("runs", stem))
    return args.run_dir


def _overrides(args):
    """The settings given on the command line, as config overrides."""
    names = ("epochs", "minutes", "generations", "steps")
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


def _header(cfg=None, out=None):
    """The first line: device and mode (and a checkpointed run's budget and folder)."""
    from ganlib import config

    more = () if cfg is None else ("· budget:", cfg.budget, "· out:", out)
    print(config.device_report(), "· mode:", config.mode(), *more, flush=True)


def _save(out, name, image, **kwargs):
    """Write a 2-D image (a grid of digits) to ``out/name`` as a grey PNG; return its path."""
    import matplotlib.pyplot as plt

    path = os.path.join(out, name)
    plt.imsave(path, image, cmap="gray", **kwargs)
    return path


def _run_conditional(args):
    from ganlib import conditional, config, metrics
    from ganlib.dcgan import image_grid

    cfg = config.conditional_config(args.experiment, **_overrides(args))
    out = _claim(args, args.experiment)
    _header(cfg, out)
    from ganlib.data import load_mnist

    data = load_mnist()
    classifier = metrics.get_classifier(data=data)
    run = conditional.train_conditional(cfg, seed=args.seed, out_dir=out, resume=args.resume,
                                        data=data, classifier=classifier, verbose=2)
    per_class = 100 if cfg.budget != "quick" else 20
    report = conditional.label_report(run.gan, classifier, per_class, seed=args.seed,
                                      reference=data.x_test)
    _save(out, "digits_by_label.png", image_grid(run.grids[-1], ncols=10))
    print(f"{args.experiment}: label accuracy {100 * report['label_accuracy']:.1f}%, classifier score "
          f"{report['classifier_score']:.2f}, FID {report['fid']:.1f}, class KL {report['class_kl']:.3f}",
          flush=True)
    return {
        "label_accuracy": report["label_accuracy"],
        "per_class_accuracy": report["per_class_accuracy"],
        "confusion": report["confusion"],
        "classifier_score": report["classifier_score"],
        "fid": report["fid"],
        "class_kl": report["class_kl"],
        "classes_present": report["classes_present"],
        "samples": len(report["confusion"]) * per_class,
        "epochs": len(run.history.get("d_loss", [])),
        "resumed_from": run.resumed_from,
        "minutes": (run.history.get("minutes") or [None])[-1],
        "seconds": round(run.seconds, 1),
        "kind": args.experiment,
        "budget": cfg.budget,
        "data_source": run.data_source,
        "out": out,
    }


def _run_pix2pix(args):
    import numpy as np

    from ganlib import conditional, config

    cfg = config.pix2pix_config(args.task, **_overrides(args))
    out = _claim(args, f"pix2pix-{args.task}")
    _header(cfg, out)
    run = conditional.train_pix2pix(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=2)
    strip = np.concatenate([np.concatenate(list(run.examples[k][..., 0]), axis=1)
                            for k in run.examples], axis=0)
    _save(out, "strip.png", (strip + 1) / 2, vmin=0, vmax=1)
    methods = {k: v for k, v in run.results.items() if k != "truth"}
    for name, r in methods.items():
        print(f"{args.task} {name}: PSNR {r['psnr']:.2f} dB, SSIM {r['ssim']:.3f}, classifier accuracy "
              f"{100 * r['classifier_accuracy']:.1f}%", flush=True)
    gan = methods["gan"]
    return {
        "task": args.task,
        "psnr": gan["psnr"],
        "ssim": gan["ssim"],
        "classifier_accuracy": gan["classifier_accuracy"],
        "sharpness": gan["sharpness"],
        "methods": methods,
        "truth": run.results["truth"],
        "test_digits": cfg.eval_samples,
        "epochs": len(run.history.get("d_loss", [])),
        "l1_epochs": len(run.l1_history.get("loss", [])),
        "resumed_from": run.resumed_from,
        "seconds": round(run.seconds + run.l1_seconds, 1),
        "budget": cfg.budget,
        "data_source": run.data_source,
        "out": out,
    }


def _run_bigan(args):
    from ganlib import bigan, config, metrics
    from ganlib.data import load_mnist
    from ganlib.dcgan import image_grid

    cfg = config.bigan_config(**_overrides(args))
    out = _claim(args, "bigan")
    _header(cfg, out)
    data = load_mnist()
    classifier = metrics.get_classifier(data=data)
    run = bigan.train_bigan(cfg, seed=args.seed, out_dir=out, resume=args.resume, data=data,
                            classifier=classifier, verbose=2)
    n_train = 1000 if cfg.budget == "quick" else None
    report = bigan.probe_report(run.gan, data, classifier, seed=args.seed, n_train=n_train)
    test = data.x_test[:16]
    pairs = list(test) + list(run.gan.reconstruct(test))
    _save(out, "reconstructions.png", image_grid(pairs, ncols=16))
    _save(out, "samples.png", image_grid(run.grids[-1], ncols=8))
    for name, r in report["probe"].items():
        print(f"linear probe on {name}: test accuracy {100 * r['test_accuracy']:.1f}%", flush=True)
    print(f"reconstructions G(E(x)) read as the same digit: {100 * report['reconstruction_accuracy']:.1f}%",
          flush=True)
    h = run.history
    return {
        "probe": {name: r["test_accuracy"] for name, r in report["probe"].items()},
        "reconstruction_accuracy": report["reconstruction_accuracy"],
        "classifier_score": (h.get("classifier_score") or [None])[-1],
        "fid": (h.get("fid") or [None])[-1],
        "class_kl": (h.get("class_kl") or [None])[-1],
        "epochs": len(h.get("d_loss", [])),
        "resumed_from": run.resumed_from,
        "minutes": (h.get("minutes") or [None])[-1],
        "seconds": round(run.seconds, 1),
        "budget": cfg.budget,
        "data_source": run.data_source,
        "out": out,
    }


def _run_generations(args):
    import numpy as np

    from ganlib import config, generated
    from ganlib.dcgan import image_grid

    cfg = config.generations_config(**_overrides(args))
    # A folder holds a chain once its first generation has started.
    out = _claim(args, "generations", checkpoint_name="generation-1")
    _header(cfg, out)

    def progress(g, report):
        print(generated.generation_line(g, report), flush=True)

    run = generated.run_generations(cfg, seed=args.seed, out_dir=out, resume=args.resume,
                                    verbose=2, on_generation=progress)
    rows = np.concatenate([image_grid(grid[:16], ncols=16) for grid in run.grids], axis=0)
    _save(out, "generations.png", rows)
    keys = ("classifier_score", "fid", "class_kl", "diversity", "classes_present")
    return {
        "generations": [{"generation": g, **{k: r[k] for k in keys}} for g, r in enumerate(run.reports)],
        "trained_on": run.trained_on,
        "seconds": round(run.seconds, 1),
        "budget": cfg.budget,
        "data_source": run.data_source,
        "out": out,
    }


def build_parser():
    parser = _Parser(prog="python -m ganlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="experiment", metavar="experiment", parser_class=_Parser)
    sub.required = True

    g = sub.add_parser("gaussian", help="train the 2-D Gaussian demo (chapter 3)")
    _common(g, "epochs (default 13; quick mode 5)")
    g.add_argument("--batch-size", type=_whole(1, GaussianConfig.n_points, " (the real points)"),
                   default=None, help="points per round (32)")

    sub.add_parser("freeze-audit", help="which weights change in each step, Keras-2 idiom vs ganlib")

    d = sub.add_parser("dcgan", help="train a DCGAN on MNIST (chapter 5)")
    _common(d, "epochs, at most (default: the budget's; CPU 200 within --minutes, GPU 50, quick 2)",
            out_help="folder for the checkpoint and sample grids; must be new or empty unless "
                     "--resume (default: a new folder runs/dcgan-ARCH, runs/dcgan-ARCH-2, ...)")
    d.add_argument("--arch", choices=DCGAN_ARCHS, default="seed",
                   help="the source's DCGAN (seed), Radford et al.'s guidelines (radford) or the "
                        "course's CPU-sized DCGAN (compact)")
    d.add_argument("--minutes", type=_positive_float, default=None,
                   help="stop after the first epoch past this many minutes of training "
                        "(default: the budget's; CPU 20 for compact, 12 for seed and radford; "
                        "GPU and quick none)")
    d.add_argument("--distribute", action="store_true",
                   help="train data-parallel on every visible device (GPUs, else the CPU)")
    d.add_argument("--resume", action="store_true",
                   help="continue the run in --out after its last complete epoch")
    m = sub.add_parser("mixture", help="mode collapse on the ring of 8 or grid of 25 Gaussians (chapter 7)")
    m.add_argument("--layout", choices=("ring", "grid"), default="ring", help="ring of 8 or grid of 25")
    m.add_argument("--fix", choices=("none", "mbstd", "minibatch", "pack"), default="none",
                   help="remedy: none, minibatch stddev, minibatch discrimination or packing")
    m.add_argument("--seeds", type=_whole(1, 1000), default=5, help="seeds 0..N-1 (default 5)")
    m.add_argument("--steps", type=_whole(1), default=None,
                   help="learning rounds per seed (default: ring 10000, grid 20000; quick mode 200)")
    m.add_argument("--workers", type=_whole(1, os.cpu_count() or 1, " (this machine's CPU cores)"),
                   default=1, help="seeds trained at once in separate processes (default 1)")
    m.add_argument("--quick", action="store_true", help="quick mode: a tiny budget (as in CI)")
    m.add_argument("--out", default=None,
                   help="folder for figures, new or empty (default: none written)")

    p = sub.add_parser("progan", help="ProGAN on MNIST at 32x32, growing from 4x4 (chapter 6)")
    p.add_argument("--seed", type=_SEED, default=0, help="random seed (default 0)")
    p.add_argument("--quick", action="store_true", help="quick mode: a tiny budget (as in CI)")
    p.add_argument("--out", default=None,
                   help="folder for the checkpoint and sample grids; must be new or empty unless "
                        "--resume (default: a new folder runs/progan, runs/progan-2, ...)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint (the right phase and alpha)")

    for kind, what in (("cgan", "a conditional GAN: the label joined to the noise and the image"),
                       ("acgan", "an auxiliary-classifier GAN: D also names the digit")):
        k = sub.add_parser(kind, help=f"{what} (chapter 8)")
        _conditional_options(k, "epochs, at most (default: the budget's; CPU 200 within --minutes, "
                                "GPU 30, quick 2)")
    x = sub.add_parser("pix2pix", help="image-to-image GAN: super-resolution or inpainting of "
                       "digits, beside an L1-only twin and the plain baseline (chapter 8)")
    x.add_argument("--task", choices=("superres", "inpaint"), required=True,
                   help="superres: 7x7 digits back to 28x28; inpaint: fill a 12x12 square")
    _conditional_options(x, "epochs of the GAN, at most (default: the budget's; CPU 200 within "
                            "--minutes, GPU 30, quick 1); the L1-only network takes twice as many")

    b = sub.add_parser("bigan", help="BiGAN: a generator, an encoder and a discriminator of "
                       "(image, code) pairs; a linear probe on the encoder's codes (chapter 9)")
    _conditional_options(b, "epochs, at most (default: the budget's; CPU 200 within --minutes, "
                            "GPU 30, quick 2)")
    n = sub.add_parser("generations", help="a chain of DCGANs, each trained only on the digits of "
                       "the one before (chapter 9)")
    _conditional_options(n, "epochs per generation, at most (default: the budget's; CPU 200 within "
                            "--minutes, GPU 20, quick 1)")
    n.add_argument("--generations", type=_whole(1), default=None,
                   help="generators in the chain (default 4; quick mode 2)")

    c = sub.add_parser("collapse", help="a small DCGAN on MNIST with poorly chosen hyperparameters "
                       "(chapter 7)")
    _common(c, "epochs (default 4; quick mode 1)")
    c.add_argument("--fix", choices=("none", "mbstd"), default="none",
                   help="remedy: none or minibatch standard deviation in the discriminator")
    return parser


def _run_mixture(args):
    from ganlib import mixture

    cfg = mixture.mixture_config(args.layout, args.fix, **_overrides(args))
    out = _claim(args)
    _header()
    result, last = mixture.run_seeds(cfg, seeds=args.seeds, verbose=2, return_last=True,
                                     workers=args.workers)
    for s in result["per_seed"]:
        print(f"seed {s['seed']}: {s['modes']} modes, {100 * s['high_quality']:.1f}% high-quality, "
              f"KL {s['kl']:.3f}, {s['seconds']} s", flush=True)
    if out:
        import matplotlib

        matplotlib.use("Agg")
        from ganlib import plot

        path = os.path.join(out, "samples.png")
        plot.mixture_snapshots(last.snapshots, args.layout, title=f"{args.layout}, fix={args.fix}, "
                               f"seed {last.seed}").savefig(path, dpi=100)
        result["figures"] = [path]
    return result


def _run_collapse(args):
    from ganlib import collapse

    cfg = collapse.collapse_config(args.fix, **_overrides(args))
    out = _claim(args)
    _header()
    run = collapse.train_collapse(cfg, seed=args.seed, verbose=2)
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
    if out:
        from ganlib.dcgan import image_grid

        result["figures"] = [_save(out, f"collapse-{cfg.fix}.png", image_grid(run.grids[-1]))]
    return result


def _run_gaussian(args):
    from ganlib import config, gaussian, plot

    cfg = config.gaussian_config()
    out = _claim(args)
    _header()
    run = gaussian.train_gaussian(cfg, seed=args.seed, epochs=args.epochs, batch_size=args.batch_size,
                                  verbose=2)
    result = run.summary()
    if out:
        from ganlib import data

        real = data.gaussian_data(cfg.n_points, cfg.center, cfg.std, seed=args.seed)
        figures = {"epoch_grid.png": plot.epoch_grid(real, run.snapshots, center=cfg.center, std=cfg.std)}
        if run.history.get("d_loss"):
            figures["losses.png"] = plot.loss_curves(run.history)
            figures["outcomes.png"] = plot.outcome_counts(run.history)
        for name, fig in figures.items():
            fig.savefig(os.path.join(out, name), dpi=100)
        result["figures"] = sorted(os.path.join(out, n) for n in figures)
    return result


def _run_dcgan(args):
    from ganlib import config, dcgan

    cfg = config.dcgan_config(args.arch, distribute=args.distribute, **_overrides(args))
    out = _claim(args, f"dcgan-{args.arch}")
    _header(cfg, out)
    run = dcgan.train_dcgan(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=2)
    for epoch, grid in enumerate(run.grids, start=run.resumed_from):
        _save(out, f"samples_epoch{epoch:03d}.png", dcgan.image_grid(grid))
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
        "budget": cfg.budget,
        "devices": run.devices,
        "minutes": last.get("minutes"),
        "d_loss": last.get("d_loss"),
        "g_loss": last.get("g_loss"),
        "out": out,
    }


def _run_progan(args):
    from ganlib import config, dcgan, progan

    cfg = config.progan_config()
    out = _claim(args, "progan", progan.CHECKPOINT_NAME)
    _header(cfg, out)
    run = progan.train_progan(cfg, seed=args.seed, out_dir=out, resume=args.resume, verbose=1)
    for label, grid in run.grids:
        _save(out, f"samples_{label.replace(' ', '_')}.png", dcgan.image_grid(progan.to_28(grid)))
    final = run.stages[-1]
    return {
        "resolution": final["resolution"],
        "stages": [{"resolution": s["resolution"], "fading": s["fading"],
                    "seconds": round(s["seconds"], 1), "classifier_score": s["classifier_score"]}
                   for s in run.stages],
        "classifier_score": final["classifier_score"],
        "fid": final["fid"],
        "class_kl": final["class_kl"],
        "classes_present": final["classes_present"],
        "seconds": round(run.seconds, 1),
        "budget": cfg.budget,
        "out": out,
    }


def _run_freeze_audit(args):
    from ganlib import config, freeze

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


def _checkpoint_epoch(path):
    """The complete epochs the checkpoint at ``path`` records, or None when that cannot be read
    (read here, not through ganlib.checkpoint, so that no checkpoint can fail the Ctrl-C line)."""
    try:
        import numpy as np

        with np.load(path, allow_pickle=False) as saved:
            epoch = json.loads(str(saved["__meta__"]))["epoch"]
    except Exception:
        return None
    return epoch if type(epoch) is int and epoch >= 0 else None


def _interrupted(args, argv):
    """The Ctrl-C line: how to continue the run, if a checkpoint was kept."""
    from ganlib.checkpoint import CHECKPOINT_NAME

    kept = args.run_dir and hasattr(args, "resume") and os.path.join(args.run_dir, args.checkpoint)
    if not kept or not os.path.exists(kept):
        return "interrupted; nothing to resume"
    again = [a for a in argv if a != "--resume"] + ["--resume"]
    again += [] if args.out else ["--out", args.run_dir]
    epoch = _checkpoint_epoch(kept) if args.checkpoint == CHECKPOINT_NAME else None
    after = "" if epoch is None else f" after epoch {epoch}"
    return f"interrupted{after}; continue with: python -m ganlib {shlex.join(again)}"


def main(argv=None):
    """Run one experiment; return 0. Bad input and failed runs end in ``SystemExit(2)``, Ctrl-C in
    ``SystemExit(130)``, each after one line on stderr (as argparse's own errors do)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.run_dir = args.created = None
    runners = {"gaussian": _run_gaussian, "freeze-audit": _run_freeze_audit, "dcgan": _run_dcgan,
               "mixture": _run_mixture, "collapse": _run_collapse, "progan": _run_progan,
               "cgan": _run_conditional, "acgan": _run_conditional, "pix2pix": _run_pix2pix,
               "bigan": _run_bigan, "generations": _run_generations}
    try:
        _import_keras_quietly()
        if getattr(args, "quick", False):
            # Quick mode is decided in ganlib.config from this variable; --quick just sets it.
            from ganlib.config import QUICK_ENV

            os.environ[QUICK_ENV] = "1"
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
        from ganlib.files import remove_empty_dirs

        remove_empty_dirs(args.run_dir, args.created)
    print(line, file=sys.stderr, flush=True)
    raise SystemExit(code)


if __name__ == "__main__":
    sys.exit(main())
