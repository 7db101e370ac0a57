"""Golden values: every trainer of ganlib trains exactly as when tests/golden.json was recorded.

tests/golden_record.py runs a few rounds of each trainer (fixed seed, tiny slice of data) and
reports its history, a checksum of every network's weights, of the optimizers' variables and of
what it generates; tests/golden.json holds those values as recorded, per Keras backend. Here the
recorder runs once per backend, both at once, each in its own process (a Keras backend is fixed
per process), and every trainer is compared at a relative tolerance of 1e-6.

A change meant to alter training (not a refactor) re-records them:
``python tests/golden_record.py --record``.
"""

import os

import numpy as np
import pytest

import golden_record
from conftest import ROOT, jax_available

GOLDEN = golden_record.load_golden()
BACKENDS = [b for b in golden_record.BACKENDS if b != "jax" or jax_available()]


@pytest.fixture(scope="module")
def runs(request):
    """``{backend: the recorder's output}``, both backends run at once, each in its own process
    (all trainers, on two otherwise idle cores: about 1.5 to 2 minutes with JAX's compilation
    cache warm, TensorFlow's ~95 s of CPU being the longer; about 3.5 minutes cold). Only the
    trainers of the selected tests run: ``-k progan`` runs ProGAN alone on both backends."""
    wanted = {}
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module is request.module and "backend" in params:
            names = wanted.setdefault(params["backend"], set())
            if "name" in params:
                names.add(params["name"])
    backends = [b for b in BACKENDS if b in wanted]
    procs = {b: golden_record.start_backend(b, sorted(wanted[b]) or ["gaussian"]) for b in backends}
    return {b: golden_record.finish_backend(p) for b, p in procs.items()}


def _cases():
    for backend in golden_record.BACKENDS:
        marks = [] if backend != "jax" or jax_available() else [
            pytest.mark.skip(reason="JAX is not installed")]
        for name in sorted(GOLDEN[backend]):
            yield pytest.param(backend, name, id=f"{backend}-{name}", marks=marks)


def test_every_trainer_has_golden_values():
    for backend in golden_record.BACKENDS:
        assert sorted(GOLDEN[backend]) == sorted(golden_record.TRAINERS), backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_run_used_this_checkout(runs, backend):
    out = runs[backend]
    assert out["backend"] == backend
    assert os.path.dirname(os.path.abspath(out["ganlib_file"])) == os.path.join(ROOT, "ganlib")
    assert out["trainers"] and set(out["trainers"]) <= set(golden_record.TRAINERS)


@pytest.mark.parametrize("backend, name", list(_cases()))
def test_trainer_matches_golden_values(runs, backend, name):
    golden_record.compare(GOLDEN[backend][name], runs[backend]["trainers"][name],
                          f"{backend}/{name}")


def test_compare_notices_a_small_change():
    values = GOLDEN[golden_record.BACKENDS[0]]["gaussian"]
    golden_record.compare(values, values)
    changed = {**values, "history": {**values["history"]}}
    loss = np.asarray(changed["history"]["g_loss"], "float64")
    loss[-1] *= 1 + 1e-5
    changed["history"]["g_loss"] = loss.tolist()
    with pytest.raises(AssertionError, match="history/g_loss"):
        golden_record.compare(values, changed)
    with pytest.raises(AssertionError, match="keys differ"):
        golden_record.compare(values, {**values, "weights": {}})
