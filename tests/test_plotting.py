"""Tests of netsim.plotting helpers (Agg backend, no display)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from netsim import plotting  # noqa: E402


def test_time_like_axes_are_red_and_labelled():
    plotting.set_theme()
    fig, ax = plotting.figure()
    plotting.label_inpca_axes(ax, np.array([2.0, -1.0, 0.5]), 0, 1)
    assert "space-like" in ax.get_xlabel() and "time-like" in ax.get_ylabel()
    assert ax.yaxis.label.get_color() == plotting.TIME_LIKE_COLOUR
    assert ax.xaxis.label.get_color() == plotting.SPACE_LIKE_COLOUR


def test_figure_grid_and_save(tmp_path):
    fig, axes = plotting.figure(3, 2)
    assert len(axes) == 6
    path = plotting.save(fig, tmp_path / "sub" / "f.png")
    assert path.exists() and path.stat().st_size > 0


def test_show_images_handles_images_and_signals():
    fig, axes = plotting.figure(4)
    plotting.show_images(axes[:2], np.random.default_rng(0).random((2, 3, 8, 8)), titles=["a", "b"])
    plotting.show_images(axes[2:], np.random.default_rng(0).random((2, 1, 40)))
    assert axes[0].get_title() == "a" and len(axes[0].images) == 1
    assert len(axes[2].lines) == 1 and len(axes[2].images) == 0
