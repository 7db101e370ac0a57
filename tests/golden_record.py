"""Golden values of every ganlib trainer: a few rounds of each, fixed seed, tiny data.

Recorded before a behaviour-preserving refactor, so that the refactored code can be shown to
train exactly as before (relative tolerance 1e-6). For every trainer it records

* ``history``: the per-epoch (or per-phase) logs the trainer returns: losses, outcome counts,
  and the metrics computed with an *untrained* classifier of the right shape
  (``ganlib.metrics.build_classifier(0)``; deterministic, no training, no disk cache);
* ``weights``: a checksum of every network (generator, discriminator, encoder, averaged
  generator/encoder, L1-only twin ...): see :func:`checksum`; order-independent across variables;
* ``optimizers``: the same checksum of each optimizer's variables (iterations, moments);
* ``outputs``: checksums of generated arrays the trainer returns (snapshots, grids, samples)
  and scalar results (scores).

Usage (always from the repository root; the checkout this file lives in is imported):

    KERAS_BACKEND=tensorflow python tests/golden_record.py      # one JSON line on stdout
    python tests/golden_record.py --record                      # both -> tests/golden-<isa>.json
    python tests/golden_record.py --check                       # both backends, compared
    python tests/golden_record.py --check --only gaussian,bigan # a subset (also with --record)

tests/test_golden.py runs the first form once per backend (a Keras backend is fixed per process)
and compares every trainer with tests/golden-<isa>.json, the values recorded on a CPU with this
CPU's vector instruction set (see :func:`cpu_isa`).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def cpu_isa() -> str:
    """The widest vector instruction set this CPU offers TensorFlow's oneDNN and XLA: ``avx512``,
    ``avx2``, or the machine's name (``arm64``...). Both pick their kernels by it, and kernels of
    different widths sum in a different order: after a few rounds of training the values differ
    in the third or fourth digit (measured: an AMD EPYC with AVX2 against the Intel AVX-512 CPU
    the first values were recorded on), far outside the strict tolerance. So values are recorded
    per instruction set, one file each; ``avx512-amx`` for the Intel CPUs with AMX."""
    import platform

    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    if "amx_tile" in flags:  # Sapphire Rapids and later: other oneDNN kernels again (measured
        return "avx512-amx"  # 2026-12-07: dcgan_compact's d_loss apart in the sixth digit)
    if "avx512f" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    return platform.machine().lower() or "unknown"


def golden_path(isa=None):
    """The golden values recorded on CPUs with ``isa`` (default: this CPU's)."""
    return os.path.join(HERE, f"golden-{isa or cpu_isa()}.json")


def recorded_isas():
    """The instruction sets with recorded values, sorted."""
    return sorted(name[len("golden-"):-len(".json")] for name in os.listdir(HERE)
                  if name.startswith("golden-") and name.endswith(".json"))


GOLDEN_PATH = golden_path()
BACKENDS = ("tensorflow", "jax")
#: The tolerance the comparison uses (np.testing.assert_allclose); GANLIB_GOLDEN_RTOL and
#: GANLIB_GOLDEN_ATOL override it, e.g. to measure how far a change that rounds differently moves.
RTOL = float(os.environ.get("GANLIB_GOLDEN_RTOL", "1e-6"))
ATOL = float(os.environ.get("GANLIB_GOLDEN_ATOL", "1e-7"))
#: History keys that are clock readings, not results.
TIMING_KEYS = {"minutes", "seconds", "wall_seconds"}

if __name__ == "__main__" and ROOT not in sys.path[:1]:
    # Import the ganlib of this checkout, not whatever an editable install points at.
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402


# -- checksums ----------------------------------------------------------------------------------


def checksum(arrays):
    """``[count, size, sum of positives, sum of negatives' magnitudes, sum of squares,
    weighted sum of magnitudes]`` of a list of arrays (or variables), accumulated in float64.

    Every sum adds terms of one sign, so a value's relative error stays as small as its
    elements' (a signed sum such as sum(w) can cancel to near 0 and turn a last-bit difference
    into a large relative one); the positives and negatives together still see signs. The
    weighted sum gives element ``i`` of each array (flattened, C order) the weight
    ``1 + (i mod 101) / 101``, so that moving values around inside a variable changes it. Every
    entry is a sum over the arrays: the order of the variables does not matter.
    """
    import keras

    count = size = 0
    pos = neg = sq = weighted = 0.0
    for a in arrays:
        a = np.asarray(keras.ops.convert_to_numpy(a), dtype="float64").ravel()
        w = 1.0 + (np.arange(a.size) % 101) / 101.0
        count += 1
        size += a.size
        pos += float(a[a > 0].sum())
        neg += float(-a[a < 0].sum())
        sq += float((a * a).sum())
        weighted += float((np.abs(a) * w).sum())
    return [count, size, pos, neg, sq, weighted]


def net_sums(**models):
    """Checksum of each model's ``weights`` (trainable and not, e.g. batch-norm statistics)."""
    return {name: checksum(m.weights) for name, m in models.items() if m is not None}


def optimizer_sums(gan):
    return {name: checksum(getattr(gan, name).variables)
            for name in ("d_optimizer", "g_optimizer") if getattr(gan, name, None) is not None}


def gan_sums(gan, extra=("encoder", "ema_encoder")):
    """Generator, discriminator, averaged generator and, where present, encoder(s)."""
    models = {"generator": gan.generator, "discriminator": gan.discriminator,
              "ema_generator": getattr(gan, "ema_generator", None)}
    for name in extra:
        models[name] = getattr(gan, name, None)
    return net_sums(**models)


def clean_history(history):
    """``{key: [float, ...]}`` without the clock readings."""
    return {k: [float(v) for v in vals] for k, vals in history.items() if k not in TIMING_KEYS}


def scalars(d):
    """The numbers (and lists of numbers) of a result dict, without clock readings."""
    out = {}
    for k, v in d.items():
        if k in TIMING_KEYS or v is None or isinstance(v, str):
            continue
        if isinstance(v, dict):
            out[k] = scalars(v)
        elif isinstance(v, (bool, int, float, np.integer, np.floating)):
            out[k] = float(v)
        else:
            a = np.asarray(v)
            if a.dtype.kind in "biuf":
                out[k] = a.astype("float64").ravel().tolist()
    return out


# -- the trainers -------------------------------------------------------------------------------
# Each returns {"history": ..., "weights": ..., "optimizers": ..., "outputs": ...}. Every one
# seeds everything first (set_seed(0), itself or in the library function it calls), so that its
# values do not depend on which trainers ran before it in the process (checked with --only).

SEED = 0


@functools.cache
def _mnist():
    from ganlib.data import load_mnist

    # Quick mode's 9,000 + 1,000 digits, whatever the mode.
    return load_mnist(source="small")


@functools.cache
def _classifier():
    from ganlib import metrics

    # Untrained, of the right shape (as tests/test_collapse.py does): the metrics only need to
    # run; its initial weights are seeded, so its readings are fixed. One for all trainers (it is
    # only read), so that its inference function is compiled once.
    return metrics.build_classifier(seed=0)


def t_gaussian():
    """Chapters 2-3: train_gaussian (fused GAN, rounds_per_step = rounds of the epoch, EMA)."""
    import dataclasses

    from ganlib import gaussian
    from ganlib.config import gaussian_config, set_seed

    set_seed(SEED)
    # 256 points in batches of 32: 8 rounds per compiled call (one epoch), 3 epochs.
    cfg = dataclasses.replace(gaussian_config(quick=True), n_points=256, epochs=3)
    run = gaussian.train_gaussian(cfg, seed=SEED, verbose=0)
    return {"history": clean_history(run.history), "weights": gan_sums(run.gan),
            "optimizers": optimizer_sums(run.gan),
            "outputs": {"snapshots": checksum(run.snapshots),
                        "mean": run.mean.tolist(), "std": run.std.tolist()}}


def t_gaussian_plain_cosine():
    """Chapter 3's baseline (plain Adam, no EMA) and the cosine learning-rate decay, via
    make_gan + fit with rounds_per_step=1."""
    import dataclasses

    from ganlib import data, gaussian
    from ganlib.config import gaussian_config, set_seed

    set_seed(SEED)
    cfg = dataclasses.replace(gaussian.plain_adam_config(gaussian_config(quick=True)),
                              epochs=2, final_lr_fraction=0.1)
    x = data.gaussian_data(128, cfg.center, cfg.std, seed=SEED)
    gan = gaussian.make_gan(cfg, seed=SEED, rounds_per_step=1, rounds_per_epoch=len(x) // 32)
    fit = gan.fit(x, batch_size=32, epochs=cfg.epochs, shuffle=True, verbose=0)
    return {"history": clean_history(fit.history), "weights": gan_sums(gan),
            "optimizers": optimizer_sums(gan),
            "outputs": {"generate": checksum([gan.generate(100, seed=5)])}}


def t_classic_vs_fused():
    """Chapter 2: freeze.ClassicGAN (train_on_batch) and the fused GAN with given noise and
    rounds_per_step=2, via classic_vs_fused; the networks are captured through ``networks``."""
    from ganlib import freeze, models

    made = []

    def networks():
        pair = (models.gaussian_generator(), models.gaussian_discriminator())
        made.append(pair)
        return pair

    result = freeze.classic_vs_fused(rounds=4, batch_size=32, rounds_per_step=2, seed=SEED,
                                     networks=networks)
    (cg, cd), (fg, fd) = made
    return {"history": {"classic_counts": [float(result["classic_counts"][k]) for k in ("tp", "fn", "fp", "tn")],
                        "fused_counts": [float(result["fused_counts"][k]) for k in ("tp", "fn", "fp", "tn")]},
            "weights": net_sums(classic_generator=cg, classic_discriminator=cd,
                                fused_generator=fg, fused_discriminator=fd),
            "optimizers": {}, "outputs": {}}


def t_minimax_d1():
    """Chapter 4: train_discriminator_1d (a plain Keras fit)."""
    from ganlib import minimax

    model, history = minimax.train_discriminator_1d((0.0, 1.0), (2.0, 0.5), n=256, epochs=2,
                                                    seed=SEED)
    return {"history": clean_history(history.history), "weights": net_sums(discriminator=model),
            "optimizers": {"optimizer": checksum(model.optimizer.variables)}, "outputs": {}}


def _dcgan(arch):
    from ganlib import dcgan
    from ganlib.config import dcgan_config, set_seed

    set_seed(SEED)
    # 32 digits in batches of 16: 2 rounds an epoch, 2 epochs; no metrics (no classifier).
    cfg = dcgan_config(arch, budget_name="quick", epochs=2, n_train=32, batch_size=16,
                       metric_samples=0)
    run = dcgan.train_dcgan(cfg, seed=SEED, data=_mnist(), verbose=0)
    return {"history": clean_history(run.history), "weights": gan_sums(run.gan),
            "optimizers": optimizer_sums(run.gan),
            "outputs": {"grids": checksum(run.grids)}}


def t_dcgan_seed():
    """Chapter 5: train_dcgan, the source's DCGAN (SGD + Nesterov)."""
    return _dcgan("seed")


def t_dcgan_radford():
    """Chapter 5: train_dcgan, Radford et al.'s DCGAN (Adam, batch norm)."""
    return _dcgan("radford")


def t_dcgan_compact():
    """Chapter 5: train_dcgan, the compact DCGAN (two learning rates, normal noise, EMA)."""
    return _dcgan("compact")


def t_progan():
    """Chapter 6: train_progan, every phase (4x4 stable, then fade-in + stable at 8, 16, 32),
    2 rounds each, WGAN-GP, EMA; tiny widths."""
    from ganlib import progan
    from ganlib.config import progan_config, set_seed

    set_seed(SEED)
    cfg = progan_config(budget_name="quick", loss="wgan-gp", gp_weight=10.0, r1_every=1,
                        learning_rate=1e-3, channels=(16, 16, 8, 8), latent_dim=16, batch_size=8,
                        stable_rounds=(2, 2, 2, 2), fade_rounds=(2, 2, 2), chunk_rounds=2,
                        n_train=64, metric_samples=20, eval_minutes=1000.0)
    run = progan.train_progan(cfg, seed=SEED, data=_mnist(), classifier=_classifier(), verbose=0)
    stages = {}
    for i, record in enumerate(run.stages):
        for k, v in scalars(record).items():
            stages.setdefault(k, []).append(v)
    fades = {f"fade_{r}": checksum([np.asarray([a for a, _ in steps])] + [s for _, s in steps])
             for r, steps in sorted(run.fades.items())}
    return {"history": stages, "weights": gan_sums(run.gan), "optimizers": optimizer_sums(run.gan),
            "outputs": {"grids": checksum([g for _, g in run.grids]), **fades}}


def _mixture(fix, layout="ring"):
    from ganlib import mixture
    from ganlib.config import set_seed

    set_seed(SEED)
    # 8 rounds of 64 points, 4 per compiled call (2 epochs); cosine decay and EMA as configured.
    cfg = mixture.mixture_config(layout, fix, quick=True, steps=8, rounds_per_epoch=4,
                                 batch_size=64, units=64)
    run = mixture.train_mixture(cfg, seed=SEED, verbose=0)
    return {"history": clean_history(run.history), "weights": gan_sums(run.gan),
            "optimizers": optimizer_sums(run.gan),
            "outputs": {"snapshots": checksum(run.snapshots), "samples": checksum([run.samples]),
                        "score": scalars({k: run.score[k] for k in ("modes", "high_quality", "kl", "nearest")})}}


def t_mixture_none():
    """Chapter 7: train_mixture on the ring, vanilla GAN."""
    return _mixture("none")


def t_mixture_mbstd():
    """Chapter 7: train_mixture on the ring, minibatch standard deviation."""
    return _mixture("mbstd")


def t_mixture_minibatch():
    """Chapter 7: train_mixture on the ring, minibatch discrimination."""
    return _mixture("minibatch")


def t_mixture_pack():
    """Chapter 7: train_mixture on the ring, PacGAN packing (4)."""
    return _mixture("pack")


def t_mixture_grid():
    """Chapter 7: train_mixture on the grid of 25 (its own scale), vanilla GAN."""
    return _mixture("none", layout="grid")


def _collapse(fix):
    from ganlib import collapse
    from ganlib.config import set_seed

    set_seed(SEED)
    cfg = collapse.collapse_config(fix, quick=True, epochs=2, n_train=32, batch_size=16,
                                   metric_samples=20)
    run = collapse.train_collapse(cfg, seed=SEED, data=_mnist(), classifier=_classifier(), verbose=0)
    return {"history": clean_history(run.history), "weights": gan_sums(run.gan),
            "optimizers": optimizer_sums(run.gan),
            "outputs": {"grids": checksum(run.grids),
                        "histograms": np.asarray(run.histograms, "float64").ravel().tolist()}}


def t_collapse_none():
    """Chapter 7: train_collapse, the poorly chosen hyperparameters."""
    return _collapse("none")


def t_collapse_mbstd():
    """Chapter 7: train_collapse with the minibatch standard deviation in D."""
    return _collapse("mbstd")


def _conditional(kind):
    from ganlib import conditional
    from ganlib.config import conditional_config, set_seed

    set_seed(SEED)
    cfg = conditional_config(kind, budget_name="quick", epochs=2, n_train=32, batch_size=16,
                             metric_samples=20)
    run = conditional.train_conditional(cfg, seed=SEED, data=_mnist(), classifier=_classifier(),
                                        verbose=0)
    return {"history": clean_history(run.history), "weights": gan_sums(run.gan),
            "optimizers": optimizer_sums(run.gan),
            "outputs": {"grids": checksum(run.grids)}}


def t_cgan():
    """Chapter 8: train_conditional, CGAN."""
    return _conditional("cgan")


def t_acgan():
    """Chapter 8: train_conditional, ACGAN (class head)."""
    return _conditional("acgan")


def _pix2pix(task):
    from ganlib import conditional
    from ganlib.config import pix2pix_config, set_seed

    set_seed(SEED)
    # The GAN: 2 epochs of 2 rounds; the L1-only twin then 4 epochs of 2 batches.
    cfg = pix2pix_config(task, budget_name="quick", epochs=2, n_train=32, batch_size=16,
                         eval_samples=20)
    run = conditional.train_pix2pix(cfg, seed=SEED, data=_mnist(), classifier=_classifier(),
                                    verbose=0)
    history = clean_history(run.history)
    history.update({f"l1_only_{k}": v for k, v in clean_history(run.l1_history).items()})
    return {"history": history,
            "weights": {**gan_sums(run.gan), **net_sums(l1_network=run.l1_network)},
            "optimizers": {**optimizer_sums(run.gan),
                           "l1_network": checksum(run.l1_network.optimizer.variables)},
            # FID (added later) is left out: 20 outputs against 20 real digits say nothing stable,
            # and the golden files of every CPU class keep the keys they were recorded with.
            "outputs": {"results": scalars({m: {k: v for k, v in r.items() if k != "fid"}
                                            for m, r in run.results.items()}),
                        "examples": {k: checksum([v]) for k, v in sorted(run.examples.items())}}}


def t_pix2pix_superres():
    """Chapter 8: train_pix2pix, super-resolution 7x7 -> 28x28, and its L1-only twin."""
    return _pix2pix("superres")


def t_pix2pix_inpaint():
    """Chapter 8: train_pix2pix, inpainting, and its L1-only twin."""
    return _pix2pix("inpaint")


def t_bigan():
    """Chapter 9: train_bigan (G, E, D; EMA of G and E)."""
    from ganlib import bigan
    from ganlib.config import bigan_config, set_seed

    set_seed(SEED)
    cfg = bigan_config(budget_name="quick", epochs=2, n_train=32, batch_size=16, metric_samples=20)
    run = bigan.train_bigan(cfg, seed=SEED, data=_mnist(), classifier=_classifier(), verbose=0)
    return {"history": clean_history(run.history), "weights": gan_sums(run.gan),
            "optimizers": optimizer_sums(run.gan),
            "outputs": {"grids": checksum(run.grids),
                        "codes": checksum([run.gan.encode(_mnist().x_test[:16])])}}


def t_generations():
    """Chapter 9: run_generations, 2 generations of the compact DCGAN (default trainer)."""
    from ganlib import generated
    from ganlib.config import generations_config, set_seed

    set_seed(SEED)
    # Each generation: the compact DCGAN, 1 epoch of 2 rounds of 16; it hands 32 digits on.
    cfg = generations_config(budget_name="quick", generations=2, epochs=1, n_train=32,
                             n_samples=32, batch_size=16, metric_samples=20)
    run = generated.run_generations(cfg, seed=SEED, data=_mnist(), classifier=_classifier(),
                                    verbose=0)
    history = {}
    for g, h in enumerate(run.histories, start=1):
        history.update({f"generation_{g}_{k}": v for k, v in clean_history(h).items()})
    reports = {}
    for g, r in enumerate(run.reports):
        reports[f"generation_{g}"] = scalars(r)
    return {"history": history, "weights": {}, "optimizers": {},
            "outputs": {"grids": {f"generation_{g}": checksum([x]) for g, x in enumerate(run.grids)},
                        "reports": reports}}


TRAINERS = {name[2:]: fn for name, fn in sorted(globals().items())
            if name.startswith("t_") and callable(fn)}


# -- running, recording, comparing ---------------------------------------------------------------


def run_here(only=None):
    """Run the trainers in this process (its Keras backend) and return the JSON-ready dict."""
    import keras

    import ganlib

    names = list(TRAINERS) if not only else list(only)
    results, seconds = {}, {}
    for name in names:
        start = time.perf_counter()
        results[name] = TRAINERS[name]()
        seconds[name] = round(time.perf_counter() - start, 2)
    versions = {"keras": keras.__version__, "numpy": np.__version__}
    if keras.backend.backend() == "jax":
        import jax

        versions["jax"] = jax.__version__
    else:
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    return {"backend": keras.backend.backend(), "versions": versions,
            "ganlib_file": ganlib.__file__, "trainers": results, "seconds": seconds}


def jax_cache_dir():
    """Where the JAX run keeps XLA's compiled programs between runs (``None``: nowhere).

    Compiling dominates the JAX run (several minutes cold, about a minute warm); a program is
    only reused when its HLO, the compiler options and the jax version are the same, so the
    values do not depend on it. ``GANLIB_GOLDEN_JAX_CACHE`` names another folder, or ``off``.
    """
    value = os.environ.get("GANLIB_GOLDEN_JAX_CACHE", "").strip()
    if value.lower() in ("off", "0", "no", "false"):
        return None
    if value:
        return os.path.expanduser(value)
    return cache_folder("golden-jax-compilation-cache")


def cache_folder(name, env=os.environ):
    """``name`` in ganlib's cache folder (``$GANLIB_CACHE``, else ``~/.cache/ganlib``, as
    ``ganlib.metrics.default_cache_dir``; here without importing Keras)."""
    base = env.get("GANLIB_CACHE", "").strip() or os.path.join("~", ".cache", "ganlib")
    return os.path.join(os.path.expanduser(base), name)


def jax_cache_env(folder):
    """The environment that makes a JAX process keep every compiled program in ``folder``."""
    return {"JAX_COMPILATION_CACHE_DIR": folder, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def start_backend(backend, only=None):
    """Start this file under ``backend`` in a fresh process (a Keras backend is fixed per
    process); :func:`finish_backend` collects its dict."""
    env = dict(os.environ, KERAS_BACKEND=backend, GANLIB_QUICK="1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN's kernels (TensorFlow's default on x86) round differently from Eigen's: pinned, so
    # that a shell with TF_ENABLE_ONEDNN_OPTS=0 does not make every TensorFlow value differ.
    env["TF_ENABLE_ONEDNN_OPTS"] = "1"
    cache = jax_cache_dir() if backend == "jax" else None
    if cache:
        env.update(jax_cache_env(cache))
    cmd = [sys.executable, os.path.abspath(__file__)] + (["--only", ",".join(only)] if only else [])
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish_backend(proc, timeout=1200):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"the golden run timed out after {timeout} s:\n{err[-5000:]}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"the golden run failed (exit {proc.returncode}):\n{err[-5000:]}")
    return json.loads(out.strip().splitlines()[-1])


def run_backends(backends=BACKENDS, only=None):
    """Run every backend at once (one process each; the machine has two cores); return
    ``{backend: dict}`` and the wall seconds."""
    start = time.perf_counter()
    procs = {b: start_backend(b, only) for b in backends}
    results = {b: finish_backend(p) for b, p in procs.items()}
    return results, time.perf_counter() - start


def compare(expected, actual, path="", rtol=None, atol=None):
    """Raise AssertionError (naming the first differing entry) unless ``actual`` matches
    ``expected``: the same keys, and the same numbers within the tolerance."""
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a dict, got {type(actual).__name__}"
        assert sorted(expected) == sorted(actual), (
            f"{path}: keys differ: missing {sorted(set(expected) - set(actual))}, "
            f"unexpected {sorted(set(actual) - set(expected))}")
        for k in expected:
            compare(expected[k], actual[k], f"{path}/{k}", rtol, atol)
        return
    e, a = np.asarray(expected, "float64"), np.asarray(actual, "float64")
    assert e.shape == a.shape, f"{path}: shape {a.shape}, expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=path)


def worst_deviation(expected, actual, path=""):
    """``(path, largest relative difference)`` over every number both hold (to tell a change
    in the last bits from a change in training)."""
    if isinstance(expected, dict):
        found = [worst_deviation(expected[k], actual[k], f"{path}/{k}")
                 for k in expected if isinstance(actual, dict) and k in actual]
        return max(found, key=lambda x: x[1], default=(path, 0.0))
    e, a = np.asarray(expected, "float64"), np.asarray(actual, "float64")
    if e.shape != a.shape:
        return path, float("inf")
    if e.size == 0:
        return path, 0.0
    rel = np.abs(a - e) / np.maximum(np.abs(e), ATOL)
    return path, float(np.nanmax(rel))


def load_golden(isa=None):
    """The golden values recorded on ``isa`` (default: this CPU's instruction set)."""
    with open(golden_path(isa)) as f:
        return json.load(f)


def main(argv):
    only = None
    if "--only" in argv:
        only = argv[argv.index("--only") + 1].split(",")
    if "--record" in argv:
        results, wall = run_backends(only=only)
        # With --only, the other trainers keep their stored values.
        golden = load_golden() if only and os.path.exists(GOLDEN_PATH) else {}
        golden["about"] = ("Golden values of tests/golden_record.py on a CPU with "
                           f"{cpu_isa()}, keyed by backend and trainer; re-record with "
                           "`python tests/golden_record.py --record` on such a CPU.")
        for backend, out in results.items():
            golden.setdefault(backend, {}).update(out["trainers"])
            golden.setdefault("seconds", {}).setdefault(backend, {}).update(out["seconds"])
            golden.setdefault("versions", {})[backend] = out["versions"]
            print(f"{backend}: {sum(out['seconds'].values()):.1f} s in the trainers "
                  f"({out['ganlib_file']})", file=sys.stderr)
        print(f"both backends: {wall:.1f} s wall", file=sys.stderr)
        with open(GOLDEN_PATH, "w") as f:
            json.dump(golden, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {GOLDEN_PATH}", file=sys.stderr)
        return 0
    if "--check" in argv:
        golden, failed = load_golden(), 0
        results, wall = run_backends(only=only)
        for backend, out in results.items():
            for name, values in out["trainers"].items():
                where, worst = worst_deviation(golden[backend][name], values, f"{backend}/{name}")
                try:
                    compare(golden[backend][name], values, f"{backend}/{name}")
                    print(f"ok   {backend}/{name} (largest relative difference {worst:.1e})",
                          file=sys.stderr)
                except AssertionError as exc:
                    failed += 1
                    print(f"FAIL {backend}/{name} (largest relative difference {worst:.1e} at "
                          f"{where}): {str(exc)[:2000]}", file=sys.stderr)
        print(f"both backends: {wall:.1f} s wall", file=sys.stderr)
        return 1 if failed else 0
    print(json.dumps(run_here(only)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
