"""Training on generated data (chapter 9): what a generator's output teaches, measured.

The source book warns that a generator's output is slightly distorted and incomplete (mode collapse drops
whole kinds of data), so a network trained on it learns the distortions and the gaps; Shumailov et al. (Nature
2024) showed that models trained on their predecessors' output lose the tails, generation after generation."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ganlib.data import MNIST, balanced_indices
from ganlib.checks import check_batch, check_images, check_labels, check_positive_int, check_type
from ganlib import checkpoint, metrics
from ganlib.conditional import N_CLASSES
from ganlib.config import GenerationsConfig, dcgan_config, generations_config, is_quick
from ganlib.dcgan import train_dcgan
from ganlib.files import atomic_write
from ganlib.training import Run


def balanced_labels(n, classes=range(N_CLASSES), seed: int = 0) -> np.ndarray:
    """``n`` labels spread as evenly as possible over ``classes``, in a shuffled order."""
    n = check_positive_int("n", n)
    labels = np.resize(check_labels("classes", np.unique(list(classes))), n)
    np.random.default_rng(seed).shuffle(labels)
    return labels


def sample_dataset(gan, n, classes=range(N_CLASSES), seed: int = 0):
    """``(images, labels)``: ``n`` digits from chapter 8's conditional generator ``gan``, asked
    for ``classes`` in equal shares (a generator that never draws the other classes)."""
    labels = balanced_labels(n, classes, seed)
    return gan.generate(labels, seed=seed), labels


#: Digits a classifier of :func:`classifier_on` sees in quick mode, where its accuracy is not
#: read: a fifth of the cached quick classifier's (``metrics.QUICK_TRAINING_SAMPLES``).
QUICK_SAMPLES = 5_000


def classifier_on(images, labels, data, seed: int = 0, epochs=None, verbose=0, augmented=True) -> dict:
    """Train chapter 5's classifier (network, augmentation and by default digits seen; :data:`QUICK_SAMPLES`
    in quick mode; ``augmented=False``: no shifts, turns or zooms) on ``images`` with ``labels``: its
    overall and per-class accuracy on the real held-out digits of ``data``, the worst class, the
    training size and time. Defined in chapter 9."""
    x = check_images("images", check_batch("images", images, (28, 28, 1)))  # not (n, 28, 28)
    y = check_labels("labels", labels, n=len(x))
    check_type("data", data, MNIST, "ganlib.data.MNIST")
    if epochs is None:  # quick mode: a few epochs, only to run the chapter (CI)
        epochs = max(1, round(QUICK_SAMPLES / len(x))) if is_quick() else metrics.default_epochs(len(x))
    epochs = check_positive_int("epochs", epochs)
    train = MNIST(x_train=x, y_train=y.astype("int64"), x_test=data.x_test, y_test=data.y_test,
                  source=data.source)
    model, info = metrics.train_classifier(train, epochs=epochs, seed=seed, verbose=verbose, augmented=augmented)
    read = metrics.class_probabilities(data.x_test, model).argmax(axis=1)
    per_class = [float(np.mean(read[data.y_test == c] == c)) for c in range(N_CLASSES)]
    worst = int(np.argmin(per_class))
    return {"accuracy": float(np.mean(read == data.y_test)), "per_class_accuracy": per_class,
            "worst_class": worst, "worst_accuracy": per_class[worst], "train_images": int(len(x)),
            "train_counts": np.bincount(y, minlength=N_CLASSES).tolist(), "epochs": epochs,
            "seconds": info["train_seconds"]}


def few_per_class(data, per_class: int, seed: int = 0):
    """``(images, labels)``: ``per_class`` training digits of each class of ``data``, drawn by ``seed``
    (the labelled digits of a small project)."""
    check_type("data", data, MNIST, "ganlib.data.MNIST")
    per_class = check_positive_int("per_class", per_class)
    rng = np.random.default_rng(seed)
    pick = rng.permutation(balanced_indices(data.y_train, per_class, rng))
    return data.x_train[pick], data.y_train[pick]


def with_rare_class(data, rare: int, share: float, seed: int = 0) -> MNIST:
    """``data`` with its training digits of class ``rare`` thinned (drawn by ``seed``) until they make
    up ``share`` of the training set: an under-represented group. The test digits are kept as they are."""
    check_type("data", data, MNIST, "ganlib.data.MNIST")
    if not isinstance(rare, (int, np.integer)) or isinstance(rare, bool) or not 0 <= rare < N_CLASSES:
        raise ValueError(f"rare must be a class from 0 to {N_CLASSES - 1}, got {rare!r}")
    share = float(share) if isinstance(share, (int, float)) and not isinstance(share, bool) else None
    if share is None or not 0 < share < 1:
        raise ValueError(f"share must be a fraction between 0 and 1, got {share!r}")
    is_rare = data.y_train == rare
    others = int(np.sum(~is_rare))
    keep_rare = max(1, round(share * others / (1 - share)))
    if keep_rare > int(np.sum(is_rare)):
        raise ValueError(f"share {share} needs {keep_rare} digits of class {rare}, but there are "
                         f"{int(np.sum(is_rare))}")
    rng = np.random.default_rng(seed)
    keep = np.concatenate([np.flatnonzero(~is_rare), rng.choice(np.flatnonzero(is_rare), keep_rare, replace=False)])
    keep = np.sort(keep)
    return MNIST(x_train=data.x_train[keep], y_train=data.y_train[keep], x_test=data.x_test,
                 y_test=data.y_test, source=data.source)


def augmentation_rows(data, per_class: int, generated=None, seed: int = 0, epochs=None) -> dict:
    """Seed 004's promise measured: chapter 5's classifier trained on ``per_class`` real digits of each
    class (:func:`few_per_class`), as they are, with classic augmentation (shifts, turns, zooms), and
    with ``generated`` digits added (``(images, labels)``, e.g. from a CGAN trained on the same few
    digits; as they are and augmented). ``{row name: classifier_on result}``, each tested per class
    on ``data``'s real test digits. Chapter 9."""
    x, y = few_per_class(data, per_class, seed)
    n = len(x)
    rows = {f"{n} real digits": classifier_on(x, y, data, seed=seed, epochs=epochs, augmented=False),
            f"{n} real digits, augmented": classifier_on(x, y, data, seed=seed, epochs=epochs)}
    if generated is not None:
        gx, gy = generated
        gx = check_images("generated images", check_batch("generated images", gx, (28, 28, 1)))
        gy = check_labels("generated labels", gy, n=len(gx))
        both_x, both_y = np.concatenate([x, gx]), np.concatenate([y, gy])
        name = f"{n} real + {len(gx)} generated digits"
        rows[name] = classifier_on(both_x, both_y, data, seed=seed, epochs=epochs, augmented=False)
        rows[f"{name}, augmented"] = classifier_on(both_x, both_y, data, seed=seed, epochs=epochs)
    return rows


