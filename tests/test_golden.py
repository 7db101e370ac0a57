"""Golden values: every trainer of ganlib trains exactly as when tests/golden.json was recorded.

tests/golden_record.py runs a few rounds of each trainer (fixed seed, tiny slice of data) and
reports its history, a checksum of every network's weights, of the optimizers' variables and of
what it generates; tests/golden-<isa>.json holds those values as recorded, per Keras backend, on
a CPU with the vector instruction set ``<isa>`` (TensorFlow's oneDNN and XLA pick kernels by it,
and wider kernels round differently). Here the recorder runs once per backend, both at once, each
in its own process (a Keras backend is fixed per process), and every trainer is compared at a
relative tolerance of 1e-6 with the values of this CPU's instruction set. On a CPU whose set has
no values yet the comparison falls back to CROSS_ISA_RTOL (a skipped test says so): it still
catches a change in training, not a change in the last bits. So does a trainer whose training
changed on purpose since this set's recording: its stale values are removed from the sets that
could not be re-recorded on the machine at hand, and it is compared with a set that has them.
With other versions of Keras, NumPy or the backend than recorded (``make test-min``'s older
stack: JAX 0.7 draws other random numbers) the comparisons are skipped.

A change meant to alter training (not a refactor) re-records them, on each instruction set:
``python tests/golden_record.py --record``.
"""

import os

import numpy as np
import pytest

import golden_record
from conftest import ROOT, jax_available

ISA = golden_record.cpu_isa()
RECORDED = golden_record.recorded_isas()
#: Values of this CPU's instruction set when recorded, else of the first recorded set.
GOLDEN_ISA = ISA if ISA in RECORDED else RECORDED[0]
GOLDEN = golden_record.load_golden(GOLDEN_ISA)
#: The fallback's tolerance. The AVX2 (AMD EPYC) and AVX-512 (Intel) recordings of the same code
#: differ by up to 0.07 relative (JAX's ACGAN, a checksum of Adam's moments; most entries by
#: under 1e-3), so a change that moves training by much more than that is still caught.
CROSS_ISA_RTOL = 0.2
BACKENDS = [b for b in golden_record.BACKENDS if b != "jax" or jax_available()]


@pytest.fixture(scope="module")
def runs(request):
    """``{backend: the recorder's output}``, each selected backend in its own process, run at
    once (all trainers: TensorFlow's take about 95 s of CPU; JAX's, in ``make test-slow``, about
    1.5 minutes with its compilation cache warm, 3.5 cold). Only the trainers of the selected
    tests run: ``-k progan`` runs ProGAN alone."""
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
        marks = [] if backend != "jax" else [pytest.mark.slow] + (
            [] if jax_available() else [pytest.mark.skip(reason="JAX is not installed")])
        for name in sorted(golden_record.TRAINERS):
            yield pytest.param(backend, name, id=f"{backend}-{name}", marks=marks)


def golden_values(backend, name):
    """``(values, rtol)``: this CPU's recorded values of a trainer, compared strictly (``rtol``
    None); else those of the first set that has them, at CROSS_ISA_RTOL."""
    if name in GOLDEN[backend]:
        return GOLDEN[backend][name], None if GOLDEN_ISA == ISA else CROSS_ISA_RTOL
    for isa in RECORDED:
        golden = golden_record.load_golden(isa)
        if name in golden[backend]:
            return golden[backend][name], CROSS_ISA_RTOL
    raise AssertionError(f"no recorded golden values for {backend}/{name}")


def test_every_trainer_has_golden_values():
    for backend in golden_record.BACKENDS:
        for name in golden_record.TRAINERS:
            golden_values(backend, name)
    for isa in RECORDED:
        golden = golden_record.load_golden(isa)
        for backend in golden_record.BACKENDS:
            assert set(golden[backend]) <= set(golden_record.TRAINERS), (isa, backend)


def test_this_cpu_has_its_own_golden_values():
    if ISA not in RECORDED:
        pytest.skip(f"no golden values for {ISA} CPUs (recorded: {', '.join(RECORDED)}): compared "
                    f"with {GOLDEN_ISA}'s at rtol {CROSS_ISA_RTOL}; record them with "
                    "`python tests/golden_record.py --record`")


@pytest.mark.parametrize("backend", [b if b != "jax" else pytest.param(b, marks=pytest.mark.slow)
                                     for b in BACKENDS])
def test_the_run_used_this_checkout(runs, backend):
    out = runs[backend]
    assert out["backend"] == backend
    assert os.path.dirname(os.path.abspath(out["ganlib_file"])) == os.path.join(ROOT, "ganlib")
    assert out["trainers"] and set(out["trainers"]) <= set(golden_record.TRAINERS)


@pytest.mark.parametrize("backend, name", list(_cases()))
def test_trainer_matches_golden_values(runs, backend, name):
    if runs[backend]["versions"] != GOLDEN["versions"][backend]:
        # Another release of Keras, NumPy, TensorFlow or JAX (make test-min's older stack) draws
        # other random numbers and rounds differently: its values are not comparable.
        pytest.skip(f"recorded with {GOLDEN['versions'][backend]}, run with "
                    f"{runs[backend]['versions']}")
    values, rtol = golden_values(backend, name)
    golden_record.compare(values, runs[backend]["trainers"][name], f"{backend}/{name}", rtol=rtol)


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
