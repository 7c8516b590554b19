"""One seaborn theme for the book and small figure helpers."""
from __future__ import annotations

from pathlib import Path

import numpy as np

SPACE_LIKE_COLOUR = "black"
TIME_LIKE_COLOUR = "tab:red"  # negative InPCA eigenvalues are drawn in red, as in the thesis


def set_theme() -> None:
    """The compendium's seaborn theme (call once at the top of every notebook)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "figure.autolayout": False,
                         "axes.titlesize": "medium", "legend.frameon": False})


def figure(ncols: int = 1, nrows: int = 1, *, width: float = 4.0, height: float = 3.2, **kwargs):
    """``plt.subplots`` sized per panel; returns ``(fig, axes)`` with ``constrained`` layout."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             layout="constrained", squeeze=False, **kwargs)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


def save(fig, path: str | Path) -> Path:
    """Save a figure (folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    return path


def inpca_axis_label(eigenvalues: np.ndarray, k: int) -> tuple[str, str]:
    """Axis label and colour for InPCA component ``k`` (0-based): sign and share of stress."""
    lam = np.asarray(eigenvalues, dtype=float)
    kind = "time-like" if lam[k] < 0 else "space-like"
    colour = TIME_LIKE_COLOUR if lam[k] < 0 else SPACE_LIKE_COLOUR
    return f"InPCA {k + 1} ({kind}, $\\lambda$={lam[k]:.3g})", colour


def label_inpca_axes(ax, eigenvalues: np.ndarray, i: int = 0, j: int = 1) -> None:
    """Label the x/y axes of an InPCA scatter with components ``i`` and ``j``."""
    for k, setter, axis in ((i, ax.set_xlabel, ax.xaxis), (j, ax.set_ylabel, ax.yaxis)):
        text, colour = inpca_axis_label(eigenvalues, k)
        setter(text, color=colour)


def show_images(ax_grid, images: np.ndarray, titles=None) -> None:
    """Draw channels-first images (n, C, H, W) or signals (n, 1, L) onto a grid of axes."""
    for ax, k in zip(np.ravel(ax_grid), range(len(images))):
        img = np.asarray(images[k])
        if img.ndim == 2 and img.shape[0] == 1:  # a 1-D signal (1, L)
            ax.plot(img[0], color="black", linewidth=1)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            shown = img[0] if img.shape[0] == 1 else np.moveaxis(img, 0, -1)
            ax.imshow(shown, cmap="gray" if img.shape[0] == 1 else None, vmin=0, vmax=1)
            ax.axis("off")
        if titles is not None:
            ax.set_title(str(titles[k]), fontsize="small")