def classifier_line(name, result) -> str:
    """The chapter's summary line for :func:`classifier_on`'s ``result``."""
    return (f"classifier trained on {name}: test accuracy {100 * result['accuracy']:.1f}%, "
            f"worst class {result['worst_class']} at {100 * result['worst_accuracy']:.1f}%")


def diversity(images, classifier, n: int = 1000, seed: int = 0) -> float:
    """Mean distance between two of ``n`` digits of ``images`` drawn without replacement, over all pairs, in
    the classifier's 128 features (FID's layer). A set of near-copies scores near 0. Defined in chapter 9."""
    x = check_images("images", images)
    n = min(check_positive_int("n", n), len(x))
    if n < 2:
        raise ValueError("diversity needs at least 2 images")
    pick = np.random.default_rng(seed).choice(len(x), n, replace=False)
    f = metrics.classifier_features(x[pick], classifier).astype("float64")
    sq = (f**2).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * f @ f.T, 0.0)
    return float(np.sqrt(d2)[np.triu_indices(n, 1)].mean())


#: Digits :func:`generation_report`'s diversity compares pairwise (its distance matrix grows as n squared).
DIVERSITY_SAMPLES = 1000


def generation_report(images, classifier, reference, n: int = 1000, seed: int = 0) -> dict:
    """Classifier score, FID to ``reference`` (real digits), class KL, classes present and class
    histogram of ``n`` of ``images``, and the :func:`diversity` of the first
    :data:`DIVERSITY_SAMPLES` of them."""
    x = check_images("images", images)
    x = x[np.random.default_rng(seed).permutation(len(x))[:n]]
    result = metrics.evaluate(x, classifier, reference=reference)
    result["diversity"] = diversity(x[:DIVERSITY_SAMPLES], classifier, n=min(len(x), DIVERSITY_SAMPLES), seed=seed)
    return result


