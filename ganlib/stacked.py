"""Stacked MNIST (chapter 7): three MNIST digits as the colour channels of one image, 1,000 modes.

The field's image benchmark for mode collapse (Metz et al. 2017, VEEGAN, PacGAN): a generator that
drops digits, or ties one channel's digit to another's, misses some of the 1,000 triples 000-999,
scored as published (:func:`score_stacks` of 26,000 samples). The networks are chapter 5's compact
DCGAN with three channels (PacGAN's own, Radford's DCGAN with 5x5 kernels up to 512 channels, costs
about 2.5 times as much per sample, and PacGAN trains it for 100,000 rounds); the remedies are
PacGAN's packing and the minibatch stddev."""

from __future__ import annotations

import functools
import json
import os

import numpy as np

import keras
from keras import layers

from ganlib import checkpoint, metrics, models
from ganlib.checks import check_choice, check_images, check_positive_int, check_type
from ganlib.config import STACKED_ARCHS, STACKED_FIXES, StackedConfig, stacked_config  # noqa: F401
from ganlib.files import atomic_write
from ganlib.layers import MinibatchStdDev, Pack
from ganlib.training import GAN, Snapshots, over_seeds

#: The 1,000 modes: a triple of digits (red, green, blue) read as one number, 000 to 999.
MODES = 1000
#: Each seed's record in its folder (``seed-N/``), written when its run is finished, and the
#: first :data:`SHOWN` of its scored samples (uint8, 0 to 255).
RESULT_NAME, SAMPLES_NAME, SHOWN = "result.json", "samples.npy", 36
#: Published Stacked MNIST rows in VEEGAN's set-up, PacGAN's Table 2 (Lin et al. 2018; its repository's
#: stacked_MNIST_experiments/results/Table2.png): modes of 1000 and KL, "±" a standard error over 10 runs.
PUBLISHED = {"DCGAN (as VEEGAN ran it)": ("99.0", "3.40"), "ALI": ("16.0", "5.40"),
             "Unrolled GAN": ("48.7", "4.32"), "VEEGAN": ("150.0", "2.95"),
             "DCGAN (PacGAN's)": ("78.9 ± 6.5", "4.50 ± 0.13"),
             "PacDCGAN2": ("1000.0 ± 0.0", "0.06 ± 0.003"), "PacDCGAN4": ("1000.0 ± 0.0", "0.07 ± 0.005")}
#: The table's names of the remedies.
VARIANTS = {"none": "DCGAN", "pack": "PacDCGAN2", "mbstd": "DCGAN + minibatch stddev"}


def stack_digits(digits, n, rng, labels=None):
    """``n`` Stacked MNIST images ``(n, 28, 28, 3)``: each channel a digit of ``digits`` drawn
    independently by ``rng`` (a NumPy Generator); with ``labels``, also their modes (red's digit
    x 100 + green's x 10 + blue's)."""
    return _stack(check_images("digits", digits), check_positive_int("n", n), rng, labels)


def _stack(digits, n, rng, labels=None):
    picks = rng.integers(0, len(digits), size=(n, 3))
    images = np.concatenate([digits[picks[:, c]] for c in range(3)], axis=-1)
    return images if labels is None else (images, np.asarray(labels)[picks] @ np.array([100, 10, 1]))


class StackedDigits(keras.utils.PyDataset):
    """``batches`` batches of ``batch_size`` fresh stacks of ``digits`` per epoch (:func:`stack_digits`):
    60,000 training digits give 2.16e14 stacks, so one practically never comes twice."""

    def __init__(self, digits, batch_size, batches, seed=0):
        super().__init__()
        self.digits = check_images("digits", digits)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.batches = check_positive_int("batches", batches)
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        return _stack(self.digits, self.batch_size, self.rng)


def mode_counts(images, classifier, chunk: int = 5000) -> np.ndarray:
    """How many of ``images`` (``(n, 28, 28, 3)`` in [-1, 1]) fall in each of the 1,000 modes, each
    channel read by chapter 5's ``classifier`` (its most probable digit)."""
    images = check_images("images", images, channels=3)
    digits = np.concatenate([metrics.class_probabilities(images[i:i + chunk, ..., c:c + 1], classifier)
                             .argmax(axis=1) for c in range(3) for i in range(0, len(images), chunk)])
    digits = digits.reshape(3, len(images))  # channel by channel
    return np.bincount(digits.T @ np.array([100, 10, 1]), minlength=MODES).astype("int64")


def score_stacks(images, classifier) -> dict:
    """The published scores of ``images``: ``modes`` (how many of the 1,000 appear at least once),
    ``kl`` (KL divergence of the mode frequencies from the uniform, in nats) and ``counts``."""
    counts = mode_counts(images, classifier)
    return {"modes": int(np.count_nonzero(counts)), "kl": metrics.kl_from_uniform(counts), "counts": counts}


