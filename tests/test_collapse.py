"""Mode collapse on MNIST (chapter 7): the small DCGAN, its configuration, training, command line."""

import numpy as np
import pytest

from conftest import last_json, needs_jax, run_python
from ganlib import collapse, metrics
from ganlib.data import load_mnist
from ganlib.layers import MinibatchStdDev


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_networks_have_the_described_shapes():
    g = collapse.small_generator(16)
    assert g.input_shape == (None, 16) and g.output_shape == (None, 28, 28, 1)
    plain, fixed = collapse.small_discriminator("none"), collapse.small_discriminator("mbstd")
    assert plain.output_shape == fixed.output_shape == (None, 1)
    assert not any(isinstance(layer, MinibatchStdDev) for layer in plain.layers)
    stat = [layer for layer in fixed.layers if isinstance(layer, MinibatchStdDev)]
    assert len(stat) == 1 and stat[0].output.shape == (None, 7, 7, 129)  # one more channel
    # The remedy adds 7*7 inputs to the decision, nothing else.
    assert fixed.count_params() - plain.count_params() == 7 * 7


@pytest.mark.parametrize(
    "changes, word",
    [
        ({"fix": "dropout"}, "fix"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": -1}, "batch_size"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"d_learning_rate": -1e-3}, "d_learning_rate"),
        ({"beta_1": 1.0}, "beta_1"),
        ({"beta_1": "0.5"}, "beta_1"),
        ({"n_train": 0}, "n_train"),
    ],
)
def test_bad_configurations_raise_value_errors_naming_them(changes, word):
    with pytest.raises(ValueError, match=word):
        collapse.CollapseConfig(**changes)


def test_an_unknown_setting_raises_a_value_error_naming_it():
    with pytest.raises(ValueError, match="epoch"):
        collapse.collapse_config("none", quick=True, epoch=3)


def test_quick_mode_is_small_and_full_mode_is_the_chapters():
    quick, full = collapse.collapse_config(quick=True), collapse.collapse_config(quick=False)
    assert quick.epochs == 1 and quick.n_train == 512
    assert full.n_train is None and full.epochs == collapse.CollapseConfig().epochs
    assert collapse.collapse_config("mbstd", quick=True, epochs=2).epochs == 2


def test_training_records_a_histogram_and_a_grid_per_epoch(mnist):
    # An untrained classifier of the right shape is enough to check the bookkeeping.
    clf = metrics.build_classifier(seed=0)
    cfg = collapse.CollapseConfig(fix="mbstd", epochs=2, n_train=128, batch_size=64, metric_samples=50)
    run = collapse.train_collapse(cfg, seed=0, data=mnist, classifier=clf, verbose=0)
    assert len(run.grids) == 3 and run.grids[0].shape == (64, 28, 28, 1)
    assert len(run.histograms) == 2 and all(sum(h) == 50 for h in run.histograms)
    counts = np.array(run.histograms[-1])
    freq = counts[counts > 0] / 50
    assert run.history["class_kl"][-1] == pytest.approx(float(np.sum(freq * np.log(freq * 10))))
    assert run.data_source == mnist.source
    with pytest.raises(ValueError, match="config"):
        collapse.train_collapse({"epochs": 1}, data=mnist, classifier=clf)


def test_cli_collapse_rejects_bad_arguments(cli):
    proc = cli("collapse", "--quick", "--fix", "pack")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "fix" in lines[0]


def test_cli_collapse_trains_and_writes_its_grid(tmp_path, cli):
    proc = cli("collapse", "--quick", "--fix", "mbstd", "--out", str(tmp_path))
    result = last_json(proc)
    assert result["epochs"] == 1 and result["fix"] == "mbstd" and len(result["histograms"]) == 1
    assert sum(result["class_histogram"]) == collapse.collapse_config(quick=True).metric_samples
    assert 0 <= result["class_kl"] <= np.log(10) + 1e-9
    assert (tmp_path / "collapse-mbstd.png").exists()


@pytest.mark.slow  # a long end-to-end run: make test-slow, which CI runs (tests/README.md)
@needs_jax
def test_training_with_the_remedy_runs_on_jax():
    code = """
import json
from ganlib import collapse, metrics
from ganlib.data import load_mnist
cfg = collapse.CollapseConfig(fix="mbstd", epochs=1, n_train=128, batch_size=64, metric_samples=20)
run = collapse.train_collapse(cfg, data=load_mnist(), classifier=metrics.build_classifier(), verbose=0)
print(json.dumps({"hist": run.histograms, "d_loss": run.history["d_loss"]}))
"""
    result = last_json(run_python(code, backend="jax"))
    assert sum(result["hist"][0]) == 20 and np.isfinite(result["d_loss"][0])
