"""Checkpoints: save a GAN after every epoch, resume after a crash (defined in chapter 5).

A checkpoint is one ``.npz`` of every variable of the GAN and both optimizers, keyed by where it
lives (``generator/1_Dense/kernel``, ``d_optimizer/discriminator/0_Conv2D/kernel/momentum``),
never by Keras's automatic names (``dense_4`` depends on what else the process built) nor by
position (batch norm's four vectors and Adam's two moments share shapes: a reordering would load
wrong values silently), beside a JSON record of the run. Loading checks all of it before any
variable is assigned (:data:`MAY_CHANGE`); files are written atomically; a NaN never reaches one."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

import keras

from ganlib import metrics
from ganlib.backend import data_parallel
from ganlib.checks import check_non_negative_int, is_int
from ganlib.config import set_seed
from ganlib.data import load_mnist
from ganlib.files import atomic_write, prepare_out_dir
from ganlib.plot import image_grid, save_image
from ganlib.training import LearningRateDecay, Run, SampleMetrics, Snapshots, TimeBudget, timed_fit

CHECKPOINT_NAME = "checkpoint.npz"
#: The layout written by this module; files without it (positional keys) are refused.
FORMAT = 2
#: Configuration fields a resumed run may change: its length, what it measures, the budget's label, the
#: devices. Any other (architecture, widths, batch size, learning rates, training images...) must match.
MAY_CHANGE = frozenset({"epochs", "minutes", "budget", "metric_samples", "eval_samples",
                        "eval_minutes", "distribute"})
META = "__meta__"


def _name_layer(layer, prefix, names):
    """Key every variable of ``layer`` not keyed yet: its sublayers' first (numbered as in
    ``model.layers``), then its own."""
    subs = (layer.layers if isinstance(layer, keras.Model)
            else layer._flatten_layers(include_self=False, recursive=False))
    for i, sub in enumerate(subs):
        _name_layer(sub, f"{prefix}/{i}_{type(sub).__name__}", names)
    for variable in layer.variables:
        names.setdefault(id(variable), f"{prefix}/{variable.name}")


def state_variables(gan) -> dict:
    """Every variable of ``gan`` and its two optimizers, by key (see the module's docstring)."""
    names = {}
    for attr, value in vars(gan).items():
        if attr.startswith("_"):
            continue
        if isinstance(value, keras.layers.Layer):
            _name_layer(value, attr, names)
        elif isinstance(value, keras.random.SeedGenerator):
            names.setdefault(id(value.state), f"{attr}/{value.state.name}")
        elif isinstance(value, keras.Variable):
            names.setdefault(id(value), attr)
    keyed = {}

    def add(key, variable):
        if keyed.setdefault(key, variable) is not variable:
            raise ValueError(f"two variables of this {type(gan).__name__} have the key {key!r}")

    for variable in gan.variables:
        if id(variable) not in names:
            raise ValueError(f"the variable {variable.path} of this {type(gan).__name__} is in "
                             "none of its networks: a checkpoint cannot name it")
        add(names[id(variable)], variable)
    for attr in ("d_optimizer", "g_optimizer"):
        optimizer = getattr(gan, attr)
        # A slot (add_variable_from_reference) is named "<its variable's path, / as _>_<slot>".
        refs = {r.path.replace("/", "_") + "_": names[id(r)]
                for r in getattr(optimizer, "_trainable_variables", [])}
        for variable in optimizer.variables:
            ref = max((p for p in refs if variable.name.startswith(p)), key=len, default=None)
            add(f"{attr}/{refs[ref]}/{variable.name[len(ref):]}" if ref else f"{attr}/{variable.name}",
                variable)
    return keyed


def _plain_config(config):
    """``config`` (a dataclass) as it reads back from JSON (tuples become lists)."""
    return None if config is None else json.loads(json.dumps(dataclasses.asdict(config)))


def write_npz(path, arrays) -> None:
    """Write ``arrays`` (name -> array) to the ``.npz`` file ``path``, atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def unreadable(path, what, exc) -> ValueError:
    """The one-line error for a file that cannot be read (truncated, foreign)."""
    detail = " ".join(str(exc).split()).split(". ")[0].rstrip(".") or "no detail"
    return ValueError(f"{path!r} is not a readable {what} ({type(exc).__name__}: {detail}); "
                      "was it cut short? start a new run")


def read_npz(path, what="ganlib checkpoint") -> dict:
    """Every array of the ``.npz`` file ``path``; else a one-line ``ValueError`` naming it."""
    if not os.path.exists(path):
        raise ValueError(f"path {path!r} does not exist: there is no {what} to resume from")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except Exception as exc:  # truncated, not a zip, a pickle, a plain .npy...
        raise unreadable(path, what, exc) from None


def save_checkpoint(gan, path, epoch, history=None, extra=None, config=None):
    """Write ``gan`` after ``epoch`` epochs to ``path`` with ``history``, ``extra``, ``config``."""
    epoch = check_non_negative_int("epoch", epoch)
    # .numpy() also reads TF variables mirrored across devices (convert_to_numpy refuses integer ones).
    values = {key: variable.value for key, variable in state_variables(gan).items()}
    arrays = {key: np.asarray(v.numpy() if hasattr(v, "numpy") else keras.ops.convert_to_numpy(v))
              for key, v in values.items()}
    meta = {"format": FORMAT, "keras": keras.__version__, "method": type(gan).__name__,
            "config": _plain_config(config), "epoch": epoch, "history": history or {},
            "extra": extra or {}}
    arrays[META] = np.array(json.dumps(meta))
    write_npz(path, arrays)


def _read_meta(path, text):
    """The checkpoint's record, its types checked."""
    not_ours = f"path {path!r} is not a ganlib checkpoint"
    try:
        meta = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"{not_ours} (its metadata is not JSON)") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{not_ours} (its metadata is a {type(meta).__name__}, not a JSON object)")
    epoch = meta.get("epoch")
    if not is_int(epoch) or epoch < 0:
        raise ValueError(f"{not_ours} (its epoch is {epoch!r})")
    for key in ("history", "extra"):
        if not isinstance(meta.setdefault(key, {}), dict):
            raise ValueError(f"{not_ours} (its {key} is not a JSON object)")
    if meta.get("format") != FORMAT:
        newer = isinstance(meta.get("format"), int) and meta["format"] > FORMAT
        raise ValueError(f"the checkpoint {path!r} was written by "
                         + ("a newer ganlib; update ganlib" if newer else "an older ganlib; start a new run"))
    if not isinstance(meta.get("method"), str) or not isinstance(meta.get("config"), (dict, type(None))):
        raise ValueError(f"{not_ours} (its method or configuration is missing)")
    return meta


