"""Training on generated data (chapter 9): what a generator's output teaches, measured.

The source book ends its GAN chapter with a warning: a generator's output is slightly distorted
in ways its discriminator missed, and incomplete (mode collapse drops whole kinds of data), so a
network trained on it learns the distortions and the gaps. Shumailov et al. (Nature 2024) showed
the same at scale: models trained on their predecessors' output lose the tails of the
distribution, generation after generation. Two experiments:

- :func:`classifier_on`: chapter 5's classifier, trained on real digits, on generated ones (with
  the labels they were asked for), on both, or on the output of a generator that lost some
  classes, and always tested on the real held-out digits, per class.
- :func:`run_generations`: a chain of generators, each trained only on the digits of the one
  before, scored per generation (classifier score, FID to real digits, class KL, diversity).
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from ganlib.data import MNIST, load_mnist
from ganlib.checks import check_config, check_positive_int
from ganlib import checkpoint, metrics
from ganlib.config import GenerationsConfig, dcgan_config, generations_config, set_seed
from ganlib.dcgan import train_dcgan
from ganlib.files import atomic_write, prepare_out_dir
from ganlib.training import Run

#: Digits 0..9.
N_CLASSES = 10


def _check_digits(name, images):
    try:
        x = np.asarray(images, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of 28x28 digits, got {type(images).__name__}") from exc
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or len(x) == 0:
        raise ValueError(f"{name} must have shape (n, 28, 28, 1), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return x


def _check_classes(classes):
    try:
        c = np.asarray(sorted(set(int(k) for k in classes)), dtype="int32")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"classes must be digits 0..9, got {classes!r}") from exc
    if len(c) == 0 or c.min() < 0 or c.max() >= N_CLASSES:
        raise ValueError(f"classes must be a non-empty set of digits 0..9, got {classes!r}")
    return c


def balanced_labels(n, classes=range(N_CLASSES), seed: int = 0) -> np.ndarray:
    """``n`` labels spread as evenly as possible over ``classes``, in a shuffled order."""
    n = check_positive_int("n", n)
    c = _check_classes(classes)
    labels = np.resize(c, n)
    np.random.default_rng(seed).shuffle(labels)
    return labels.astype("int32")


def sample_dataset(gan, n, classes=range(N_CLASSES), seed: int = 0):
    """``(images, labels)``: ``n`` digits from chapter 8's conditional generator ``gan``, asked
    for ``classes`` in equal shares (a generator that never draws the other classes)."""
    labels = balanced_labels(n, classes, seed)
    images = gan.generate(labels, seed=seed)
    return images, labels


def classifier_on(images, labels, data, seed: int = 0, epochs=None, verbose=0) -> dict:
    """Train chapter 5's classifier (same network, augmentation and schedule) on ``images`` with
    ``labels`` and test it on the real held-out digits of ``data``.

    ``epochs`` defaults to the chapter-5 rule (the same number of augmented digits seen,
    whatever the size of the training set). Returns the overall and per-class test accuracy, the
    worst class, the training size and time. Defined in chapter 9.
    """

    x = _check_digits("images", images)
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of whole numbers, one per image ({len(x)}), "
                         f"got shape {y.shape} and dtype {y.dtype}")
    if y.min() < 0 or y.max() >= N_CLASSES:
        raise ValueError(f"labels must be digits 0..9, got values from {y.min()} to {y.max()}")
    if not isinstance(data, MNIST):
        raise ValueError(f"data must be a ganlib.data.MNIST, got {type(data).__name__}")
    epochs = metrics.default_epochs(len(x)) if epochs is None else check_positive_int("epochs", epochs)
    train = MNIST(x_train=x, y_train=y.astype("int64"), x_test=data.x_test, y_test=data.y_test,
                  source=data.source)
    start = time.perf_counter()
    model, _ = metrics.train_classifier(train, epochs=epochs, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - start
    read = metrics.class_probabilities(data.x_test, model).argmax(axis=1)
    per_class = [float(np.mean(read[data.y_test == c] == c)) for c in range(N_CLASSES)]
    worst = int(np.argmin(per_class))
    return {"accuracy": float(np.mean(read == data.y_test)), "per_class_accuracy": per_class,
            "worst_class": worst, "worst_accuracy": per_class[worst],
            "train_images": int(len(x)), "train_counts": np.bincount(y, minlength=N_CLASSES).tolist(),
            "epochs": epochs, "seconds": round(seconds, 1)}


def classifier_line(name, result) -> str:
    """The chapter's summary line for :func:`classifier_on`'s ``result``."""
    return (f"classifier trained on {name}: test accuracy {100 * result['accuracy']:.1f}%, "
            f"worst class {result['worst_class']} at {100 * result['worst_accuracy']:.1f}%")


# -- generations ----------------------------------------------------------------------------------


def diversity(images, classifier, n: int = 1000, seed: int = 0) -> float:
    """Mean distance between two digits of ``images``, in the classifier's 128 features
    (the layer FID uses), over all pairs of ``n`` digits drawn without replacement. A set of
    near-copies scores near 0. Defined in chapter 9."""

    x = _check_digits("images", images)
    n = min(check_positive_int("n", n), len(x))
    if n < 2:
        raise ValueError("diversity needs at least 2 images")
    pick = np.random.default_rng(seed).choice(len(x), n, replace=False)
    f = metrics.classifier_features(x[pick], classifier).astype("float64")
    sq = (f**2).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * f @ f.T, 0.0)
    return float(np.sqrt(d2)[np.triu_indices(n, 1)].mean())


def generation_report(images, classifier, reference, n: int = 1000, seed: int = 0) -> dict:
    """Classifier score, FID to ``reference`` (real digits), class KL, classes present, class
    histogram and :func:`diversity` of ``n`` of ``images``."""

    x = _check_digits("images", images)
    x = x[np.random.default_rng(seed).permutation(len(x))[:n]]
    result = metrics.evaluate(x, classifier, reference=reference)
    result["diversity"] = diversity(x, classifier, n=len(x), seed=seed)
    return result


def generation_line(g, report) -> str:
    """The chapter's summary line for generation ``g``."""
    return (f"generation {g}: classifier score {report['classifier_score']:.2f}, FID {report['fid']:.1f}, "
            f"class KL {report['class_kl']:.3f}, diversity {report['diversity']:.3f}")




