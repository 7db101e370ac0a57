"""Figures of the course (chapters 1 to 7), and digits tiled into one image and written as a PNG."""

from __future__ import annotations

import os

import numpy as np

import keras
import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyBboxPatch, Rectangle
from matplotlib.ticker import MaxNLocator

from ganlib.checks import check_batch, check_number, check_positive_int, check_type
from ganlib.data import check_points, mixture_means
from ganlib.files import atomic_write
from ganlib.training import STEPS

REAL_COLOR = "#1f77b4"
FAKE_COLOR = "#d62728"
_MID = {"ha": "center", "va": "center"}  # text centred on its point


def epoch_grid(real, snapshots, epochs=None, center=(5.0, 5.0), std=1.0, ncols=4, lim=(-2, 11)):
    """The source's epoch grid: real points (blue) with the true one-std circle, and each of
    ``epochs``'s generated points (red; ``snapshots[e]`` after epoch ``e``) with the ellipse of
    their mean and standard deviation. Defined in chapter 3."""
    real = check_points("real", real)
    if len(snapshots) == 0:
        raise ValueError("snapshots is empty: it needs the points of at least one epoch")
    epochs = list(range(len(snapshots))) if epochs is None else epochs
    bad = [e for e in epochs if not 0 <= e < len(snapshots)]
    if bad:
        raise ValueError(f"epochs {bad} are not in snapshots (0 to {len(snapshots) - 1})")
    nrows = -(-len(epochs) // ncols)
    # 2.3 inches a panel: four panels fit the book's column (688 px) at a readable scale.
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols + 0.5, 2.3 * nrows + 0.2), squeeze=False,
                             sharex=True, sharey=True)
    ticks = np.arange(np.ceil(lim[0] / 2.5) * 2.5, lim[1] + 1e-9, 2.5)
    shown = real[:500]
    for ax, epoch in zip(axes.flat, epochs):
        fake = check_points(f"snapshots[{epoch}]", snapshots[epoch])[:500]
        ax.scatter(shown[:, 0], shown[:, 1], s=4, c=REAL_COLOR, alpha=0.35, lw=0)
        ax.scatter(fake[:, 0], fake[:, 1], s=4, c=FAKE_COLOR, alpha=0.35, lw=0)
        for xy, radii, color, style in ((center, (std, std), REAL_COLOR, "-"),
                                        (fake.mean(axis=0), fake.std(axis=0), FAKE_COLOR, "--")):
            ax.add_patch(Ellipse(xy, 2 * radii[0], 2 * radii[1], fill=False, edgecolor=color, lw=2, ls=style))
        # Ticks and a light grid, so positions can be read off every panel.
        ax.set(xlim=lim, ylim=lim, aspect="equal", xticks=ticks, yticks=ticks, axisbelow=True)
        ax.tick_params(labelsize=8)
        ax.grid(color="0.9", lw=0.6)
        ax.set_title(f"epoch {epoch}", fontsize=11)
    for ax in list(axes.flat)[len(epochs):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def _per_epoch(ax, history, curves, ylabel, hline=None, **legend):
    """Per-epoch curves, ``curves`` mapping a history key to (style, label, colour)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 3.5))
    for key, (style, label, color) in curves.items():
        ax.plot(np.arange(1, len(history[key]) + 1), history[key], style, label=label, color=color)
    if hline is not None:
        ax.axhline(hline[0], color="gray", ls=":", label=hline[1])
    ax.set(xlabel="epoch", ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), **legend)  # beside the curves
    ax.figure.tight_layout()
    return ax.figure


def loss_curves(history, ax=None):
    """D's and G's mean loss per epoch, with ln 2 (D's loss when it can only guess) marked."""
    curves = {"d_loss": ("o-", "discriminator (Dawn)", REAL_COLOR),
              "g_loss": ("s-", "generator (Glenn)", FAKE_COLOR)}
    return _per_epoch(ax, history, curves, "binary cross-entropy", (np.log(2), "ln 2 ≈ 0.693"))


def outcome_counts(history, ax=None):
    """Counts of D's four outcomes per epoch (threshold 0.5): TP, FN, FP, TN."""
    curves = {"tp": ("o-", "TP: real judged real", None),
              "fn": ("o--", "FN: real judged fake (D learns)", None),
              "fp": ("s--", "FP: fake judged real (D learns)", None),
              "tn": ("s-", "TN: fake judged fake (G learns)", None)}
    return _per_epoch(ax, history, curves, "decisions per epoch", fontsize=9)


def mixture_snapshots(snapshots, layout, indices=None, title=None, max_panels=6, labels=None, ncols=None):
    """Generated points on the ring or grid, the modes circled in red: ``snapshots[i]`` for each
    of ``indices`` (default: up to ``max_panels`` spread over the run). Defined in chapter 7."""
    if not snapshots:
        raise ValueError("snapshots is empty: it needs at least one array of points")
    if indices is None:
        indices = sorted(set(np.linspace(0, len(snapshots) - 1, min(max_panels, len(snapshots)))
                             .round().astype(int).tolist()))
    if labels is not None and len(labels) != len(indices):
        raise ValueError(f"labels must name each of the {len(indices)} panels, got {len(labels)}")
    ncols = min(len(indices) if ncols is None else check_positive_int("ncols", ncols), len(indices))
    nrows = -(-len(indices) // ncols)
    means = mixture_means(layout)
    lim = 1.6 if layout == "ring" else 5.5
    # Constrained layout keeps each row's titles clear of the row above (tight_layout did not,
    # with square panels).
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.8 * nrows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[len(indices):]:
        ax.axis("off")
    for n, (ax, i) in enumerate(zip(axes.flat, indices)):
        points = check_points(f"snapshots[{i}]", snapshots[i])
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color="tab:blue", lw=0)
        ax.scatter(means[:, 0], means[:, 1], s=30, facecolors="none", edgecolors="tab:red", lw=0.8)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xticks=[], yticks=[])
        ax.set_title(labels[n] if labels is not None else f"epoch {i}", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def progan_diagram(channels=(64, 64, 32, 16), latent_dim=64):
    """ProGAN's networks at each stage, a block coloured by the stage that added it (the same
    layer in every later panel). Defined in chapter 6."""
    sizes = [f"{r}×{r}" for r in (4, 8, 16, 32)]
    if len(channels) != 4:
        raise ValueError(f"channels needs 4 widths (4, 8, 16, 32), got {channels!r}")
    # Each stage's (colour, text colour), the text white on dark colours; noise and score are white.
    styles = [(c, "w" if 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 0.5 else "k")
              for c in plt.cm.viridis(np.linspace(0.2, 0.85, 4))]
    # Two stages a row: four columns side by side would shrink the labels below reading size in
    # the book's 688-pixel column. Boxes are one unit apart in every panel (rows of 8 and 12).
    units = (8, 12)
    fig, axes = plt.subplots(2, 2, figsize=(8.6, 9.6), gridspec_kw={"height_ratios": units})
    for col, ax in enumerate(axes.ravel()):
        rows = ([(f"noise ({latent_dim} numbers)", ("white", "k"))]
                + [(f"G block {sizes[i]}×{channels[i]}", styles[i]) for i in range(col + 1)]
                + [(f"toRGB → {sizes[col]} image", styles[col]), (f"fromRGB {sizes[col]}", styles[col])]
                + [(f"D block {sizes[i]}", styles[i]) for i in reversed(range(col + 1))]
                + [("score (a real number)", ("white", "k"))])
        height = units[col // 2]
        for i, (text, (face, ink)) in enumerate(rows):
            y = height - (i + 0.5)
            _box(ax, 0.5, y, 0.88, 0.6, text, face=face, ink=ink, size=10, lw=None, box="round,pad=0.005")
            if i < len(rows) - 1:
                _arrow(ax, 0.5, y - 0.3, 0.5, y - 0.7, color="0.3", style="->", lw=None, shrink=2)
        ax.set(xlim=(0, 1), ylim=(0, height))
        ax.axis("off")
        ax.set_title(f"stage {col + 1}: {sizes[col]}", fontsize=12)
    fig.suptitle("ProGAN grows both networks;\na colour is one set of layers, reused by every later stage",
                 fontsize=12)
    fig.tight_layout()
    return fig


def fade_in_diagram(resolution=32):
    """How a new block of ``resolution`` is faded in (chapter 6): in the generator (left) the old
    path, the previous stage's toRGB upsampled, and the new block's image are blended by alpha; in
    the critic (right) the image average-pooled into the previous stage's fromRGB, and the new
    block's features. At alpha = 0 both networks are the previous stage's; at 1 the new ones."""
    if resolution not in (8, 16, 32):
        raise ValueError(f"resolution must be one of (8, 16, 32), got {resolution!r}")
    small, big = f"{resolution // 2}×{resolution // 2}", f"{resolution}×{resolution}"
    old_color, new_color, mix_color = "#dbe9f6", "#fde3d3", "#f0f0f0"
    fig, axes = plt.subplots(1, 2, figsize=(9.4, 6.6))
    panels = [
        ("generator: fading in the " + big + " block",
         f"features at {small}\n(the blocks so far)",
         [f"toRGB {small}", f"upsample → {big}"],
         [f"upsample → {big}", f"new block {big}\n(2 convolutions)", f"toRGB {big}"],
         f"{big} image"),
        ("critic: fading in the " + big + " block",
         f"{big} image",
         [f"average-pool → {small}", f"fromRGB {small}"],
         [f"fromRGB {big}", f"new block {big}\n(2 convolutions)", f"average-pool → {small}"],
         f"features at {small}\n(the blocks so far → score)"),
    ]
    for ax, (title, top, old, new, bottom) in zip(axes, panels):
        ax.set(xlim=(0, 2), ylim=(0, 7))
        ax.axis("off")
        ax.set_title(title, fontsize=11)
        _box(ax, 1.0, 6.4, 1.3, 0.6, top, size=10)
        _box(ax, 1.0, 0.5, 1.3, 0.6, bottom, size=10)
        for x, path, face in ((0.5, old, old_color), (1.5, new, new_color)):
            ys = np.linspace(5.2, 5.2 - 1.1 * (len(new) - 1), len(path))
            _arrow(ax, 1.0, 6.1, x, ys[0] + 0.3)
            for i, (y, text) in enumerate(zip(ys, path)):
                _box(ax, x, y, 0.94, 0.62, text, face=face, size=10)
                if i < len(path) - 1:
                    _arrow(ax, x, y - 0.3, x, ys[i + 1] + 0.3)
            weight = "× (1 − α)" if x < 1 else "× α"
            _box(ax, x, 2.3, 0.5, 0.4, weight, face=face, size=10)
            _arrow(ax, x, ys[-1] - 0.3, x, 2.5)
            _arrow(ax, x, 2.1, 1.0, 1.5)
        _box(ax, 1.0, 1.3, 0.3, 0.35, "+", face=mix_color, size=12, weight="bold")
        _arrow(ax, 1.0, 1.12, 1.0, 0.8)
        ax.text(0.5, 5.75, "old path", ha="center", fontsize=10, color="0.3")
        ax.text(1.5, 5.75, "new block", ha="center", fontsize=10, color="0.3")
    fig.suptitle("α rises from 0 to 1 over the fade-in: the new block takes over gradually", fontsize=11)
    fig.tight_layout()
    return fig


# -- Chapters 1 and 2: Dawn's decision map, the four outcomes, the round, the combined model ------

#: The two players' colours in the diagrams of chapters 1 and 2.
DAWN_COLOR = "#6a51a3"
GLENN_COLOR = "#e6550d"
_LIGHT = {REAL_COLOR: "#dbe9f6", FAKE_COLOR: "#f8d9d9", DAWN_COLOR: "#e7e1f1",
          GLENN_COLOR: "#fde3d3", "gray": "#f0f0f0"}
#: Dawn's map runs from light red (sure it is fake, D = 0) through white to light blue (sure it
#: is real, D = 1): the colours of the fake and real points, faded so the points stay visible.
DECISION_CMAP = LinearSegmentedColormap.from_list("dawn", ["#ec9a9a", "#ffffff", "#93bce6"])


def _probabilities(discriminator, x):
    """D's outputs for the rows of ``x``, from a Keras model or a function, as a flat vector."""
    if hasattr(discriminator, "predict"):
        p = discriminator.predict(x, verbose=0, batch_size=4096)
    elif callable(discriminator):
        p = discriminator(x)
    else:
        raise ValueError(f"discriminator must be a Keras model or a function, "
                         f"got {type(discriminator).__name__}")
    p = np.asarray(p, dtype="float64").reshape(-1)
    if p.shape[0] != x.shape[0]:
        raise ValueError(f"the discriminator gave {p.shape[0]} outputs for {x.shape[0]} points")
    return p


def decision_map(discriminator, real, fake, score=None, n_shown=300, lim=None, resolution=161):
    """The first ``n_shown`` real and fake points over Dawn's decision map D(x) on ``[-lim,
    lim]`` squared (``ax.images[0]``), with the line D(x) = 0.5 where her verdict flips.
    ``discriminator``: a Keras model or a function of an ``(n, 2)`` array. With ``score`` (such a
    function, higher = more likely real), a panel on the left draws its lines of equal value at
    the levels that 25 %, 50 % and 75 % of the real points exceed. Defined in chapter 1."""
    real = check_points("real", real)[:n_shown]
    fake = check_points("fake", fake)[:n_shown]
    if lim is None:
        lim = float(np.ceil(np.percentile(np.abs(np.concatenate([real, fake])), 99.5) * 2) / 2)
    lim = check_number("lim", lim, "positive")
    axis = np.linspace(-lim, lim, resolution)
    gx, gy = np.meshgrid(axis, axis)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype("float32")
    p = _probabilities(discriminator, grid).reshape(resolution, resolution)

    titles = ["per-feature score", "Dawn's verdict D(x)"][score is None:]
    fig, (axes,) = plt.subplots(1, len(titles), figsize=(9.5 if len(titles) == 2 else 5.6, 4.9),
                                 squeeze=False)
    if score is not None:
        s_grid = np.asarray(score(grid), dtype="float64").reshape(resolution, resolution)
        levels = np.sort(np.percentile(np.asarray(score(real), dtype="float64"), [25, 50, 75]))
        axes[0].contour(gx, gy, s_grid, levels=levels, colors="0.25", linewidths=1.3, linestyles="solid")
    ax = axes[-1]
    image = ax.imshow(p, origin="lower", extent=(-lim, lim, -lim, lim), cmap=DECISION_CMAP,
                      vmin=0.0, vmax=1.0, interpolation="bilinear")
    ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.6)
    for panel, title in zip(axes, titles):  # the points over each panel's lines
        panel.scatter(real[:, 0], real[:, 1], s=9, c=REAL_COLOR, lw=0, alpha=0.8, label="real")
        panel.scatter(fake[:, 0], fake[:, 1], s=14, c=FAKE_COLOR, marker="x", lw=0.9, alpha=0.8,
                      label="fake (shuffled)")
        panel.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        panel.set_xlabel("feature 1", fontsize=11)
        panel.tick_params(labelsize=10)
        panel.set_title(title, fontsize=12)
    axes[0].set_ylabel("feature 2", fontsize=11)
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, ticks=[0, 0.5, 1])
    bar.ax.set_yticklabels(["0 fake", "0.5", "1 real"], fontsize=10)
    handles = [Line2D([], [], ls="", marker="o", color=REAL_COLOR, label="real"),
               Line2D([], [], ls="", marker="x", color=FAKE_COLOR, mew=1.5, label="fake (shuffled)"),
               Line2D([], [], color="k", lw=1.6, label="D(x) = 0.5")]
    if score is not None:
        handles.append(Line2D([], [], color="0.25", lw=1.3, label="equal score"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _box(ax, x, y, w, h, text, face="white", edge="0.3", ink="k", size=11, weight="normal",
         style="-", hatch=None, lw=1.2, box="round,pad=0.02,rounding_size=0.08"):
    """A rounded box centred on (x, y), in the axes' data coordinates, with centred text."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=box,
                                facecolor=face, edgecolor=edge, ls=style, hatch=hatch, lw=lw))
    if text:
        ax.text(x, y, text, **_MID, color=ink, fontsize=size, weight=weight)


def _arrow(ax, x0, y0, x1, y1, color="0.35", style="-|>", lw=1.3, rad=0.0, shrink=0):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": style, "color": color, "lw": lw,
                            "shrinkA": shrink, "shrinkB": shrink, "connectionstyle": f"arc3,rad={rad}"})


def _canvas(width, height):
    """A figure whose single axes is measured in inches, without frame."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, width), ylim=(0, height))
    ax.axis("off")
    return fig, ax


def _check_counts(name, value, keys):
    if not isinstance(value, dict) or not set(keys) <= set(value):
        raise ValueError(f"{name} must be a dict with the keys {', '.join(keys)}, got {value!r}")
    bad = {k: value[k] for k in keys
           if isinstance(value[k], bool) or not float(value[k]).is_integer() or value[k] < 0}
    if bad:
        raise ValueError(f"{name} must be whole numbers of at least 0, got {bad}")
    return value


#: The four outcomes of chapter 1: who made the sample, what Dawn said, and who learns from it.
OUTCOME_ROWS = (("tp", "real", "real", "TP  true positive", None),
                ("fn", "real", "fake", "FN  false negative", "Dawn"),
                ("fp", "fake", "real", "FP  false positive", "Dawn"),
                ("tn", "fake", "fake", "TN  true negative", "Glenn"))


def outcomes_diagram(counts=None):
    """The four outcomes as flowcharts, one a row; with ``counts`` (as
    :func:`ganlib.training.count_outcomes` returns them) a last column. Defined in chapter 1."""
    if counts is not None:
        _check_counts("counts", counts, ("tp", "fn", "fp", "tn"))
    width, row_h = 9.5, 0.78
    height = 0.55 + 4 * row_h + 0.1
    fig, ax = _canvas(width, height)
    columns = [("made by", 0.85, 1.45), ("Dawn says", 2.85, 1.35), ("outcome", 4.95, 2.0),
               ("who learns", 7.05, 1.45)]
    if counts is not None:
        columns.append(("this batch", 8.75, 0.95))
    top = height - 0.3
    for title, x, _ in columns:
        ax.text(x, top, title, **_MID, fontsize=11, color="0.3", style="italic")
    for i, (key, made, said, outcome, learner) in enumerate(OUTCOME_ROWS):
        y = top - 0.55 - i * row_h
        color = REAL_COLOR if made == "real" else FAKE_COLOR
        mistake = key in ("fn", "fp")
        learner_color = DAWN_COLOR if learner == "Dawn" else GLENN_COLOR
        # Each box's text and style, one per column.
        cells = [("a real note" if made == "real" else "Glenn's fake", dict(face=_LIGHT[color], edge=color)),
                 (f"\u201c{said}\u201d", dict(face=_LIGHT[DAWN_COLOR], edge=DAWN_COLOR)),
                 (outcome, dict(weight="bold", edge="k" if mistake else "0.5", lw=2.0 if mistake else 1.2)),
                 ("nobody", dict(face=_LIGHT["gray"], edge="0.6", ink="0.35", style="--")) if learner is None
                 else (learner, dict(face=learner_color, edge=learner_color, ink="white", weight="bold"))]
        for (_, x, w), (text, style) in zip(columns, cells):
            _box(ax, x, y, w, row_h - 0.2, text, **style)
        for (_, x0, w0), (_, x1, w1) in zip(columns[:3], columns[1:4]):
            _arrow(ax, x0 + w0 / 2 + 0.05, y, x1 - w1 / 2 - 0.05, y)
        if counts is not None:
            ax.text(columns[4][1], y, f"{int(counts[key]):,}", **_MID, fontsize=13, weight="bold",
                    color="k" if counts[key] else "0.55")
    return fig


#: What goes into each step of the round (chapter 2's table), and which network the step is for.
ROUND_STEPS = {"fn": ("(a) FN step", "real x \u2192 D\nlabel 1 (real)", "discriminator"),
               "tn": ("(b) TN step", "G(z) \u2192 frozen D\nlabel 1 (real)", "generator"),
               "fp": ("(c) FP step", "G(z) \u2192 D\nlabel 0 (fake)", "discriminator"),
               "tn2": ("(d) TN again", "G(z) \u2192 frozen D\nlabel 1 (real)", "generator")}


def _check_audit(label, audit):
    if not isinstance(audit, dict) or set(audit) != set(STEPS):
        raise ValueError(f"audit {label!r} must map the steps {STEPS} to results, "
                         f"got {sorted(audit) if isinstance(audit, dict) else type(audit).__name__}")
    for step in STEPS:
        row = audit[step]
        if not isinstance(row, dict) or set(row) != {"generator", "discriminator"} or not all(
                isinstance(v, (bool, np.bool_)) for v in row.values()):
            raise ValueError(f"audit {label!r}, step {step!r} must be "
                             f"{{'generator': bool, 'discriminator': bool}}, got {row!r}")
    return audit


def round_diagram(audits, weights=None):
    """The four-step round as a diagram: which network's weights each step moved, a box that should be the
    other way framed in red. ``audits`` maps a row label to an audit as :func:`ganlib.freeze.ganlib_round`
    returns it, or is one audit; ``weights`` (``{"generator": n, "discriminator": m}``) are printed in the
    boxes that learn. Defined in chapter 2."""
    if isinstance(audits, dict) and set(audits) == set(STEPS):
        audits = {"": audits}
    if not isinstance(audits, dict) or not audits:
        raise ValueError("audits must be an audit or a non-empty dict of label -> audit")
    audits = {label: _check_audit(label, a) for label, a in audits.items()}
    if weights is not None:
        _check_counts("weights", weights, ("generator", "discriminator"))
    width, left = 9.5, 1.5 if any(audits) else 0.1  # room for the labels
    col_w = (width - left - 0.1) / 4
    chip_h, gap, head_h = 0.56, 0.1, 0.95
    row_h = 2 * chip_h + gap + 0.3
    height = head_h + row_h * len(audits)
    fig, ax = _canvas(width, height)
    chips = (("generator", "G", GLENN_COLOR), ("discriminator", "D", DAWN_COLOR))
    for j, step in enumerate(STEPS):
        title, inputs, _ = ROUND_STEPS[step]
        x = left + (j + 0.5) * col_w
        ax.text(x, height - 0.2, title, **_MID, fontsize=12, weight="bold")
        ax.text(x, height - 0.6, inputs, **_MID, fontsize=10, color="0.25", linespacing=1.15)
        if j:
            _arrow(ax, x - col_w / 2 - 0.12, height - 0.2, x - col_w / 2 + 0.12, height - 0.2)
    for i, (label, audit) in enumerate(audits.items()):
        y_mid = height - head_h - (i + 0.5) * row_h
        if label:
            ax.text(0.08, y_mid, label, ha="left", va="center", fontsize=11, weight="bold")
        for j, step in enumerate(STEPS):
            x = left + (j + 0.5) * col_w
            for k, (net, short, color) in enumerate(chips):
                y = y_mid + (0.5 - k) * (chip_h + gap)
                moved = bool(audit[step][net])
                wrong = moved != (net == ROUND_STEPS[step][2])  # did the step move the wrong network?
                red = "#c00000"
                if moved:
                    count = "" if weights is None else f"\n({int(weights[net]):,} weights)"
                    text = f"{short} learns" + ("\nshould stay" if wrong else count)
                    face, edge, ink = color, color, "white"
                else:
                    text = f"{short} unchanged" + ("\nshould learn" if wrong else "")
                    face, edge, ink = "white", "0.6", red if wrong else "0.45"
                _box(ax, x, y, col_w - 0.14, chip_h, text, face=face, edge=red if wrong else edge,
                     ink=ink, size=10, weight="bold" if moved or wrong else "normal",
                     style="-" if moved or wrong else "--", lw=3.0 if wrong else 1.2)
    return fig


def _layer_line(layer):
    """A layer's kind and size."""
    kind = type(layer).__name__
    units = getattr(layer, "units", None)
    if units is not None:
        activation = getattr(getattr(layer, "activation", None), "__name__", "linear")
        return f"{kind}({units}" + (f", {activation})" if activation != "linear" else ")")
    return kind


def _n_weights(variables):
    return int(sum(int(np.prod(v.shape)) for v in variables))


def combined_model_diagram(combined):
    """The combined model G -> D (a functional ``keras.Model`` of the two, in that order): each
    network a box of its layers, hatched grey when its ``trainable`` flag is False, and the
    gradient's way back through D to G. Defined in chapter 2."""
    check_type("combined", combined, keras.Model, "keras.Model")
    inner = [layer for layer in combined.layers if isinstance(layer, keras.Model)]
    if len(inner) != 2:
        raise ValueError(f"combined must hold two inner models (generator, discriminator), "
                         f"found {len(inner)}")
    generator, discriminator = inner
    width, height, y = 9.5, 4.0, 2.3
    fig, ax = _canvas(width, height)
    # Each box's centre and width, left to right.
    boxes = {"z": (0.65, 1.0), "G": (2.3, 1.75), "Gz": (3.95, 0.95), "D": (5.65, 1.95),
             "Dz": (7.35, 0.95), "loss": (8.77, 1.1)}

    def io_box(key, text, shape=None):
        if shape is not None:
            n = int(np.prod(shape[1:]))
            text += f"\n{n} {'number' if n == 1 else 'numbers'}"
        _box(ax, boxes[key][0], y, boxes[key][1], 0.95, text, face="white", size=10)

    def net_box(key, model, color):
        (x, w), layers = boxes[key], [_layer_line(layer) for layer in model.layers]
        frozen = not model.trainable
        face = "#eeeeee" if frozen else _LIGHT[color]
        h = 0.62 + 0.26 * len(layers) + 0.35
        _box(ax, x, y, w, h, "", face=face, edge="0.45" if frozen else color,
             hatch="///" if frozen else None, lw=2.0)
        top, white = y + h / 2, {"facecolor": "white", "edgecolor": "none", "pad": 1.0}
        ax.text(x, top - 0.22, f"{key}: {model.name}", **_MID, fontsize=11,
                weight="bold", color="0.25" if frozen else color, bbox=dict(white, facecolor=face))
        for k, line in enumerate(layers):
            ax.text(x, top - 0.55 - 0.26 * k, line, **_MID, fontsize=10, bbox=white)
        status = f"{_n_weights(model.weights):,} weights, " + ("frozen" if frozen else "trainable")
        ax.text(x, y - h / 2 + 0.22, status, **_MID, fontsize=10, weight="bold",
                color="0.2" if frozen else color, bbox=white)
        return h

    io_box("z", "noise z", combined.input_shape)
    net_box("G", generator, GLENN_COLOR)
    io_box("Gz", "G(z)", generator.output_shape)
    h_d = net_box("D", discriminator, DAWN_COLOR)
    io_box("Dz", "D(G(z))", discriminator.output_shape)
    io_box("loss", "loss with\nlabel 1 (real)")
    spans = list(boxes.values())
    for (xa, wa), (xb, wb) in zip(spans, spans[1:]):
        _arrow(ax, xa + wa / 2 + 0.02, y, xb - wb / 2 - 0.02, y)
    # The gradient of the loss flows back through D (which it does not change) into G.
    (x_g, _), (x_loss, _) = boxes["G"], boxes["loss"]
    _arrow(ax, x_loss, y - 0.5, x_g, y - h_d / 2 + 0.05, color=GLENN_COLOR, lw=1.6, rad=-0.25)
    updated = "G's and D's weights are" if discriminator.trainable else "only G's weights are"
    ax.text((x_g + x_loss) / 2, y - h_d / 2 - 0.3 - 0.42,
            f"the gradient flows back through D; {updated} updated",
            **_MID, fontsize=10, color=GLENN_COLOR)
    ax.add_patch(Rectangle((0.05, 0.08), width - 0.1, height - 0.16, fill=False, ls="--",
                           edgecolor="0.4", lw=1.2))
    ax.text(0.2, height - 0.3, f"combined model \u201c{combined.name}\u201d: "
            f"{_n_weights(combined.trainable_weights):,} of its {_n_weights(combined.weights):,} "
            "weights trainable", ha="left", va="center", fontsize=11, weight="bold")
    return fig


def image_grid(images, ncols=8):
    """Tile images of shape (n, 28, 28, 1) in [-1, 1] into one 2-D array in [0, 1]; of shape
    (n, 28, 28, 3) (Stacked MNIST) into one colour image (h, w, 3) on white."""
    images = np.asarray(images)
    images = check_batch("images", images, (28, 28, 3 if images.shape[-1:] == (3,) else 1))
    n, colour = len(images), images.shape[-1] == 3
    nrows = -(-n // ncols)
    grid = np.ones((nrows * 30, ncols * 30, images.shape[-1]), dtype="float32")
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        grid[r * 30 + 1 : r * 30 + 29, c * 30 + 1 : c * 30 + 29] = (image + 1) / 2
    return np.clip(grid if colour else grid[..., 0], 0, 1)


def save_image(path, image, **kwargs):
    """Write a 2-D image in [0, 1] (e.g. an :func:`image_grid`) to ``path`` as a grey PNG (a colour one
    ``(h, w, 3)`` as it is), atomically: an interrupted run never leaves half a file. Returns ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write(path, lambda tmp: plt.imsave(tmp, image, cmap="gray", format="png",
                                              **{"vmin": 0, "vmax": 1, **kwargs}), suffix=".png")
    return path
