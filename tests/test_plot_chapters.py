"""The figures of chapters 1 and 2 show what they are given (ganlib.plot, Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from ganlib import plot  # noqa: E402
from ganlib.training import STEPS  # noqa: E402

CORRECT = {
    "fn": {"generator": False, "discriminator": True},
    "tn": {"generator": True, "discriminator": False},
    "fp": {"generator": False, "discriminator": True},
    "tn2": {"generator": True, "discriminator": False},
}
KERAS2 = {step: {"generator": step in ("tn", "tn2"), "discriminator": False} for step in STEPS}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(fig):
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def assert_readable(fig):
    """At most 10 inches wide, and every piece of text at least 10 pt."""
    assert fig.get_size_inches()[0] <= 10
    small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text() and t.get_fontsize() < 10]
    assert not small, f"text under 10 pt: {small}"


def points():
    rng = np.random.default_rng(0)
    real = rng.multivariate_normal([0, 0], [[1.0, 0.9], [0.9, 1.0]], size=400).astype("float32")
    fake = np.stack([rng.permutation(real[:, 0]), rng.permutation(real[:, 1])], axis=1)
    return real, fake


def pixel(fig, ax, x, y):
    """The rendered RGB colour at data point (x, y) of ``ax``."""
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    return rgba[int(round(rgba.shape[0] - py)), int(round(px)), :3].astype(int)


# -- chapter 1 ------------------------------------------------------------------------------------


def test_decision_map_colours_follow_the_discriminator_it_is_given():
    import keras

    # D(x) = sigmoid(4 * feature 1): sure "real" on the right, sure "fake" on the left.
    dawn = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    dawn.set_weights([np.array([[4.0], [0.0]], "float32"), np.zeros(1, "float32")])
    real, fake = points()
    fig = plot.decision_map(dawn, real, fake, lim=3.0, resolution=61)
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    axis = np.linspace(-3, 3, 61)
    expected = 1 / (1 + np.exp(-4 * axis))
    np.testing.assert_allclose(image, np.tile(expected, (61, 1)), atol=1e-5)
    right, left = pixel(fig, ax, 2.5, -2.7), pixel(fig, ax, -2.5, -2.7)
    assert right[2] > right[0] + 40, f"D = 1 should be blue, got {right}"
    assert left[0] > left[2] + 40, f"D = 0 should be red, got {left}"

    # The same map from a function with the opposite verdicts swaps the colours.
    fig = plot.decision_map(lambda x: 1 / (1 + np.exp(4 * x[:, 0])), real, fake, lim=3.0,
                            resolution=61)
    ax = fig.axes[0]
    right, left = pixel(fig, ax, 2.5, -2.7), pixel(fig, ax, -2.5, -2.7)
    assert right[0] > right[2] + 40 and left[2] > left[0] + 40


def test_decision_map_with_a_score_panel_draws_both_point_sets():
    real, fake = points()

    def score(x):
        return -(x ** 2).sum(axis=1)

    fig = plot.decision_map(lambda x: np.full(len(x), 0.7), real, fake, score=score, n_shown=50)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["per-feature score", "Dawn's verdict D(x)"]
    for ax in panels:
        offsets = [c.get_offsets() for c in ax.collections if len(c.get_offsets()) == 50]
        assert len(offsets) == 2  # real and fake, 50 each
        np.testing.assert_allclose(offsets[0], real[:50])
        np.testing.assert_allclose(offsets[1], fake[:50])
    assert_readable(fig)


def test_decision_map_rejects_a_discriminator_with_the_wrong_number_of_outputs():
    real, fake = points()
    with pytest.raises(ValueError, match="outputs"):
        plot.decision_map(lambda x: np.ones(3), real, fake)
    with pytest.raises(ValueError, match="shape"):
        plot.decision_map(lambda x: np.ones(len(x)), real[:, :1], fake)


def test_outcomes_diagram_shows_who_learns_and_the_counts_it_is_given():
    fig = plot.outcomes_diagram({"tp": 17, "fn": 3, "fp": 1234, "tn": 0})
    shown = texts(fig)
    for outcome in ("TP", "FN", "FP", "TN"):
        assert any(t.startswith(outcome) for t in shown)
    assert shown.count("Dawn") == 2 and shown.count("Glenn") == 1 and shown.count("nobody") == 1
    assert {"17", "3", "1,234", "0"} <= set(shown)
    assert_readable(fig)
    assert "this batch" not in texts(plot.outcomes_diagram())
    with pytest.raises(ValueError, match="tp, fn, fp, tn"):
        plot.outcomes_diagram({"tp": 1})
    with pytest.raises(ValueError, match="whole numbers"):
        plot.outcomes_diagram({"tp": 1, "fn": -2, "fp": 0, "tn": 0})


# -- chapter 2 ------------------------------------------------------------------------------------


def test_round_diagram_shows_the_audit_and_the_weight_counts_it_is_given():
    fig = plot.round_diagram({"right": CORRECT}, weights={"generator": 1234, "discriminator": 56})
    shown = texts(fig)
    assert shown.count("G learns\n(1,234 weights)") == 2  # steps (b) and (d)
    assert shown.count("D learns\n(56 weights)") == 2  # steps (a) and (c)
    assert shown.count("G unchanged") == 2 and shown.count("D unchanged") == 2
    assert not any("should" in t for t in shown)
    assert_readable(fig)


def test_round_diagram_flags_the_steps_an_audit_got_wrong():
    fig = plot.round_diagram({"Keras 3 recipe": CORRECT, "Keras-2 idiom": KERAS2})
    shown = texts(fig)
    assert shown.count("D unchanged\nshould learn") == 2  # the idiom's D never learns
    assert "Keras-2 idiom" in shown and "Keras 3 recipe" in shown
    backwards = {step: {"generator": not row["generator"], "discriminator": not row["discriminator"]}
                 for step, row in CORRECT.items()}
    shown = texts(plot.round_diagram(backwards))
    assert shown.count("G learns\nshould stay") == 2 and shown.count("D learns\nshould stay") == 2


def test_round_diagram_rejects_what_is_not_an_audit():
    with pytest.raises(ValueError, match="steps"):
        plot.round_diagram({"x": {"fn": {"generator": True, "discriminator": False}}})
    with pytest.raises(ValueError, match="bool"):
        plot.round_diagram({**CORRECT, "fn": {"generator": "yes", "discriminator": False}})
    with pytest.raises(ValueError, match="weights"):
        plot.round_diagram(CORRECT, weights={"generator": 3})


def test_combined_model_diagram_reads_the_model_and_its_flags():
    import keras

    from ganlib import models

    generator, discriminator = models.gaussian_generator(), models.gaussian_discriminator()
    z = keras.Input(shape=(4,))
    combined = keras.Model(z, discriminator(generator(z)), name="combined")
    g_n, d_n = generator.count_params(), discriminator.count_params()
    discriminator.trainable = False
    shown = texts(plot.combined_model_diagram(combined))
    assert any(f"{g_n:,} of its {g_n + d_n:,} weights trainable" in t for t in shown)
    assert f"{d_n:,} weights, frozen" in shown and f"{g_n:,} weights, trainable" in shown
    assert any("only G's weights are updated" in t for t in shown)
    assert "Dense(1, sigmoid)" in shown and "noise z\n4 numbers" in shown
    assert_readable(plot.combined_model_diagram(combined))

    discriminator.trainable = True  # now training the combined model would move D too
    shown = texts(plot.combined_model_diagram(combined))
    assert any(f"{g_n + d_n:,} of its {g_n + d_n:,} weights trainable" in t for t in shown)
    assert f"{d_n:,} weights, trainable" in shown
    assert any("G's and D's weights are updated" in t for t in shown)
    with pytest.raises(ValueError, match="two inner models"):
        plot.combined_model_diagram(generator)


# -- chapter 7 ------------------------------------------------------------------------------------


def test_mixture_snapshots_wrap_into_rows_with_the_labels_given():
    rng = np.random.default_rng(0)
    snapshots = [rng.normal(size=(50, 2)).astype("float32") for _ in range(21)]
    labels = [f"round {500 * i:,}" for i in (2, 4, 6, 8, 16, 20)]
    fig = plot.mixture_snapshots(snapshots, "ring", indices=[2, 4, 6, 8, 16, 20], labels=labels, ncols=3,
                                 title="a plain GAN on the ring")
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(shown) == 6
    assert len({round(ax.get_position().y0, 3) for ax in shown}) == 2  # two rows of three
    assert [ax.get_title() for ax in shown] == labels
    assert_readable(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for upper, lower in zip(shown[:3], shown[3:]):  # each title of the second row clears the first
        title = lower.title.get_window_extent(renderer)
        assert title.y1 < upper.get_window_extent(renderer).y0, lower.get_title()


def test_mixture_snapshots_refuse_labels_that_do_not_match_the_panels():
    snapshots = [np.zeros((5, 2), "float32")] * 3
    with pytest.raises(ValueError, match="labels"):
        plot.mixture_snapshots(snapshots, "ring", indices=[0, 2], labels=["one"])
    with pytest.raises(ValueError, match="ncols"):
        plot.mixture_snapshots(snapshots, "ring", ncols=0)


def test_fade_in_diagram_wires_the_old_path_and_the_new_block_of_the_stage_it_is_given():
    fig = plot.fade_in_diagram(16)
    assert_readable(fig)
    shown = texts(fig)
    joined = "\n".join(shown)
    assert shown.count("× α") == 2 and shown.count("× (1 − α)") == 2  # generator and critic
    for label in ("toRGB 8×8", "toRGB 16×16", "fromRGB 8×8", "fromRGB 16×16", "upsample → 16×16",
                  "average-pool → 8×8"):
        assert label in joined, label
    assert "32×32" not in joined
    with pytest.raises(ValueError, match="resolution"):
        plot.fade_in_diagram(4)
