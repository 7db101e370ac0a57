"""Quick/full mode, budgets, every chapter's configuration, seeding and the one-line device report.

**Full** mode (the default) makes the book; **quick** mode (``GANLIB_QUICK=1``, set by the test
harness) runs the same code on a tiny budget. Each configuration is a frozen dataclass checked
when it is made; each ``*_config`` function picks the mode's or budget's settings and lets the
caller override any (:func:`configure`). Shared fields: ``minutes`` caps the training time (None:
no limit); ``n_train`` uses only the first training images (None: all); ``d_learning_rate`` None
is the generator's; ``ema_momentum`` 0 is off; ``metric_samples`` digits are scored after every
epoch (0: none). No Keras at load time: the command line reads this first.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import random
import textwrap

import numpy as np

from ganlib.checks import check_choice, check_non_negative_int, is_int, is_number

#: The environment variable that switches quick mode on ("1", "true", "yes").
QUICK_ENV = "GANLIB_QUICK"


def is_quick(quick: bool | None = None) -> bool:
    """Whether quick mode is on: ``quick`` if given, else ``GANLIB_QUICK`` (unset: full mode)."""
    if quick is not None:
        return bool(quick)
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value not in ("", "0", "false", "no", "1", "true", "yes"):
        raise ValueError(f"{QUICK_ENV} must be 1/true/yes or 0/false/no, got {value!r}")
    return value in ("1", "true", "yes")


def mode() -> str:
    """The current mode as a word: ``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


#: The error of a field that does not tile the batch (packs with fix="pack", minibatch-stddev groups).
_TILE = "batch_size ({cfg.batch_size}) must be a multiple of {name} ({value})"
#: The rules a field declared with :func:`checked` may name, in the order they are checked: the
#: error (``none`` is " or None" for a field typed ``... | None``, which may be None) and the test.
_RULES = {
    "levels": ("channels and stable_rounds need 4 entries (4, 8, 16, 32), fade_rounds 3 (8, 16, 32)",
               lambda v, c: len(c.channels) == 4 and len(c.stable_rounds) == 4 and len(c.fade_rounds) == 3),
    "int": ("{name} must be a positive integer{none}, got {value!r}", lambda v, c: is_int(v) and v >= 1),
    "count": ("{name} must be a non-negative integer{none}, got {value!r}",
              lambda v, c: is_int(v) and v >= 0),
    "number": ("{name} must be a positive number{none}, got {value!r}", lambda v, c: is_number(v) and v > 0),
    "fraction": ("{name} must be in [0, 1){none}, got {value!r}", lambda v, c: is_number(v) and 0 <= v < 1),
    "share": ("{name} must be in [0, 1]{none}, got {value!r}", lambda v, c: is_number(v) and 0 <= v <= 1),
    "batches": ("{name} must be at least batch_size ({cfg.batch_size}){none}, got {value!r}",
                lambda v, c: is_int(v) and v >= c.batch_size),
    "weight": ("{name} must be a non-negative number, got {value!r}",
               lambda v, c: is_number(v) and math.isfinite(v) and v >= 0),
    "fours": ("{name} must be a multiple of 4, got {value}", lambda v, c: v % 4 == 0),
    "ints": ("{name} must hold positive integers, got {value!r}",
             lambda v, c: all(is_int(n) and n >= 1 for n in v)),
    "packs": (_TILE, lambda v, c: c.fix != "pack" or c.batch_size % v == 0),
    "tiles": (_TILE, lambda v, c: c.batch_size % v == 0),
    "lazy": ("{name} > 1 (lazy R1) needs loss='ns-r1', got loss={cfg.loss!r}",
             lambda v, c: v == 1 or c.loss == "ns-r1"),
}


def checked(default, *rules):
    """A field of ``default`` that :class:`CheckedConfig` checks: ``rules`` are names of
    :data:`_RULES` or a tuple of the allowed values."""
    assert all(isinstance(rule, tuple) or rule in _RULES for rule in rules), f"unknown rule in {rules}"
    return dataclasses.field(default=default, metadata={"rules": rules})