def read_checkpoint(path, config=None, expect=None, method=None):
    """``(meta, arrays)`` of the checkpoint at ``path``, checked against the run's ``method``
    (a class name), ``config`` (all fields but :data:`MAY_CHANGE`) and ``expect`` (a dict that
    ``extra`` must agree with, e.g. ``{"seed": 0}``). Raises a one-line ValueError on a misfit."""
    arrays = read_npz(path)
    if META not in arrays:
        raise ValueError(f"path {path!r} is not a ganlib checkpoint (no metadata)")
    meta = _read_meta(path, str(arrays.pop(META)))  # format 1 (keys by position) has no format
    _check_method(path, meta, method)
    saved, now = meta["config"], _plain_config(config)
    if saved is not None and now is not None:
        changed = [f"{k} {saved.get(k)!r} (now {now.get(k)!r})"
                   for k in sorted((set(saved) | set(now)) - MAY_CHANGE) if saved.get(k) != now.get(k)]
        if changed:
            raise ValueError(f"the checkpoint at {path!r} is from another run, with other settings: "
                             f"{', '.join(changed)}; resume it with its own or start a new run")
    for key, value in (expect or {}).items():
        if meta["extra"].get(key) != value:
            raise ValueError(f"the checkpoint at {path!r} is from another run: it has {key} "
                             f"{meta['extra'].get(key)!r}, not {value!r}")
    return meta, arrays


def _check_method(path, meta, method):
    if method not in (None, meta["method"]):
        raise ValueError(f"{path!r} is a checkpoint of a {meta['method']}, not of a {method}: "
                         "choose another folder or start a new run")


def resume(gan, path, resume=True, expect=None, config=None):
    """The one way every trainer continues a run: with ``resume`` and a checkpoint at ``path``,
    load it into ``gan`` and return its record; otherwise (a fresh start) None. ``gan`` may be a
    function ``record -> GAN`` where the checkpoint decides which GAN (ProGAN's phase). The method,
    every key and every shape are checked before any variable is assigned."""
    if not (resume and path and os.path.exists(path)):
        return None
    model = isinstance(gan, keras.Model)
    meta, arrays = read_checkpoint(path, config, expect, type(gan).__name__ if model else None)
    gan = gan if model else gan(meta)
    name = type(gan).__name__
    _check_method(path, meta, name)
    variables = state_variables(gan)
    missing, unknown = sorted(set(variables) - set(arrays)), sorted(set(arrays) - set(variables))
    if missing or unknown:
        raise ValueError(f"the checkpoint at {path!r} does not fit this {name}: it lacks {len(missing)} "
                         f"of its variables {missing[:2]} and holds {len(unknown)} others {unknown[:2]}: "
                         "was it saved with other networks or optimizers?")
    for key, variable in variables.items():
        if tuple(arrays[key].shape) != tuple(variable.shape):
            raise ValueError(f"the checkpoint at {path!r} has {key} of shape {arrays[key].shape}, "
                             f"this {name} {tuple(variable.shape)}: was it saved with other networks?")
    for key, variable in variables.items():
        variable.assign(arrays[key])
    return meta


_resume = resume  # for fit, whose argument has the same name