def generation_line(g, report) -> str:
    """The chapter's summary line for generation ``g``."""
    return (f"generation {g}: classifier score {report['classifier_score']:.2f}, FID {report['fid']:.1f}, "
            f"class KL {report['class_kl']:.3f}, diversity {report['diversity']:.3f}")


def run_generations(config=None, seed: int = 0, out_dir=None, resume: bool = False, data=None,
                    classifier=None, verbose="auto", trainer=None, on_generation=None) -> Run:
    """Train ``config.generations`` generators in a chain, generation g + 1 only on the ``n_samples`` digits
    of generation g (0: the real ones), and score each one's digits by :func:`generation_report`. With
    ``out_dir``, each keeps its checkpoint and ``samples.npz`` in ``generation-G/``, which ``resume=True``
    reads back; ``trainer(x, g) -> (generator, history)`` (tests) replaces the DCGAN. Chapter 9."""
    config = check_type("config", config or generations_config(), GenerationsConfig)
    if trainer is not None and not callable(trainer):
        raise ValueError(f"trainer must be a function (x, g) -> (generator, history), got "
                         f"{type(trainer).__name__}")
    _, data = checkpoint.start(seed, data, out_dir, resume)
    classifier = classifier or metrics.get_classifier(data=data)
    real = data.x_train[: config.n_train]
    n_samples = config.n_samples or len(real)
    if trainer is None:
        def trainer(x, g):
            """Chapter 5's compact DCGAN on ``x`` for the budget's minutes (at constant learning
            rates, as chapter 9's stored run trained it)."""
            cfg = dcgan_config("compact", budget_name=config.budget, epochs=config.epochs,
                               minutes=config.minutes, batch_size=config.batch_size, n_train=None,
                               metric_samples=0, decay_start=1.0)
            generation_data = MNIST(x_train=x, y_train=np.zeros(len(x), "int64"),
                                    x_test=data.x_test, y_test=data.y_test, source=data.source)
            folder = os.path.join(out_dir, f"generation-{g}") if out_dir else None
            run = train_dcgan(cfg, seed=seed * 100 + g, out_dir=folder, resume=resume,
                              data=generation_data, classifier=classifier, verbose=verbose)
            return run.gan, run.history

    def generation(x, g):
        """Generation g's digits and history: trained on ``x``, or read back when resumed."""
        path = os.path.join(out_dir, f"generation-{g}", "samples.npz") if out_dir else None
        if resume and path and os.path.exists(path):
            saved = checkpoint.read_npz(path, "ganlib samples file")
            if "images" not in saved:
                raise ValueError(f"{path!r} is not a ganlib samples file (no images)")
            return check_images(f"the digits in {path!r}", saved["images"]), {}
        generator, history = trainer(x, g)
        samples = np.asarray(generator.generate(n_samples, seed=seed * 1000 + g), dtype="float32")
        if path:
            checkpoint.write_npz(path, {"images": samples})
        return samples, history

    start = time.perf_counter()
    samples, reports, grids, trained_on, histories = real, [], [], [], []
    for g in range(config.generations + 1):
        if g:  # Generation g learns only from the digits of generation g - 1 (0: the real ones).
            trained_on.append({"images": int(len(samples)),
                               "source": f"generation {g - 1}" if g > 1 else "real"})
            samples, history = generation(samples, g)
            histories.append(history)
        reports.append(generation_report(samples, classifier, data.x_test,
                                         n=config.metric_samples, seed=seed))
        grids.append(samples[:64])
        if on_generation:
            on_generation(g, reports[-1])
    if out_dir:
        summary = json.dumps({"reports": reports, "trained_on": trained_on}, default=np.ndarray.tolist)
        atomic_write(os.path.join(out_dir, "generations.json"),
                     lambda tmp: Path(tmp).write_text(summary), suffix=".json")
    return Run(config=config, reports=reports, grids=grids, trained_on=trained_on,
               histories=histories, seconds=time.perf_counter() - start, data_source=data.source)
