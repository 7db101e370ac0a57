"""Checkpoints: save a GAN after every epoch, resume after a crash.

A checkpoint is one ``.npz`` file holding every variable of the GAN (both networks, the averaged
generator, the noise seed) and of both optimizers, plus a JSON record of the epoch, the history
so far and what the run was (``extra``, e.g. the architecture). It is written with
:func:`ganlib.files.atomic_write`, so a crash in the middle of writing leaves the previous
checkpoint intact. A NaN never reaches a checkpoint: :class:`ganlib.training.StopOnNaN` stops
training first.

Defined in chapter 5.
"""

from __future__ import annotations

import json
import os

import numpy as np

import keras

from ganlib.files import atomic_write

CHECKPOINT_NAME = "checkpoint.npz"


def _state_variables(gan):
    variables = list(gan.variables)
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        variables += list(optimizer.variables)
    return variables


def _key(i, variable):
    # Variables are matched by position and shape: Keras's automatic layer names ("dense_4")
    # depend on what else the process built, so paths are not stable between sessions.
    return f"v{i:04d}"


def _to_numpy(variable):
    """A variable's value as a NumPy array (also a TensorFlow variable mirrored across devices,
    which ``convert_to_numpy`` refuses for integer dtypes)."""
    value = variable.value
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(keras.ops.convert_to_numpy(value))


def save_checkpoint(gan, path, epoch, history=None, extra=None):
    """Write ``gan`` (weights and optimizer state) after ``epoch`` epochs to ``path``, atomically."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
    arrays = {_key(i, v): _to_numpy(v) for i, v in enumerate(_state_variables(gan))}
    meta = {"epoch": epoch, "history": history or {}, "extra": extra or {}}
    arrays["__meta__"] = np.array(json.dumps(meta))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    atomic_write(path, write, suffix=".npz")


def _read_meta(path, text):
    """The checkpoint's metadata as a dict with ``epoch``, ``history`` and ``extra``."""
    try:
        meta = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"path {path!r} is not a ganlib checkpoint (its metadata is not JSON)") from None
    if not isinstance(meta, dict):
        raise ValueError(f"path {path!r} is not a ganlib checkpoint (its metadata is a "
                         f"{type(meta).__name__}, not a JSON object)")
    epoch = meta.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"path {path!r} is not a ganlib checkpoint (its epoch is {epoch!r})")
    for key in ("history", "extra"):
        if not isinstance(meta.get(key, {}), dict):
            raise ValueError(f"path {path!r} is not a ganlib checkpoint (its {key} is not a JSON object)")
    return {"epoch": epoch, "history": meta.get("history", {}), "extra": meta.get("extra", {})}


def load_checkpoint(gan, path, expect=None):
    """Restore ``gan`` from ``path``; return the saved metadata (``epoch``, ``history``, ``extra``).

    Everything is checked before any weight is assigned: the file, its metadata, ``expect``
    (a dict that ``extra`` must agree with, e.g. ``{"arch": "radford"}``) and every variable's
    shape. Raises ValueError when the checkpoint does not fit this GAN.
    """
    if expect is not None and not isinstance(expect, dict):
        raise ValueError(f"expect must be a dict or None, got {type(expect).__name__}")
    if not os.path.exists(path):
        raise ValueError(f"path {path!r} does not exist: there is no checkpoint to resume from")
    try:
        with np.load(path, allow_pickle=False) as data:
            saved = {k: data[k] for k in data.files}
    except Exception as exc:  # a truncated or foreign file
        raise ValueError(f"path {path!r} is not a readable ganlib checkpoint ({exc})") from exc
    if "__meta__" not in saved:
        raise ValueError(f"path {path!r} is not a ganlib checkpoint (no metadata)")
    meta = _read_meta(path, str(saved.pop("__meta__")))
    for key, value in (expect or {}).items():
        if meta["extra"].get(key) != value:
            raise ValueError(f"the checkpoint at {path!r} has {key} {meta['extra'].get(key)!r}, "
                             f"not {value!r}")
    variables = _state_variables(gan)
    keys = [_key(i, v) for i, v in enumerate(variables)]
    if sorted(keys) != sorted(saved):
        raise ValueError(
            f"the checkpoint at {path!r} holds {len(saved)} variables, this GAN has "
            f"{len(keys)}: was it saved with other networks or optimizers?"
        )
    for key, variable in zip(keys, variables):
        if tuple(saved[key].shape) != tuple(variable.shape):
            raise ValueError(f"the checkpoint's variable {key} has shape {saved[key].shape}, "
                             f"the GAN's {variable.path} has {tuple(variable.shape)}")
    for key, variable in zip(keys, variables):
        variable.assign(saved[key])
    return meta


class EpochCheckpoint(keras.callbacks.Callback):
    """Save a checkpoint after every epoch; ``history`` holds every epoch's logs so far.

    ``history`` starts from what a resumed run had already recorded. Put it after the callbacks
    that add to the logs (metrics), and after :class:`ganlib.training.StopOnNaN`, which stops a
    run before a non-finite epoch reaches this callback.
    """

    def __init__(self, path, history=None, extra=None):
        super().__init__()
        self.path = path
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.extra = extra or {}

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        save_checkpoint(self.model, self.path, epoch + 1, self.history, self.extra)