class CheckedConfig:
    """A configuration checked when it is made, by one-line ValueErrors naming the field: first each
    field's choices, then each rule of :data:`_RULES` in turn over the fields (:func:`checked`)."""

    def __post_init__(self):
        fields = [(field.name, field.metadata.get("rules", ()), "None" in str(field.type))
                  for field in dataclasses.fields(self)]
        for name, rules, _ in fields:
            for allowed in (rule for rule in rules if isinstance(rule, tuple)):
                check_choice(name, getattr(self, name), allowed)
        for rule, (error, ok) in _RULES.items():
            for name, rules, optional in fields:
                value = getattr(self, name)
                if rule in rules and not (optional and value is None or ok(value, self)):
                    none = " or None" if optional else ""
                    raise ValueError(error.format(name=name, value=value, cfg=self, none=none))

    def __str__(self):
        """The repr wrapped at 100 characters, to fit a page's column when printed."""
        return textwrap.fill(repr(self), width=100, subsequent_indent="    ", break_long_words=False)


def configure(config_class, settings: dict, overrides: dict, **fixed):
    """A ``config_class`` of the ``fixed`` fields (a budget, an architecture), the mode's or
    budget's ``settings`` and the caller's ``overrides`` of any other field, which win."""
    free = {field.name for field in dataclasses.fields(config_class)} - set(fixed)
    unknown = sorted(set(overrides) - free)
    if unknown:
        raise ValueError(f"unknown {config_class.__name__} setting(s) {unknown}; "
                         f"expected some of {sorted(free)}")
    return config_class(**fixed, **{**settings, **overrides})


@dataclasses.dataclass(frozen=True)
class GaussianConfig(CheckedConfig):
    """The 2-D Gaussian demo (chapters 2 and 3). Data, networks, batch, noise and 13 epochs (the
    source's figure shows epochs 0-10 and 13) are the source text's; the optimizer is the course's
    (chapter 3): a faster D tracks G's current samples (two time-scale update rule), and Adam's
    betas are shorter than the defaults because with two players the target keeps moving."""

    n_points: int = 10_000
    center: tuple = (5.0, 5.0)
    std: float = 1.0
    latent_dim: int = 4
    batch_size: int = checked(32, "int")
    epochs: int = checked(13, "count")
    learning_rate: float = 1e-3
    d_learning_rate: float | None = 4e-3
    beta_1: float = 0.5
    beta_2: float = 0.99
    final_lr_fraction: float = 1.0
    ema_momentum: float = 0.999


