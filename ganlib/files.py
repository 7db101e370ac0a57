"""Files that are either whole or absent (:func:`atomic_write`: a crash leaves the old file or the
new one, never half of one), and output folders checked before any training starts and claimed
by one run only (:func:`claim_out_dir`, :func:`new_run_dir`), so that no run writes over another."""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile


def atomic_write(path, write, suffix: str = ".tmp") -> None:
    """Call ``write(tmp_path)``, then move the finished file to ``path`` in one step: the temporary
    file lies in ``path``'s folder (a rename within one file system is atomic), is fsynced first,
    gets a new file's permissions (not ``mkstemp``'s private ``0o600``), and goes on failure."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def check_out_dir(path, name: str = "out") -> str:
    """``path`` as a string; a one-line ``ValueError`` if it is not a writable folder, or does not
    exist and its nearest existing parent is not one. Writes nothing."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ValueError(f"{name} must be a folder path, got {path!r}")
    path = os.fspath(path)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ValueError(f"{name} {path!r} exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(f"{name} {path!r} is not writable")
        return path
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ValueError(f"{name} {path!r} cannot be created: {parent!r} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {path!r} cannot be created: {parent!r} is not writable")
    return path


def prepare_out_dir(path, name: str = "out") -> str:
    """Check ``path`` (see :func:`check_out_dir`), then create it; errors are ``ValueError``."""
    path = check_out_dir(path, name)
    try:
        os.makedirs(path, exist_ok=True)
        probe_fd, probe = tempfile.mkstemp(dir=path, prefix=".ganlib-probe-")
        os.close(probe_fd)
        os.remove(probe)
    except OSError as exc:
        raise ValueError(f"{name} {path!r} is not a writable folder ({exc.strerror or exc})") from None
    return path


def _outermost_missing(path):
    """The outermost folder of ``path`` that does not exist yet (absolute), or None."""
    path, missing = os.path.abspath(path), None
    while not os.path.exists(path):
        path, missing = os.path.dirname(path), path
    return missing


def claim_out_dir(path, name: str = "out"):
    """Make ``path`` the folder of a new run: create it, or take it if it is an empty folder (one
    that holds anything holds an earlier run: a one-line ``ValueError``). Returns the outermost
    folder this call created (None if ``path`` already existed), for :func:`remove_empty_dirs`."""
    path = check_out_dir(path, name)
    if os.path.isdir(path) and os.listdir(path):
        raise ValueError(f"{name} {path!r} is not empty (an earlier run?); choose a new or empty folder")
    created = _outermost_missing(path)
    try:
        prepare_out_dir(path, name)
    except ValueError:
        remove_empty_dirs(path, created)
        raise
    return created


def new_run_dir(stem):
    """Create ``stem``, else ``stem-2``, ``stem-3``, ...: the first that does not exist yet
    (``os.mkdir`` checks and creates in one step, so two runs started at once never get the same
    folder). Returns the folder and the outermost folder created, for :func:`remove_empty_dirs`."""
    parent = os.path.dirname(stem) or os.curdir
    check_out_dir(parent, "the runs folder")
    created = _outermost_missing(parent)
    try:
        os.makedirs(parent, exist_ok=True)
        for n in itertools.count(1):
            path = f"{stem}-{n}" if n > 1 else stem
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
                return path, created or os.path.abspath(path)
    except OSError as exc:
        remove_empty_dirs(parent, created)
        raise ValueError(f"cannot create a run folder in {parent!r} ({exc.strerror or exc})") from None


def remove_empty_dirs(path, top) -> None:
    """Remove ``path`` and the folders above it up to ``top``, each only while it is empty: what
    :func:`claim_out_dir` or :func:`new_run_dir` created for a run that wrote nothing."""
    if not top:
        return
    path, top = os.path.abspath(path), os.path.abspath(top)
    while os.path.commonpath([path, top]) == top:
        try:
            os.rmdir(path)
        except OSError:
            return
        if path == top:
            return
        path = os.path.dirname(path)
