"""The GPU dry run: every experiment's GPU-budget configuration, a few rounds of each training call,
on whatever device this machine has (``python -m ganlib <experiment> --budget gpu --rounds 2``).

No GPU is lent to the course's CI, so without this a typo in a GPU-only path (the 60,000 digits,
the wider networks, larger batches, longer schedules, their checkpoints, scores and figures) would
first be found by a learner on Colab."""

import pytest

from conftest import last_json
from ganlib import config

#: One command per experiment with a GPU budget (pix2pix: a shrinking task and a masking one). The
#: 2-D mixtures, the Gaussian demo and the collapse runs have one budget for every device.
DRY_RUNS = {
    "dcgan": ["dcgan", "--arch", "seed"],
    "stacked": ["stacked", "--fix", "pack", "--seeds", "1"],
    "progan": ["progan"],
    "cgan": ["cgan"],
    "acgan": ["acgan"],
    "pix2pix-superres4": ["pix2pix", "--task", "superres4"],
    "pix2pix-lower-half": ["pix2pix", "--task", "lower-half"],
    "bigan": ["bigan"],
    "generations": ["generations", "--generations", "1"],
}


@pytest.fixture
def dry_cli(cli, monkeypatch):
    """The in-process command line, out of quick mode; the variables the run sets are restored
    (set first, so that monkeypatch records them even when they were unset: a later test in
    this process must not train under a leftover GANLIB_ROUNDS)."""
    for name in (config.QUICK_ENV, config.BUDGET_ENV, config.ROUNDS_ENV):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return cli


@pytest.mark.slow  # about 5 minutes in all on 2 cores: make test-slow, which CI runs
@pytest.mark.parametrize("name", list(DRY_RUNS))
def test_gpu_budget_runs_a_few_rounds_here(dry_cli, tmp_path, name):
    proc = dry_cli(*DRY_RUNS[name], "--budget", "gpu", "--rounds", "2", "--out", tmp_path / name)
    result = last_json(proc)
    assert "· budget: gpu" in proc.stdout.splitlines()[0]
    assert result["budget"] == "gpu"
    if "data_source" in result:
        assert result["data_source"] == "full"  # the 60,000 digits


def test_budget_and_rounds_are_checked_before_any_work(cli, tmp_path):
    for argv, message in [(["dcgan", "--quick", "--budget", "gpu"], "cannot be combined with --quick"),
                          (["dcgan", "--budget", "tpu"], "invalid choice"),
                          (["dcgan", "--rounds", "0"], "must be 1 or more"),
                          (["mixture", "--budget", "gpu"], "unrecognized arguments")]:
        proc = cli(*argv, "--out", tmp_path / "x")
        assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.splitlines()) == 1
        assert not (tmp_path / "x").exists()


def test_the_environment_picks_the_budget_and_the_cap(monkeypatch):
    monkeypatch.delenv(config.QUICK_ENV, raising=False)
    monkeypatch.setenv(config.BUDGET_ENV, "gpu")
    monkeypatch.setenv(config.ROUNDS_ENV, "3")
    assert config.budget() == "gpu" and config.round_cap() == 3
    assert config.progan_config().channels == (256, 256, 128, 64)
    monkeypatch.setenv(config.BUDGET_ENV, "tpu")
    with pytest.raises(ValueError, match="GANLIB_BUDGET must be one of"):
        config.budget()
    monkeypatch.setenv(config.ROUNDS_ENV, "three")
    with pytest.raises(ValueError, match="GANLIB_ROUNDS must be a whole number"):
        config.round_cap()


def test_the_dry_run_leaves_no_variable_behind():
    """Runs after the dry runs in the same process (file order): their GANLIB_BUDGET and
    GANLIB_ROUNDS must be gone, or every later training in this worker would stop after 2 rounds."""
    import os

    assert config.BUDGET_ENV not in os.environ and config.ROUNDS_ENV not in os.environ


def test_a_capped_fit_stops_after_its_rounds(monkeypatch):
    import numpy as np
    import keras

    from ganlib.training import timed_fit

    monkeypatch.setenv(config.ROUNDS_ENV, "3")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    seen = []
    count = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    history, _ = timed_fit(model, np.zeros((100, 2)), np.zeros(100), batch_size=10, epochs=5,
                           callbacks=[count], verbose=0)
    assert len(seen) == 3 and len(history["loss"]) == 1