def gaussian_config(quick: bool | None = None) -> GaussianConfig:
    """The demo's configuration (quick mode: 5 epochs instead of 13)."""
    return GaussianConfig(epochs=5) if is_quick(quick) else GaussianConfig()


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend so a run can be repeated."""
    seed = check_non_negative_int("seed", seed)
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def _gpus() -> list[str]:
    """Names of the GPUs the Keras backend sees (an empty list on a CPU-only machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        return [d.name for d in importlib.import_module("tensorflow").config.list_logical_devices("GPU")]
    if backend == "jax":
        return [str(d.device_kind) for d in importlib.import_module("jax").devices() if d.platform == "gpu"]
    if backend == "torch":
        cuda = importlib.import_module("torch").cuda
        return [cuda.get_device_name(i) for i in range(cuda.device_count())] if cuda.is_available() else []
    return []


def device_report() -> str:
    """One line naming the Keras backend, its version and the accelerator in use, e.g.
    ``"TensorFlow 2.21.0 backend · Keras 3.15.1 · GPU: none"``."""
    import keras

    backend = keras.backend.backend()
    name, module = {"tensorflow": ("TensorFlow", "tensorflow"), "jax": ("JAX", "jax"),
                    "torch": ("PyTorch", "torch")}.get(backend, (backend, None))
    version = importlib.import_module(module).__version__ if module else "?"
    return f"{name} {version} backend · Keras {keras.__version__} · GPU: {', '.join(_gpus()) or 'none'}"


#: The training budgets: "quick" (CI, GANLIB_QUICK=1), "cpu" (the book's stored runs, made on a
#: 2-core CPU) and "gpu" (whenever Keras sees a GPU, e.g. on Colab). Chosen by :func:`budget`.
BUDGETS = ("quick", "cpu", "gpu")


#: The environment variable that picks the budget by hand ("cpu" or "gpu"; ``python -m ganlib ...
#: --budget``): a GPU budget's configuration runs on a CPU too (the dry run, :data:`ROUNDS_ENV`).
BUDGET_ENV = "GANLIB_BUDGET"
#: The environment variable that caps every training call at this many rounds (``python -m ganlib
#: ... --rounds``; ProGAN: each phase): a dry run of a budget's whole path (data, networks, batch
#: sizes, checkpoints, scores, figures) in seconds. Unset: no cap.
ROUNDS_ENV = "GANLIB_ROUNDS"


def budget(quick: bool | None = None) -> str:
    """``"quick"`` in quick mode, else :data:`BUDGET_ENV` when set, else ``"gpu"`` when the Keras
    backend sees a GPU, else ``"cpu"``: Keras puts the work on the GPU by itself; this only decides
    how much work there is."""
    if is_quick(quick):
        return "quick"
    forced = os.environ.get(BUDGET_ENV, "").strip()
    if forced:
        return check_choice(BUDGET_ENV, forced, ("cpu", "gpu"))
    return "gpu" if _gpus() else "cpu"


def round_cap() -> int | None:
    """The dry run's cap on the rounds of each training call (:data:`ROUNDS_ENV`), or None."""
    value = os.environ.get(ROUNDS_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{ROUNDS_ENV} must be a whole number of rounds, 1 or more, got {value!r}")
    return int(value)


def _budgeted(config_class, budgets: dict, quick, budget_name, overrides: dict, **fixed):
    """:func:`configure` with the ``budgets`` entry of ``budget_name`` (else :func:`budget`)."""
    name = check_choice("budget_name", budget(quick) if budget_name is None else budget_name, BUDGETS)
    return configure(config_class, budgets[name], overrides, **fixed, budget=name)


#: The DCGAN architectures of chapter 5: the source text's (Gildenblat 2020), Radford et al.'s
#: guidelines, and the course's CPU-sized one (ganlib.models.compact_dcgan_generator).
DCGAN_ARCHS = ("seed", "radford", "compact")


@dataclasses.dataclass(frozen=True)
class DCGANConfig(CheckedConfig):
    """The MNIST DCGAN (chapter 5). ``learning_rate`` None is the architecture's own
    (ganlib.dcgan); after ``decay_start`` of the training (of the minutes, else of the epochs)
    both learning rates fall linearly to 0 (1.0: never; ganlib.training.LearningRateDecay);
    ``distribute`` trains data-parallel on every visible device. ``metric_samples``: as many as the
    10,000 real test digits the score is compared with (2,000 scored about 2 % lower)."""

    arch: str = checked("seed", DCGAN_ARCHS)
    epochs: int = checked(5, "count")
    minutes: float | None = checked(None, "number")
    batch_size: int = 128
    latent_dim: int = 100
    noise: str = checked("uniform", ("uniform", "normal"))
    n_train: int | None = None
    learning_rate: float | None = None
    d_learning_rate: float | None = None
    ema_momentum: float = checked(0.0, "fraction")
    decay_start: float = checked(1.0, "share")
    metric_samples: int = 10000
    distribute: bool = False
    budget: str = checked("cpu", BUDGETS)


#: Each architecture's own settings (seed and radford: DCGANConfig's defaults); chapter 5
#: explains the compact DCGAN's (a D 3x faster than G: the two time-scale update rule; an
#: average of G's weights; both rates falling to 0 over the second half of the budget).
_DCGAN_ARCH_SETTINGS = {"compact": {"batch_size": 64, "latent_dim": 64, "noise": "normal",
                                    "learning_rate": 5e-4, "d_learning_rate": 1.5e-3,
                                    "ema_momentum": 0.999, "decay_start": 0.5}}

#: How long each budget trains. CPU: the book's stored run on the 2-core CPU, stopped by the
#: clock (DCGAN_CPU_MINUTES); GPU: 50 epochs, the source's longer schedule.
_DCGAN_BUDGETS = {"quick": {"epochs": 2, "n_train": 512, "metric_samples": 200}, "cpu": {"epochs": 200},
                  "gpu": {"epochs": 50}}

#: Minutes of training per architecture in the CPU budget: the compact DCGAN gets the 20 minutes
#: its target is set for; the source's and Radford's 12 each (chapter 5 compares all three over
#: the first 12 minutes), so the chapter trains for 44 minutes in all.
DCGAN_CPU_MINUTES = {"seed": 12.0, "radford": 12.0, "compact": 20.0}
#: Quick mode's digits per epoch for the compact DCGAN: 4,096 (128 rounds in 2 epochs), not 512.
#: After 16 rounds its generator still draws the same shape for every noise vector (all 4,000
#: samples read as one digit, measured), and chapter 5's cells need at least two digits.
DCGAN_QUICK_N_TRAIN = {"compact": 4096}


def dcgan_config(arch: str = "seed", quick: bool | None = None, budget_name: str | None = None,
                 **overrides) -> DCGANConfig:
    """The DCGAN configuration of ``arch`` for the budget of this run (see :func:`budget`)."""
    check_choice("arch", arch, DCGAN_ARCHS)
    budgets = {name: {**_DCGAN_ARCH_SETTINGS.get(arch, {}), **settings}
               for name, settings in _DCGAN_BUDGETS.items()}
    budgets["cpu"]["minutes"] = DCGAN_CPU_MINUTES[arch]
    budgets["quick"]["n_train"] = DCGAN_QUICK_N_TRAIN.get(arch, budgets["quick"]["n_train"])
    return _budgeted(DCGANConfig, budgets, quick, budget_name, overrides, arch=arch)


#: ProGAN's losses (chapter 6): the paper's WGAN-GP with drift, or the non-saturating loss with R1.
PROGAN_LOSSES = ("wgan-gp", "ns-r1")


@dataclasses.dataclass(frozen=True)
class ProGANConfig(CheckedConfig):
    """Chapter 6's ProGAN (ganlib.progan). Karras et al.'s networks, fade-ins and Adam (beta_1 0,
    beta_2 0.99), with the loss of their successors (StyleGAN): the non-saturating loss with R1
    (``gp_weight`` is gamma), computed every ``r1_every``-th round ("lazy"); ``loss="wgan-gp"`` is
    the paper's WGAN-GP (``gp_weight`` lambda, with a ``drift`` term that keeps D's scores near 0).
    The widths (``channels`` at 4, 8, 16, 32 pixels) and phase lengths (``stable_rounds`` at 4 to
    32, ``fade_rounds`` at 8 to 32) are scaled down for the budget: on the CPU about 20 minutes of
    training on 2 cores. ``batch_size`` is a multiple of 4: the minibatch standard deviation works
    in groups of 4."""

    channels: tuple = checked((64, 64, 32, 16), "levels", "ints")
    latent_dim: int = checked(64, "int")
    batch_size: int = checked(32, "int", "fours")
    learning_rate: float = 2e-3
    beta_1: float = 0.0
    beta_2: float = 0.99
    loss: str = checked("ns-r1", PROGAN_LOSSES)
    gp_weight: float = 1.0
    drift: float = 1e-3
    r1_every: int = checked(16, "int", "lazy")
    ema_momentum: float = 0.999
    stable_rounds: tuple = checked((1800, 1500, 1200, 5100), "ints")
    fade_rounds: tuple = checked((1200, 1200, 2400), "ints")
    chunk_rounds: int = checked(100, "int")
    eval_minutes: float = 2.0
    metric_samples: int = checked(10_000, "int")
    n_train: int | None = None
    budget: str = checked("cpu", BUDGETS)


#: ProGAN's budgets: quick (CI), CPU (the book's run, scaled to about 20 minutes of training for
#: the growing run and as long again for the baseline), GPU (longer phases, wider networks).
_PROGAN_BUDGETS = {
    "quick": {"stable_rounds": (4, 4, 4, 4), "fade_rounds": (4, 4, 4), "chunk_rounds": 4,
              "n_train": 256, "metric_samples": 200, "eval_minutes": 100.0},
    "cpu": {},
    "gpu": {"channels": (256, 256, 128, 64), "latent_dim": 128, "batch_size": 64,
            "stable_rounds": (4000, 6000, 8000, 16000), "fade_rounds": (6000, 8000, 8000)},
}


def progan_config(quick: bool | None = None, budget_name: str | None = None, **overrides) -> ProGANConfig:
    """Chapter 6's ProGAN configuration for the budget of this run (see :func:`budget`)."""
    return _budgeted(ProGANConfig, _PROGAN_BUDGETS, quick, budget_name, overrides)


#: Chapter 6's stability test per budget: seeds per variant, worker processes, and the growing
#: schedule's length as a fraction of the budget's (the runs without growing train as many minutes).
_PROGAN_STABILITY = {"quick": {"seeds": 2, "workers": 1, "scale": 1.0},
                     "cpu": {"seeds": 6, "workers": 2, "scale": 0.25},
                     "gpu": {"seeds": 6, "workers": 1, "scale": 0.3}}


def progan_stability(quick: bool | None = None, budget_name: str | None = None, **overrides) -> dict:
    """Chapter 6's stability test: ``{"config", "seeds", "workers", "scale"}``. The harder setting is the
    budget's ProGAN without R1 (``gp_weight`` 0), on a schedule ``scale`` times the budget's, scored
    at the end of each phase only; ``overrides`` change the config."""
    name = check_choice("budget_name", budget(quick) if budget_name is None else budget_name, BUDGETS)
    test, base = _PROGAN_STABILITY[name], progan_config(budget_name=name)
    scaled = {key: tuple(max(1, round(test["scale"] * r)) for r in getattr(base, key))
              for key in ("stable_rounds", "fade_rounds")}
    cfg = progan_config(budget_name=name, **{"gp_weight": 0.0, "r1_every": 1, "eval_minutes": 1000.0,
                                             **scaled, **overrides})
    return {"config": cfg, "seeds": test["seeds"], "workers": test["workers"], "scale": test["scale"]}


#: Chapter 7's mixtures: the ring of 8 and the grid of 25 Gaussians (ganlib.mixture).
LAYOUTS = ("ring", "grid")
#: Remedies: none (a vanilla GAN), minibatch standard deviation, minibatch discrimination, packing.
FIXES = ("none", "mbstd", "minibatch", "pack")


@dataclasses.dataclass(frozen=True)
class MixtureConfig(CheckedConfig):
    """One mixture run (chapter 7): ``steps`` learning rounds, the learning rate decaying along a
    cosine to ``final_lr_fraction`` of itself; ``group_size``: the minibatch standard deviation's
    group (None: the batch); ``rounds_per_epoch``: rounds per compiled call, a snapshot after each;
    ``standardize``: the networks work in units of the mixture's standard deviation."""

    layout: str = checked("ring", LAYOUTS)
    fix: str = checked("none", FIXES)
    networks: str = checked("course", ("course", "pacgan"))
    steps: int = checked(10_000, "int")
    batch_size: int = checked(128, "int")
    latent_dim: int = checked(8, "int")
    units: int = checked(256, "int")
    learning_rate: float = checked(1e-3, "number")
    beta_1: float = 0.5
    beta_2: float = 0.999
    final_lr_fraction: float = checked(0.01, "share")
    ema_momentum: float = checked(0.999, "fraction")
    pack: int = checked(4, "int", "packs")
    group_size: int | None = checked(None, "int", "tiles")
    rounds_per_epoch: int = checked(500, "int")
    standardize: bool = True


#: PacGAN's own set-up of the mixtures (Lin et al.'s code, fjxmlzn/PacGAN, synthetic_data_experiments): its
#: networks (:func:`ganlib.mixture.pacgan_generator`, ``pacgan_discriminator``), 2 noise numbers, Adam(1e-4,
#: beta_1 0.8) at a constant rate, no average, raw coordinates, 100 packs per batch (``batch_size`` = 100 x
#: pack). It trains 400,000 rounds, D and G in one simultaneous step; ganlib keeps its four-step round.
PACGAN_SETUP = {"networks": "pacgan", "latent_dim": 2, "learning_rate": 1e-4, "beta_1": 0.8,
                "final_lr_fraction": 1.0, "ema_momentum": 0.0, "standardize": False}

#: Learning rounds of a full-mode run: the grid's 25 modes take twice the ring's 8.
FULL_STEPS = {"ring": 10_000, "grid": 20_000}


def mixture_config(layout: str = "ring", fix: str = "none", quick: bool | None = None,
                   **overrides) -> MixtureConfig:
    """The chapter's configuration: :data:`FULL_STEPS`, or 200 rounds in quick mode (enough to
    run, not to learn)."""
    check_choice("layout", layout, LAYOUTS)
    settings = {"steps": 200, "rounds_per_epoch": 100} if is_quick(quick) else {"steps": FULL_STEPS[layout]}
    return configure(MixtureConfig, settings, overrides, layout=layout, fix=fix)


def table_budget(quick: bool | None = None, seeds: int = 6) -> dict:
    """Seeds per table row and worker processes: ``seeds`` on 2 workers in full mode (the
    mixtures: 6, at least 5 as the published tables, and an even number keeps two workers equally
    busy; Stacked MNIST: 4), 1 seed in this process in quick mode (its standard error is then 0)."""
    if is_quick(quick):
        return {"seeds": 1, "workers": 1}
    return {"seeds": seeds, "workers": max(1, min(2, os.cpu_count() or 1))}


#: Remedies available on MNIST: none, or the minibatch standard deviation in the discriminator.
MNIST_FIXES = ("none", "mbstd")
#: The chapter's two settings of Adam: poorly chosen (the defaults of CollapseConfig: a learning
#: rate 5x Radford's and beta_1 = 0.9) and well chosen (Radford et al.'s 2e-4 and 0.5).
HYPERPARAMETERS = {
    "poorly chosen": {"learning_rate": 1e-3, "beta_1": 0.9},
    "well chosen": {"learning_rate": 2e-4, "beta_1": 0.5},
}


@dataclasses.dataclass(frozen=True)
class CollapseConfig(CheckedConfig):
    """One MNIST run of chapter 7 (ganlib.collapse); the defaults are the *poorly chosen*
    :data:`HYPERPARAMETERS`."""

    fix: str = checked("none", MNIST_FIXES)
    epochs: int = checked(4, "int")
    batch_size: int = checked(64, "int")
    latent_dim: int = checked(64, "int")
    learning_rate: float = checked(1e-3, "number")
    d_learning_rate: float | None = checked(None, "number")
    beta_1: float = checked(0.9, "fraction")
    n_train: int | None = checked(None, "int")
    metric_samples: int = checked(10_000, "int")


def collapse_config(fix: str = "none", quick: bool | None = None, **overrides) -> CollapseConfig:
    """The configuration for the current mode (quick mode: 1 epoch on 512 images)."""
    settings = {"epochs": 1, "n_train": 512, "metric_samples": 200} if is_quick(quick) else {}
    return configure(CollapseConfig, settings, overrides, fix=fix)


#: Stacked MNIST's remedies (chapter 7): none, PacGAN's packing, the minibatch standard deviation.
STACKED_FIXES = ("none", "pack", "mbstd")
#: Stacked MNIST's networks: chapter 5's compact DCGAN with three channels, or Metz et al.'s
#: (unrolled GANs; PacGAN's Table 3) with a discriminator of 2, 4 and 8 channels, a quarter of
#: the generator's size: the set-up where a plain DCGAN collapses. Each with its own optimizer.
STACKED_ARCHS = ("compact", "metz")
_STACKED_ARCH_SETTINGS = {"metz": {"batch_size": 128, "latent_dim": 256, "learning_rate": 1e-4,
                                   "d_learning_rate": 2e-4, "beta_2": 0.99, "ema_momentum": 0.0}}


@dataclasses.dataclass(frozen=True)
class StackedConfig(CheckedConfig):
    """One Stacked MNIST run (chapter 7, ganlib.stacked): chapter 5's compact DCGAN with three
    colour channels, its optimizers, noise, batch and average; ``rounds_per_epoch`` rounds on
    freshly stacked digits between two scorings of ``metric_samples`` stacks; the final score
    on ``eval_samples`` (26,000, as published); ``pack`` samples per pack with ``fix="pack"``."""

    fix: str = checked("none", STACKED_FIXES)
    arch: str = checked("compact", STACKED_ARCHS)
    epochs: int = checked(200, "count")
    minutes: float | None = checked(None, "number")
    rounds_per_epoch: int = checked(250, "int")
    batch_size: int = checked(64, "int")
    latent_dim: int = checked(64, "int")
    learning_rate: float = checked(5e-4, "number")
    d_learning_rate: float = checked(1.5e-3, "number")
    beta_2: float = checked(0.999, "fraction")
    ema_momentum: float = checked(0.999, "fraction")
    pack: int = checked(2, "int", "packs")
    metric_samples: int = checked(5000, "int")
    eval_samples: int = checked(26_000, "int")
    budget: str = checked("cpu", BUDGETS)


#: Stacked MNIST's budgets: CPU (the book's run: 2,000 rounds per seed, at most STACKED_CPU_MINUTES, two seeds
#: at once on the two cores; measured on 2026-12-07, the compact DCGAN with minibatch stddev had 1,000 modes
#: and KL 0.05 after 1,500 rounds), GPU (40,000 rounds, 40 % of PacGAN's 100,000) and quick (CI).
STACKED_CPU_MINUTES = 20.0
_STACKED_BUDGETS = {
    "quick": {"epochs": 2, "rounds_per_epoch": 4, "batch_size": 16, "metric_samples": 100,
              "eval_samples": 500},
    "cpu": {"epochs": 8, "minutes": STACKED_CPU_MINUTES},
    "gpu": {"epochs": 40, "rounds_per_epoch": 1000},
}


def stacked_config(fix: str = "none", arch: str = "compact", quick: bool | None = None,
                   budget_name: str | None = None, **overrides) -> StackedConfig:
    """Stacked MNIST's configuration of ``fix`` and ``arch`` for this run's budget (see :func:`budget`)."""
    check_choice("fix", fix, STACKED_FIXES)
    check_choice("arch", arch, STACKED_ARCHS)
    budgets = {name: {**_STACKED_ARCH_SETTINGS.get(arch, {}), **settings}
               for name, settings in _STACKED_BUDGETS.items()}
    return _budgeted(StackedConfig, budgets, quick, budget_name, overrides, fix=fix, arch=arch)


@dataclasses.dataclass(frozen=True)
class ConditionalConfig(CheckedConfig):
    """Chapter 8's CGAN and ACGAN: chapter 5's compact DCGAN with a label, the same optimizers,
    noise, batch and average. ``class_weight`` weighs ACGAN's class cross-entropy."""

    kind: str = checked("cgan", ("cgan", "acgan"))
    epochs: int = checked(200, "count")
    minutes: float | None = checked(None, "number")
    batch_size: int = checked(64, "int")
    latent_dim: int = 64
    learning_rate: float = 5e-4
    d_learning_rate: float = 1.5e-3
    ema_momentum: float = 0.999
    class_weight: float = 1.0
    metric_samples: int = 2000
    n_train: int | None = checked(None, "batches")
    budget: str = checked("cpu", BUDGETS)


#: Chapter 8's image-to-image tasks (ganlib.conditional.TASKS says what each keeps of the digit).
PIX2PIX_TASKS = ("superres", "superres4", "inpaint", "lower-half")


@dataclasses.dataclass(frozen=True)
class Pix2PixConfig(CheckedConfig):
    """Chapter 8's image-to-image GANs: Isola et al.'s losses and optimizer (Adam 2e-4, beta_1 =
    0.5, L1 weight 100); ``task`` one of ganlib.conditional.TASKS: "superres" (7x7 -> 28x28),
    "superres4" (4x4 -> 28x28), "inpaint" (a 12x12 square), "lower-half" (the lower half hidden)."""

    task: str = checked("superres", PIX2PIX_TASKS)
    epochs: int = checked(200, "count")
    minutes: float | None = checked(None, "number")
    batch_size: int = checked(64, "int")
    learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    l1_weight: float = checked(100.0, "weight")
    eval_samples: int = 1000
    n_train: int | None = checked(None, "batches")
    budget: str = checked("cpu", BUDGETS)


#: Chapter 8's budgets. CPU: the book's stored run, 10 minutes for each of CGAN and ACGAN and 6 for each
#: image-to-image GAN (its L1-only twin then takes as many generator steps), about 40 minutes in all.
_CONDITIONAL_BUDGETS = {"quick": {"epochs": 2, "n_train": 512, "metric_samples": 200},
                        "cpu": {"epochs": 200, "minutes": 10.0}, "gpu": {"epochs": 30}}
_PIX2PIX_BUDGETS = {"quick": {"epochs": 1, "n_train": 256, "eval_samples": 200},
                    "cpu": {"epochs": 200, "minutes": 6.0}, "gpu": {"epochs": 30}}


def conditional_config(kind: str = "cgan", quick: bool | None = None, budget_name: str | None = None,
                       **overrides) -> ConditionalConfig:
    """Chapter 8's CGAN or ACGAN configuration for the budget of this run (see :func:`budget`)."""
    return _budgeted(ConditionalConfig, _CONDITIONAL_BUDGETS, quick, budget_name, overrides, kind=kind)


def pix2pix_config(task: str = "superres", quick: bool | None = None, budget_name: str | None = None,
                   **overrides) -> Pix2PixConfig:
    """Chapter 8's image-to-image configuration for ``task`` and the budget of this run."""
    return _budgeted(Pix2PixConfig, _PIX2PIX_BUDGETS, quick, budget_name, overrides, task=task)


@dataclasses.dataclass(frozen=True)
class BiGANConfig(CheckedConfig):
    """Chapter 9's BiGAN (ganlib.bigan). ``learning_rate`` is the generator's and the encoder's (one
    optimizer: they learn together), and ``ema_momentum`` averages both: 0.995, about 200 rounds, under two
    epochs, because the live pair's reconstructions swing by 20 points from one epoch to the next."""

    epochs: int = checked(200, "count")
    minutes: float | None = checked(None, "number")
    batch_size: int = checked(64, "int")
    latent_dim: int = checked(64, "int")
    learning_rate: float = checked(2e-4, "number")
    d_learning_rate: float = checked(2e-4, "number")
    ema_momentum: float = checked(0.995, "fraction")
    metric_samples: int = 2000
    n_train: int | None = checked(None, "batches")
    budget: str = checked("cpu", BUDGETS)


@dataclasses.dataclass(frozen=True)
class GenerationsConfig(CheckedConfig):
    """Chapter 9's chain of generators (ganlib.generated), each trained on the ``n_samples``
    digits of the one before (None: as many as the real training digits)."""

    generations: int = checked(4, "int")
    epochs: int = checked(200, "count")
    minutes: float | None = checked(None, "number")
    batch_size: int = checked(64, "int")
    n_samples: int | None = checked(None, "batches")
    n_train: int | None = checked(None, "batches")
    metric_samples: int = checked(10_000, "int")
    budget: str = checked("cpu", BUDGETS)


#: Chapter 9's budgets. CPU: the book's stored run, 8 minutes of BiGAN and 4 per generation (4
#: generations), beside chapter 8's 10-minute CGAN and four classifiers: about 40 minutes in all.
_BIGAN_BUDGETS = {"quick": {"epochs": 2, "n_train": 512, "metric_samples": 200},
                  "cpu": {"epochs": 200, "minutes": 8.0}, "gpu": {"epochs": 30}}
_GENERATIONS_BUDGETS = {"quick": {"generations": 2, "epochs": 1, "n_train": 512, "n_samples": 512,
                                  "metric_samples": 200},
                        "cpu": {"epochs": 200, "minutes": 4.0}, "gpu": {"epochs": 20}}


def bigan_config(quick: bool | None = None, budget_name: str | None = None, **overrides) -> BiGANConfig:
    """Chapter 9's BiGAN configuration for the budget of this run (see :func:`budget`)."""
    return _budgeted(BiGANConfig, _BIGAN_BUDGETS, quick, budget_name, overrides)


def generations_config(quick: bool | None = None, budget_name: str | None = None,
                       **overrides) -> GenerationsConfig:
    """Chapter 9's chain of generators for the budget of this run (see :func:`budget`)."""
    return _budgeted(GenerationsConfig, _GENERATIONS_BUDGETS, quick, budget_name, overrides)