class StackedMetrics(keras.callbacks.Callback):
    """After every epoch, :func:`score_stacks` of ``n`` generated stacks (noise seed ``seed + epoch``)
    into the logs as ``modes`` and ``kl`` (:class:`ganlib.training.SampleMetrics`'s signature)."""

    def __init__(self, classifier, reference=None, n=10_000, seed=7):
        super().__init__()
        self.classifier, self.n, self.seed = classifier, check_positive_int("n", n), seed

    def on_epoch_end(self, epoch, logs=None):
        score = score_stacks(generate(self.model, self.n, seed=self.seed + epoch), self.classifier)
        if logs is not None:
            logs.update(modes=float(score["modes"]), kl=score["kl"])


def generate(gan, n, seed, chunk: int = 2000) -> np.ndarray:
    """``n`` samples of ``gan``'s averaged generator, ``chunk`` at once, noise from ``default_rng(seed)``."""
    z = gan.noise_array(check_positive_int("n", n), rng=np.random.default_rng(seed))
    return np.concatenate([gan.generate(z=z[i:i + chunk]) for i in range(0, n, chunk)])


def stacked_discriminator(fix: str = "none", pack: int = 2, arch: str = "compact",
                          name: str = "discriminator"):
    """Chapter 5's compact discriminator on three channels (or Metz et al.'s, ``arch="metz"``),
    with the remedy ``fix``: ``"pack"`` (PacGAN: ``pack`` stacks joined along the channels, so D
    sees 3 * pack channels) or ``"mbstd"`` (the minibatch standard deviation as one more 4x4
    feature map, as ProGAN)."""
    check_choice("fix", fix, STACKED_FIXES)
    compact = check_choice("arch", arch, STACKED_ARCHS) == "compact"
    stack = models.compact_image_trunk(channels=3) if compact else metz_trunk()
    if fix == "pack":
        stack.insert(1, Pack(check_positive_int("pack", pack), name="pack"))
    if fix == "mbstd":
        stack.insert(-1, MinibatchStdDev(name="minibatch_stddev"))
    return keras.Sequential([*stack, keras.layers.Dense(1, activation="sigmoid")], name=name)


def metz_generator(latent_dim: int = 256, name: str = "generator"):
    """Metz et al.'s Stacked MNIST generator (PacGAN's unrolled_GAN_experiment code): noise ->
    Dense(4x4x64) -> 3x3 transposed convolutions to 7x7x32, 14x14x16, 28x28x8 (each with batch
    norm and ReLU) -> a 3x3 convolution to three channels, tanh."""
    up = [layer for filters, extra in ((32, 0), (16, 1), (8, 1)) for layer in models.normalized(
        layers.Conv2DTranspose(filters, 3, strides=2, padding="same", output_padding=extra))]
    return keras.Sequential([keras.Input(shape=(check_positive_int("latent_dim", latent_dim),)),
                             layers.Dense(4 * 4 * 64), layers.BatchNormalization(), layers.ReLU(),
                             layers.Reshape((4, 4, 64)), *up,
                             layers.Conv2D(3, 3, padding="same", activation="tanh")], name=name)


def metz_trunk() -> list:
    """Metz et al.'s small discriminator before its verdict: three 3x3 strided convolutions of 2,
    4 and 8 channels, each with batch norm and LeakyReLU(0.3): 4x4x8 features."""
    return [keras.Input(shape=(28, 28, 3)), *[layer for filters in (2, 4, 8) for layer in (
        layers.Conv2D(filters, 3, strides=2, padding="same"), layers.BatchNormalization(),
        layers.LeakyReLU(negative_slope=0.3))], layers.Flatten()]


def build_gan(config: StackedConfig, seed: int = 0) -> GAN:
    """The GAN of ``config``: its networks with three channels, Adam with beta_1 = 0.5."""
    generator = (models.compact_dcgan_generator(config.latent_dim, channels=3) if config.arch == "compact"
                 else metz_generator(config.latent_dim))
    gan = GAN(generator, stacked_discriminator(config.fix, config.pack, config.arch), noise="normal",
              ema_momentum=config.ema_momentum, seed=seed)
    gan.compile(*(keras.optimizers.Adam(lr, beta_1=0.5, beta_2=config.beta_2)
                  for lr in (config.d_learning_rate, config.learning_rate)))
    return gan


