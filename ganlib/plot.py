"""Figures of the course: the epoch grid, loss curves and the four outcomes per epoch."""

from __future__ import annotations

import numpy as np

import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse

from ganlib.data import check_points

REAL_COLOR = "#1f77b4"
FAKE_COLOR = "#d62728"


def _ellipse(ax, center, radii, color, style):
    ax.add_patch(
        Ellipse(center, 2 * radii[0], 2 * radii[1], fill=False, edgecolor=color, lw=2, ls=style)
    )


def epoch_grid(real, snapshots, epochs=None, center=(5.0, 5.0), std=1.0, ncols=4, lim=(-2, 11)):
    """The source's epoch grid: one panel per chosen epoch.

    Each panel shows the real points (blue) with the circle of one standard deviation around the
    true centre, and the generated points (red) with the ellipse of their own mean and standard
    deviation. ``snapshots[e]`` holds the generated points after epoch ``e`` (0: before training).
    Defined in chapter 3.
    """
    real = check_points("real", real)
    if len(snapshots) == 0:
        raise ValueError("snapshots is empty: it needs the points of at least one epoch")
    if epochs is None:
        epochs = list(range(len(snapshots)))
    bad = [e for e in epochs if not 0 <= e < len(snapshots)]
    if bad:
        raise ValueError(f"epochs {bad} are not in snapshots (0 to {len(snapshots) - 1})")
    nrows = -(-len(epochs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3 * ncols, 3 * nrows), squeeze=False)
    shown = real[:500]
    for ax, epoch in zip(axes.flat, epochs):
        fake = check_points(f"snapshots[{epoch}]", snapshots[epoch])[:500]
        ax.scatter(shown[:, 0], shown[:, 1], s=4, c=REAL_COLOR, alpha=0.35, lw=0)
        ax.scatter(fake[:, 0], fake[:, 1], s=4, c=FAKE_COLOR, alpha=0.35, lw=0)
        _ellipse(ax, center, (std, std), REAL_COLOR, "-")
        _ellipse(ax, fake.mean(axis=0), fake.std(axis=0), FAKE_COLOR, "--")
        ax.set_xlim(*lim)
        ax.set_ylim(*lim)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"epoch {epoch}", fontsize=10)
    for ax in list(axes.flat)[len(epochs):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def loss_curves(history, ax=None):
    """D's and G's mean loss per epoch, with ln 2 (D's loss when it can only guess) marked."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, len(history["d_loss"]) + 1)
    ax.plot(epochs, history["d_loss"], "o-", label="discriminator (Dawn)", color=REAL_COLOR)
    ax.plot(epochs, history["g_loss"], "s-", label="generator (Glenn)", color=FAKE_COLOR)
    ax.axhline(np.log(2), color="gray", ls=":", label="ln 2 ≈ 0.693")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure


def outcome_counts(history, ax=None):
    """Counts of D's four outcomes per epoch (threshold 0.5): TP, FN, FP, TN."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, len(history["tp"]) + 1)
    labels = {
        "tp": "TP: real judged real",
        "fn": "FN: real judged fake (D learns)",
        "fp": "FP: fake judged real (D learns)",
        "tn": "TN: fake judged fake (G learns)",
    }
    for key, style in zip(labels, ("o-", "o--", "s--", "s-")):
        ax.plot(epochs, history[key], style, label=labels[key])
    ax.set_xlabel("epoch")
    ax.set_ylabel("decisions per epoch")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def mixture_snapshots(snapshots, layout, indices=None, title=None, max_panels=6, labels=None):
    """Panels of generated points over training on the ring or grid, the modes marked in red.

    ``snapshots[i]`` holds the points after epoch ``i`` (0: before training); ``indices`` picks
    the panels (default: up to ``max_panels`` spread over the run). Defined in chapter 7.
    """
    from ganlib.mixture import mixture_means, mixture_std

    if not snapshots:
        raise ValueError("snapshots is empty: it needs at least one array of points")
    if indices is None:
        indices = sorted(set(np.linspace(0, len(snapshots) - 1, min(max_panels, len(snapshots)))
                             .round().astype(int).tolist()))
    means, std = mixture_means(layout), mixture_std(layout)
    lim = 1.6 if layout == "ring" else 5.5
    fig, axes = plt.subplots(1, len(indices), figsize=(2.6 * len(indices), 2.8), squeeze=False)
    for n, (ax, i) in enumerate(zip(axes[0], indices)):
        points = check_points(f"snapshots[{i}]", snapshots[i])
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color="tab:blue", lw=0)
        ax.scatter(means[:, 0], means[:, 1], s=30, facecolors="none", edgecolors="tab:red", lw=0.8)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(labels[n] if labels is not None else f"epoch {i}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def progan_diagram(channels=(64, 64, 32, 16), latent_dim=64):
    """Chapter 6: ProGAN's networks at each stage, generator above, critic below. A block's colour
    is the stage that added it: the same colour in a later column is the same layer, weights and
    all. Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    resolutions = (4, 8, 16, 32)
    if len(channels) != 4:
        raise ValueError(f"channels needs 4 widths (4, 8, 16, 32), got {channels!r}")
    colors = plt.cm.viridis(np.linspace(0.2, 0.85, 4))
    inks = ["w" if 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 0.5 else "k" for c in colors]
    fig, axes = plt.subplots(1, 4, figsize=(14, 6.2))
    for col, (ax, stage) in enumerate(zip(axes, resolutions)):
        rows = [(f"noise ({latent_dim} numbers)", "white", "k")]
        rows += [(f"G block {r}×{r}×{c}", colors[i], inks[i]) for i, (r, c) in
                 enumerate(zip(resolutions[: col + 1], channels))]
        rows += [(f"toRGB → {stage}×{stage} image", colors[col], inks[col]),
                 (f"fromRGB {stage}×{stage}", colors[col], inks[col])]
        rows += [(f"D block {resolutions[i]}×{resolutions[i]}", colors[i], inks[i])
                 for i in reversed(range(col + 1))]
        rows += [("score (a real number)", "white", "k")]
        n = len(rows)
        for i, (text, face, ink) in enumerate(rows):
            y = 1 - (i + 0.5) / 12
            ax.add_patch(FancyBboxPatch((0.06, y - 0.03), 0.88, 0.06, boxstyle="round,pad=0.005",
                                        facecolor=face, edgecolor="0.3"))
            ax.text(0.5, y, text, ha="center", va="center", color=ink, fontsize=10)
            if i < n - 1:
                ax.annotate("", xy=(0.5, y - 0.047), xytext=(0.5, y - 0.031),
                            arrowprops={"arrowstyle": "->", "color": "0.3"})
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        ax.set_title(f"stage {col + 1}: {stage}×{stage}", fontsize=12)
    fig.suptitle("ProGAN grows both networks; a colour is one set of layers, reused by every later stage",
                 fontsize=12)
    fig.tight_layout()
    return fig