def _train_dcgan_generation(x, g, config, seed, out_dir, resume, data, classifier, verbose):
    """Default trainer: chapter 5's compact DCGAN on ``x`` for the budget's minutes."""

    cfg = dcgan_config("compact", budget_name=config.budget, epochs=config.epochs,
                       minutes=config.minutes, batch_size=config.batch_size, n_train=None,
                       metric_samples=0)
    # The generation's data as the training set; the real test digits stay the reference.
    generation_data = MNIST(x_train=x, y_train=np.zeros(len(x), "int64"), x_test=data.x_test,
                            y_test=data.y_test, source=data.source)
    run = train_dcgan(cfg, seed=seed * 100 + g, out_dir=out_dir, resume=resume,
                      data=generation_data, classifier=classifier, verbose=verbose)
    return run.gan, run.history


def run_generations(config=None, seed: int = 0, out_dir=None, resume: bool = False, data=None,
                    classifier=None, verbose="auto", trainer=None, on_generation=None) -> Run:
    """Train ``config.generations`` generators in a chain and score each one's digits.

    Generation 1 trains on the real training digits; generation g + 1 trains only on the
    ``n_samples`` digits that generation g drew (fresh noise, its averaged generator), never on
    real ones. Each generation's digits are scored against the real held-out digits by
    :func:`generation_report`; generation 0 is the real training digits themselves.

    With ``out_dir``, each generation keeps its checkpoint in ``generation-G/`` and its digits in
    ``generation-G/samples.npz``; ``resume=True`` skips finished generations and continues an
    unfinished one after its last epoch. ``trainer(x, g)`` (for tests) replaces the DCGAN: it
    gets generation g's training digits and returns ``(generator, history)``, where the
    generator has ``generate(n, seed=...)``. ``on_generation(g, report)`` is called after each
    generation (progress). Defined in chapter 9.
    """


    config = config or generations_config()
    check_config(config, GenerationsConfig)
    if trainer is not None and not callable(trainer):
        raise ValueError(f"trainer must be a function (x, g) -> (generator, history), got "
                         f"{type(trainer).__name__}")
    if resume and not out_dir:
        raise ValueError("resume=True needs out_dir: the folder that holds the generations")
    if out_dir:
        prepare_out_dir(out_dir, "out_dir")
    set_seed(seed)
    data = data if data is not None else load_mnist()
    classifier = classifier or metrics.get_classifier(data=data)
    real = data.x_train if config.n_train is None else data.x_train[: config.n_train]
    n_samples = config.n_samples or len(real)
    reference = data.x_test
    if trainer is None:
        def trainer(x, g):
            folder = os.path.join(out_dir, f"generation-{g}") if out_dir else None
            return _train_dcgan_generation(x, g, config, seed, folder, resume, data, classifier,
                                           verbose)

    start = time.perf_counter()
    report = generation_report(real, classifier, reference, n=config.metric_samples, seed=seed)
    reports, grids, trained_on, histories = [report], [real[:64]], [], []
    if on_generation:
        on_generation(0, report)
    x, source = real, "real"
    for g in range(1, config.generations + 1):
        samples_path = os.path.join(out_dir, f"generation-{g}", "samples.npz") if out_dir else None
        trained_on.append({"images": int(len(x)), "source": source})
        if resume and samples_path and os.path.exists(samples_path):
            saved = checkpoint.read_npz(samples_path, "ganlib samples file")
            if "images" not in saved:
                raise ValueError(f"{samples_path!r} is not a ganlib samples file (no images)")
            samples = _check_digits(f"the digits in {samples_path!r}", saved["images"])
            history = {}
        else:
            generator, history = trainer(x, g)
            samples = np.asarray(generator.generate(n_samples, seed=seed * 1000 + g), dtype="float32")
            if samples_path:
                checkpoint.write_npz(samples_path, {"images": samples})
        report = generation_report(samples, classifier, reference, n=config.metric_samples, seed=seed)
        reports.append(report)
        grids.append(samples[:64])
        histories.append(history)
        if on_generation:
            on_generation(g, report)
        # The next generation learns from these digits only.
        x, source = samples, f"generation {g}"
    if out_dir:

        summary = json.dumps({"reports": [_jsonable(r) for r in reports], "trained_on": trained_on})

        def write(tmp):
            with open(tmp, "w") as f:
                f.write(summary)

        atomic_write(os.path.join(out_dir, "generations.json"), write, suffix=".json")
    return Run(config=config, reports=reports, grids=grids, trained_on=trained_on,
                          histories=histories, seconds=time.perf_counter() - start,
                          data_source=data.source)


def _jsonable(report):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in report.items()}