def train_stacked(config: StackedConfig | None = None, seed: int = 0, out_dir=None, resume=False,
                  data=None, classifier=None, verbose="auto"):
    """Train one Stacked MNIST GAN (checkpointed in ``out_dir``, continued with ``resume``) and
    score :data:`StackedConfig.eval_samples` stacks: the ``Run`` with ``score`` (modes, kl, counts)."""
    config = check_type("config", config or stacked_config(), StackedConfig)

    def setup(data):
        x = StackedDigits(data.x_train, config.batch_size, config.rounds_per_epoch, seed=seed)
        return build_gan(config, seed), x, Snapshots(64, 2024)

    data = data if data is not None else checkpoint.start(seed, None, out_dir, resume)[1]
    classifier = classifier or metrics.get_classifier(data=data)
    run = checkpoint.train(config, seed, out_dir, resume, data, setup, classifier, verbose,
                           scores=StackedMetrics)
    images = generate(run.gan, config.eval_samples, seed=10_000 + seed)
    run.score, run.samples = score_stacks(images, classifier), images[:SHOWN]
    return run


def real_score(data, n: int = 26_000, seed: int = 0, classifier=None) -> dict:
    """:func:`score_stacks` of ``n`` stacks of real test digits: the best a generator can hope for
    (a finite sample is never exactly uniform)."""
    classifier = classifier or metrics.get_classifier(data=data)
    return score_stacks(stack_digits(data.x_test, n, np.random.default_rng(seed)), classifier)


def _seed_row(config, seed, out_dir=None, resume=False, verbose=0):
    """Train (or, resumed, finish or read back) one seed: its row (``samples``: uint8 stacks)."""
    folder = out_dir and os.path.join(out_dir, f"seed-{seed}")
    done, saved = (folder and os.path.join(folder, name)
                   for name in (RESULT_NAME, checkpoint.CHECKPOINT_NAME))
    if resume and done and os.path.exists(done):
        checkpoint.read_checkpoint(saved, config, {"seed": seed})  # the same run's settings?
        try:
            with open(done) as f:
                row = dict(json.load(f))
            row["samples"] = np.load(os.path.join(folder, SAMPLES_NAME))
        except (OSError, ValueError, TypeError):
            raise ValueError(f"{folder!r} does not hold a finished seed's record; delete it to train "
                             f"seed {seed} again") from None
        return row
    run = train_stacked(config, seed, folder, bool(resume and saved and os.path.exists(saved)),
                        verbose=verbose)
    row = {"seed": seed, "modes": run.score["modes"], "kl": run.score["kl"],
           "epochs": len(run.history.get("d_loss", [])), "seconds": round(run.seconds, 1),
           "counts": run.score["counts"].tolist()}
    samples = np.round((run.samples + 1) * 127.5).astype("uint8")
    if folder:
        atomic_write(os.path.join(folder, SAMPLES_NAME), lambda tmp: np.save(tmp, samples), suffix=".npy")
        atomic_write(done, lambda tmp: open(tmp, "w").write(json.dumps(row)), suffix=".json")
    return {**row, "samples": samples}


def run_seeds(config: StackedConfig, seeds: int = 3, first_seed: int = 0, workers: int = 1,
              out_dir=None, resume=False, verbose=0) -> dict:
    """Train ``seeds`` runs, ``workers`` at once in one-thread processes (:func:`ganlib.training.over_seeds`),
    each in ``out_dir/seed-N`` if given (``resume``: finished seeds are read back, the others continued);
    ``modes`` and ``kl`` as mean, standard deviation (``modes_std``) and standard error (``modes_se``),
    ``per_seed`` rows (with ``counts``, the 1,000 modes' samples, and ``samples``, a few stacks as uint8)."""
    check_type("config", config, StackedConfig)
    seeds = check_positive_int("seeds", seeds)
    one = functools.partial(_seed_row, config, out_dir=out_dir, resume=resume)
    rows = over_seeds(range(first_seed, first_seed + seeds),
                      (lambda seed: one(seed, verbose=verbose)) if workers == 1 else None, one, workers)
    per_seed = list(rows.values())
    result = {"fix": config.fix}
    for key in ("modes", "kl"):
        values = np.array([row[key] for row in per_seed], dtype="float64")
        std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        result.update({key: float(values.mean()), f"{key}_std": std,
                       f"{key}_se": std / float(np.sqrt(len(values)))})
    result.update(seeds=seeds, per_seed=per_seed, seconds=round(sum(r["seconds"] for r in per_seed), 1))
    return result


def variant(config: StackedConfig) -> str:
    """The table's name of a configuration, e.g. ``"PacDCGAN2"`` or ``"DCGAN, D = G/4"``."""
    name = VARIANTS[config.fix].replace("2", str(config.pack))
    return name if config.arch == "compact" else f"{name}, D = G/4"


def summary_line(name: str, result: dict) -> str:
    """The chapter's line for one table row, e.g. ``Stacked MNIST packing: modes 999.7 ± 0.6 of
    1000, KL 0.05 ± 0.01 over 3 seeds``."""
    return (f"Stacked MNIST {name}: modes {result['modes']:.1f} ± {result['modes_std']:.1f} of "
            f"{MODES}, KL {result['kl']:.2f} ± {result['kl_std']:.2f} over {result['seeds']} seeds")
