"""Tests of the chapter-06 figures on small synthetic inputs (Agg backend, no training)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from netsim.studies.sloppiness import FLAT, TOP_K  # noqa: E402
from netsim.studies.sloppiness import figures  # noqa: E402

RNG = np.random.default_rng(0)


def _spectrum(p, rate=0.3):
    return np.exp(-rate * np.arange(p))


def _snapshot(p=60):
    vectors = lambda: np.linalg.qr(RNG.standard_normal((p, TOP_K)))[0]  # noqa: E731
    return dict(activations=[_spectrum(8), _spectrum(5)], activation_gradients=[_spectrum(5), _spectrum(1)],
                logit_jacobians=[_spectrum(p), _spectrum(p)], fim=_spectrum(p), ef=_spectrum(p, 0.2),
                hessian=_spectrum(p) * np.where(np.arange(p) % 7 == 6, -1, 1), kfac=_spectrum(p, 0.25),
                hessian_vectors=vectors(), kfac_vectors=vectors(), fim_vectors=vectors())


pytestmark = pytest.mark.usefixtures("figures_closed")


def test_spectra_figures_keep_their_labels():
    fig = figures.input_spectra({"digits": _spectrum(30), "sloppy c=0.1": _spectrum(30, 0.1)})
    (ax,) = fig.axes[:1]
    assert ax.get_xlabel() == "index i" and [ln.get_linestyle() for ln in ax.lines] == ["-", "--"]

    run = dict(snapshots=[_snapshot(), _snapshot(), _snapshot()])
    fig = figures.network_spectra(run)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["activations and Jacobians", "curvature at the end",
                                                      "FIM over training"]
    assert len(fig.axes[0].lines) == 6 and len(fig.axes[1].lines) == 4 and len(fig.axes[2].lines) == 3

    crowded = figures.crowded_spectra(run, RNG.standard_normal((40, 8)))
    assert len(crowded) == 1 + 1 + 2 + 2 + 5
    fig = figures.all_spectra(crowded, width=8)
    assert fig.axes[0].get_title() == "FC-8-1 on binary digits, end of training: 11 spectra"


def test_kfac_figure_draws_top_k():
    fig = figures.kfac_vs_hessian(_snapshot(), seed=0)
    left, right = fig.axes[:2]
    assert all(len(line.get_xdata()) == TOP_K for line in right.lines)
    assert right.get_ylabel() == r"$|\cos(u_i^H, v_i)|$" and left.get_xlabel() == "|Hessian eigenvalue|"


def test_student_and_bound_figures():
    import torch

    figures.flat_vs_sloppy({c: _spectrum(300, 0.01) for c in FLAT["cs"]})
    table = pd.DataFrame([dict(c=c, width=w, seed=s, train_error=0.1, test_error=0.2 + s / 10)
                          for c in (0.001, 0.1) for w in (10, 40) for s in (0, 1)])
    fig = figures.sweep_errors(table)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["teacher T(20), test error", "teacher T(20), training error"]
    sweep = dict(data={c: (torch.randn(50, 6), None, None, None) for c in FLAT["cs"]})
    trained = {(c, when): _spectrum(300, 0.02) for c in FLAT["cs"] for when in ("init", "end")}
    fig = figures.trained_students(sweep, trained, 30)
    assert len(fig.axes[0].lines) == 3 * len(FLAT["cs"]) and fig.axes[0].get_title() == "width-10 student"
    result = dict(hessian_eigenvalues=_spectrum(50)[::-1], threshold=1e-3, elbow_eigenvalue=1e-2, p_eff=7)
    fig = figures.hessian_thresholds({"FC-1 digits": result, "FC-1 synthetic": result})
    assert fig.axes[1].get_title() == "FC-1 synthetic: p(n, eps) = 7" and fig.axes[0].get_ylabel() == "eigenvalue"
    fig = figures.random_labels({0.0: _spectrum(40), 1.0: _spectrum(40, 0.1)})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["0% random labels", "100% random labels"]