class EpochCheckpoint(keras.callbacks.Callback):
    """Save a checkpoint after every epoch with all the logs so far (``epoch``: that of the file on
    disk, 0: none), then the newest digits of ``snapshots`` (if given) as ``epochs/epoch_NNN.png``
    beside it: a run stopped at any moment keeps a figure of every finished epoch. Put it after
    ``StopOnNaN`` and the callbacks that add to the logs."""

    def __init__(self, path, history=None, extra=None, config=None, epoch=0, snapshots=None):
        super().__init__()
        self.path, self.extra, self.config, self.epoch = path, extra or {}, config, epoch
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.snapshots = snapshots

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        save_checkpoint(self.model, self.path, epoch + 1, self.history, self.extra, self.config)
        self.epoch = epoch + 1
        images = np.asarray(self.snapshots.snapshots[-1] if self.snapshots is not None else [])
        if images.ndim == 4 and images.shape[1:] in ((28, 28, 1), (28, 28, 3)):
            figure = os.path.join(os.path.dirname(self.path), "epochs", f"epoch_{epoch + 1:03d}.png")
            save_image(figure, image_grid(images, int(np.ceil(np.sqrt(len(images))))))


def fit(gan, x, config, path=None, resume=False, extra=None, callbacks=(), user_callbacks=(),
        verbose="auto"):
    """``(history, initial_epoch, seconds)`` of ``gan.fit(x)`` as every chapter trains: resumed from the
    checkpoint at ``path`` with ``resume`` (``extra``, e.g. the seed, must agree); the NaN guard, the clock
    (``config.minutes``), ``callbacks`` (those adding to the logs), a checkpoint and a fixed-noise figure
    after every epoch, then ``user_callbacks``. A NaN's FloatingPointError says which checkpoint is kept."""
    start = getattr(config, "decay_start", 1.0)
    decay = [LearningRateDecay(gan, start, None, config.epochs)] if start < 1.0 else []  # rates as compiled
    meta = _resume(gan, path, resume, expect=extra, config=config)
    history, initial_epoch = (meta["history"], meta["epoch"]) if meta else ({}, 0)
    budget = TimeBudget(config.minutes, already=(history.get("minutes") or [0.0])[-1])
    for callback in decay:
        callback.budget = budget
    snapshots = next((cb for cb in callbacks if isinstance(cb, Snapshots)), None)
    saver = EpochCheckpoint(path, history, extra, config, initial_epoch, snapshots) if path else None
    try:
        history, seconds = timed_fit(
            gan, x, batch_size=config.batch_size, initial_epoch=initial_epoch,
            epochs=budget.last_epoch(initial_epoch, config.epochs), verbose=verbose,
            callbacks=[budget, *decay, *callbacks, *([saver] if saver else []), *user_callbacks])
    except FloatingPointError as exc:
        kept = (f"the last good checkpoint (epoch {saver.epoch}) is kept at {path}"
                if saver and saver.epoch else "no checkpoint was written")
        raise FloatingPointError(f"{exc}; {kept}") from None
    return (saver.history if saver else history), initial_epoch, seconds


def start(seed, data=None, out_dir=None, resume=False, name=CHECKPOINT_NAME):
    """How every MNIST trainer starts: ``(path, data)``, the checkpoint's path in ``out_dir`` (checked,
    then created; None without one), then the seed set and ``data`` (MNIST by default)."""
    if resume and not out_dir:
        raise ValueError("resume=True needs out_dir: the folder that holds the run's checkpoints")
    path = os.path.join(prepare_out_dir(out_dir, "out_dir"), name) if out_dir else None
    if resume and path and os.path.exists(path):
        read_checkpoint(path)  # a cut-short or foreign file fails now, before any data is loaded
    set_seed(seed)
    return path, data if data is not None else load_mnist()


def train(config, seed, out_dir, resume, data, setup, classifier=None, verbose="auto",
          callbacks=(), scores=SampleMetrics, distribute=False):
    """The checkpointed MNIST trainer (chapters 5, 8, 9): :func:`start`, then on the devices of
    :func:`ganlib.backend.data_parallel` (with ``distribute``) ``setup(data) -> (gan, x, grid)``
    and :func:`fit` with a ``scores`` callback of ``config.metric_samples`` digits; the ``Run``."""
    path, data = start(seed, data, out_dir, resume)
    with data_parallel(distribute) as devices:
        gan, x, grid = setup(data)
        logging, n = [grid], config.metric_samples
        if n:
            classifier = classifier or metrics.get_classifier(data=data)
            logging.append(scores(classifier, data.x_test[:n], n=n, seed=7))
        history, initial_epoch, seconds = fit(gan, x, config, path, resume,
                                              {"seed": seed, "data": data.source},
                                              logging, callbacks, verbose)
    return Run(gan=gan, config=config, history=history, grids=grid.snapshots, data_source=data.source,
               seconds=seconds, resumed_from=initial_epoch, checkpoint=path, devices=devices)
