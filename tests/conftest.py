"""Shared helpers for the unit tests (the notebooks are validated by nbval, not here)."""

import json
import os
import subprocess
import sys
import types

import pytest

import golden_record

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code=None, args=(), backend=None, quick=True, timeout=600, cwd=ROOT, env_extra=None):
    """Run Python in a fresh process (a Keras backend is fixed per process); return it."""
    env = dict(os.environ)
    env.update(env_extra or {})
    if backend:
        env["KERAS_BACKEND"] = backend
    if backend == "jax" and "JAX_COMPILATION_CACHE_DIR" not in env:
        # XLA's compiled programs kept between runs: compiling is most of a JAX test's time, and
        # a program is reused only for the same HLO, options and jax version (values unchanged).
        env.update(golden_record.jax_cache_env(golden_record.cache_folder("test-jax-cache", env)))
    if quick:
        env["GANLIB_QUICK"] = "1"
    cmd = [sys.executable] + (["-c", code] if code is not None else list(args))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli(*argv)``: ``python -m ganlib argv`` run in this process (``ganlib.__main__.main``),
    in quick mode, returned like :func:`run_python`'s process (``returncode``, ``stdout``,
    ``stderr``). It saves each run the interpreter's start-up and TensorFlow's import (5 to 10 s
    on 2 cores). What only a real interpreter shows (a traceback, C++ start-up lines, Ctrl-C,
    another Keras backend) is tested with :func:`run_python`."""
    from ganlib.__main__ import main

    monkeypatch.setenv("GANLIB_QUICK", "1")  # what --quick sets; restored after the test

    def run(*argv):
        capsys.readouterr()
        try:
            code = main([str(a) for a in argv])
        except SystemExit as stop:
            code = stop.code
        out, err = capsys.readouterr()
        return types.SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


def last_json(proc):
    """The JSON object on the last line of a process's stdout."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def jax_available():
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


needs_jax = pytest.mark.skipif(not jax_available(), reason="JAX is not installed")
