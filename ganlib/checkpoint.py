"""Checkpoints: save a GAN after every epoch, resume after a crash, stop cleanly on NaN.

A checkpoint is one ``.npz`` file holding every variable of the GAN (both networks, the averaged
generator, the noise seed) and of both optimizers, each under its variable path, plus a JSON
record of the epoch and the history so far. It is written to a temporary file and renamed, so a
crash in the middle of writing leaves the previous checkpoint intact.

Defined in chapter 5.
"""

from __future__ import annotations

import json
import math
import os
import tempfile

import numpy as np

import keras

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


def save_checkpoint(gan, path, epoch, history=None, extra=None):
    """Write ``gan`` (weights and optimizer state) after ``epoch`` epochs to ``path``, atomically."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
    arrays = {_key(i, v): keras.ops.convert_to_numpy(v.value) for i, v in enumerate(_state_variables(gan))}
    meta = {"epoch": epoch, "history": history or {}, "extra": extra or {}}
    arrays["__meta__"] = np.array(json.dumps(meta))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_checkpoint(gan, path):
    """Restore ``gan`` from ``path``; return the saved metadata (``epoch``, ``history``, ``extra``).

    Raises ValueError when the checkpoint does not fit this GAN (other networks or optimizers).
    """
    if not os.path.exists(path):
        raise ValueError(f"path {path!r} does not exist: there is no checkpoint to resume from")
    try:
        with np.load(path, allow_pickle=False) as data:
            saved = {k: data[k] for k in data.files}
    except Exception as exc:  # a truncated or foreign file
        raise ValueError(f"path {path!r} is not a readable ganlib checkpoint ({exc})") from exc
    if "__meta__" not in saved:
        raise ValueError(f"path {path!r} is not a ganlib checkpoint (no metadata)")
    meta = json.loads(str(saved.pop("__meta__")))
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
    """Save a checkpoint after every epoch whose losses are finite; stop on NaN or infinity.

    ``history`` starts from what a resumed run had already recorded. After ``fit`` returns,
    ``nan_epoch`` is the 1-based epoch that produced a non-finite loss (None if none did); the
    checkpoint on disk is then still the last good one.
    """

    def __init__(self, path, history=None, extra=None):
        super().__init__()
        self.path = path
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.extra = extra or {}
        self.nan_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        bad = [k for k, v in logs.items() if not math.isfinite(v)]
        if bad:
            self.nan_epoch = epoch + 1
            self.model.stop_training = True
            return
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        save_checkpoint(self.model, self.path, epoch + 1, self.history, self.extra)
