"""Tests of netsim.metrics.tasks: imprinting (eq. 3.2.1, 3.5.4, 3.5.5), per-class progress,
mean trajectories and tube radii (eq. 3.5.6), the normalised tube distance (Remark 3.3.3)
and Riemann lengths (STUDIES_THESIS.md B.1)."""
import numpy as np
import pytest

from netsim.metrics import (
    Tube,
    bhattacharyya,
    geodesic_distance,
    geodesic_interpolate,
    ignorance,
    imprint,
    imprinted_probs,
    mean_trajectory,
    normalised_distance,
    per_class_progress,
    per_class_progress_many,
    progress,
    progress_grid,
    progress_many,
    reindex_by_progress,
    riemann_length,
    trajectory_length,
    truth,
    tube,
    tube_radius,
    tube_widths,
)

pytestmark = pytest.mark.usefixtures("one_thread")

C, N, D = 4, 40, 6
LABELS = np.repeat(np.arange(C), N // C)


def _features(seed=0, n=N):
    """Class-dependent features: a class direction plus noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(C, D)) * 2
    labels = LABELS if n == N else np.arange(n) % C
    return centres[labels] + rng.normal(size=(n, D)), labels


# ---------------------------------------------------------------------------------
# Imprinting
# ---------------------------------------------------------------------------------
def test_imprinted_probabilities_are_invariant_to_orthogonal_maps_only():
    rng = np.random.default_rng(1)
    F, _ = _features(0)
    F_eval, _ = _features(5, n=24)  # another split evaluated with the same head
    U, _ = np.linalg.qr(rng.normal(size=(D, D)))
    assert np.allclose(U @ U.T, np.eye(D), atol=1e-13)
    for X in (F, F_eval):
        P = imprinted_probs(X, imprint(F, LABELS, C))
        P_rot = imprinted_probs(X @ U.T, imprint(F @ U.T, LABELS, C))
        assert np.abs(P - P_rot).max() < 1e-12
        assert bhattacharyya(P, P_rot) < 1e-12
    A = np.eye(D) + 0.5 * rng.normal(size=(D, D))  # invertible, not orthogonal
    P = imprinted_probs(F, imprint(F, LABELS, C))
    P_lin = imprinted_probs(F @ A.T, imprint(F @ A.T, LABELS, C))
    assert np.abs(P - P_lin).max() > 1e-2 and bhattacharyya(P, P_lin) > 1e-4


def test_imprinted_rows_are_the_normalised_class_sums_and_maximise_the_class_score():
    F, _ = _features(2)
    head = imprint(F, LABELS, C)
    assert head.shape == (C, D) and np.allclose(np.linalg.norm(head, axis=1), 1.0)
    rng = np.random.default_rng(3)
    W = rng.normal(size=(2000, D))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    for c in range(C):
        h = F[LABELS == c].sum(axis=0)
        assert np.allclose(head[c], h / np.linalg.norm(h), atol=1e-14)
        best = F[LABELS == c] @ head[c]  # per-sample scores w . phi(x)
        assert best.sum() == pytest.approx(np.linalg.norm(h), rel=1e-12)  # closed-form maximum
        assert (W @ F[LABELS == c].T).sum(axis=1).max() < best.sum()
        w = head[c] + 0.05 * rng.normal(size=D)
        assert (F[LABELS == c] @ (w / np.linalg.norm(w))).sum() < best.sum()


def test_imprinted_probs_are_numerically_stable_for_large_features():
    F, _ = _features(4)
    head = imprint(F, LABELS, C)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        P = imprinted_probs(1e4 * F, head)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)
    assert np.array_equal(P.argmax(axis=1), (F @ head.T).argmax(axis=1))
    # no bias: the logits are exactly features @ head.T
    logits = F @ head.T
    ref = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(imprinted_probs(F, head), ref, atol=1e-14)


def test_imprint_errors_name_the_argument():
    F, _ = _features(0)
    missing = np.where(LABELS == 2, 1, LABELS)
    with pytest.raises(ValueError, match=r"labels has no samples of class\(es\) \[2\]"):
        imprint(F, missing, C)
    bad = F.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="features contains NaN"):
        imprint(bad, LABELS, C)
    with pytest.raises(ValueError, match="features contains NaN"):
        imprinted_probs(bad, imprint(F, LABELS, C))
    with pytest.raises(ValueError, match="head contains NaN"):
        imprinted_probs(F, np.full((C, D), np.nan))
    with pytest.raises(ValueError, match="features must be a 2-D"):
        imprint(F[:, 0], LABELS, C)
    with pytest.raises(ValueError, match="share the feature dimension"):
        imprinted_probs(F, np.ones((C, D + 1)))
    with pytest.raises(ValueError, match="labels must have one label per sample"):
        imprint(F, LABELS[:-1], C)
    cancel = F.copy()
    idx = np.flatnonzero(LABELS == 1)
    cancel[idx[1::2]] = -cancel[idx[::2]]  # class 1's features sum to zero
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] are zero"):
        imprint(cancel, LABELS, C)


# ---------------------------------------------------------------------------------
# Per-class progress
# ---------------------------------------------------------------------------------
def test_per_class_progress_of_truth_and_ignorance_and_on_class_subsets():
    assert np.array_equal(per_class_progress(truth(LABELS, C), LABELS), np.ones(C))
    assert np.array_equal(per_class_progress(ignorance(N, C), LABELS), np.zeros(C))
    rng = np.random.default_rng(6)
    # class c is pushed towards the truth by a class-dependent amount
    P = rng.dirichlet(np.ones(C), size=N)
    mix = np.linspace(0.1, 0.7, C)[LABELS][:, None]
    P = (1 - mix) * P + mix * truth(LABELS, C)
    t = per_class_progress(P, LABELS, num_classes=C)
    for c in range(C):
        at = LABELS == c
        assert t[c] == pytest.approx(progress(P[at], LABELS[at]), abs=1e-12)
    assert np.all(np.diff(t) > 0)  # more mass on the truth, more progress
    P_many = np.stack([P, truth(LABELS, C), ignorance(N, C)])
    many = per_class_progress_many(P_many, LABELS)
    assert many.shape == (3, C)
    assert np.allclose(many[0], t, atol=1e-12) and np.all(many[1] == 1) and np.all(many[2] == 0)


def test_per_class_progress_errors_name_the_argument():
    P = ignorance(N, C)
    with pytest.raises(ValueError, match=r"labels has no samples of class\(es\) \[0, 3\]"):
        per_class_progress(P, np.where(LABELS % 3 == 0, 1, LABELS))
    with pytest.raises(ValueError, match="rows of P must sum to 1"):
        per_class_progress(2 * P, LABELS)
    with pytest.raises(ValueError, match="P contains NaN"):
        per_class_progress(np.full((N, C), np.nan), LABELS)
    with pytest.raises(ValueError, match="num_classes = 5 does not match"):
        per_class_progress(P, LABELS, num_classes=5)
    with pytest.raises(ValueError, match=r"P must be a 3-D array of shape \(m, N, C\)"):
        per_class_progress_many(P, LABELS)


# ---------------------------------------------------------------------------------
# Mean trajectory, tube radius, normalised distance
# ---------------------------------------------------------------------------------
def _table(a, b, c, e):
    """Per sample: truth a, the next two classes b and c, the last class e (C = 4)."""
    Q = np.empty((N, C))
    for n, y in enumerate(LABELS):
        Q[n, [y, (y + 1) % C, (y + 2) % C, (y + 3) % C]] = a, b, c, e
    return Q


def _swap(P):
    """Swap the classes y+1 and y+2 of every sample y: progress is unchanged."""
    out = P.copy()
    n = np.arange(N)
    j, k = (LABELS + 1) % C, (LABELS + 2) % C
    out[..., n, j], out[..., n, k] = P[..., n, k], P[..., n, j]
    return out


def _mixing(Q, T=9):
    """Straight mixtures (1 - t) ignorance + t Q, t in [0, 1]."""
    t = np.linspace(0, 1, T)[:, None, None]
    return (1 - t) * ignorance(N, C) + t * Q


def test_identical_trajectories_have_zero_radius_and_are_their_own_mean():
    traj = _mixing(_table(0.7, 0.15, 0.1, 0.05))
    grid = np.linspace(0, 0.3, 7)
    mean, valid = mean_trajectory([traj, traj.copy(), traj.copy()], LABELS, grid)
    assert valid.all() and mean.shape == (7, N, C)
    assert np.allclose(mean, reindex_by_progress(traj, LABELS, grid)[0], atol=1e-14)
    assert np.abs(tube_radius([traj, traj.copy()], LABELS, grid)).max() < 1e-14


def test_two_mirror_trajectories_have_the_known_mean_and_radius():
    a, b, c, e = 0.6, 0.25, 0.1, 0.05
    A = _mixing(_table(a, b, c, e))
    B = _swap(A)
    s = progress_many(A, LABELS)
    assert np.all(np.diff(s) > 0) and np.allclose(progress_many(B, LABELS), s, atol=1e-12)
    grid = np.append(s, min(1.0, s[-1] + 0.1))  # the checkpoints, plus one point beyond them
    t = tube([A, B], LABELS, grid)
    assert isinstance(t, Tube) and t.valid[:-1].all() and not t.valid[-1]
    assert np.isnan(t.mean[-1]).all() and np.isnan(t.radius[-1])
    assert np.allclose(t.mean[:-1], (A + B) / 2, atol=1e-12)
    # closed form per checkpoint: every sample has the same pattern (a_t, b_t, c_t, e_t)
    w = np.linspace(0, 1, len(s))
    ak, bk, ck, ek = ((1 - w) / C + w * v for v in (a, b, c, e))
    m = (bk + ck) / 2
    expected = -np.log(ak + ek + np.sqrt(bk * m) + np.sqrt(ck * m))
    assert np.allclose(t.radius[:-1], expected, rtol=1e-9, atol=1e-15)
    assert expected[-1] > 1e-3


def test_tube_radius_is_the_largest_tube_width():
    rng = np.random.default_rng(7)
    trajs = [_mixing(0.5 * rng.dirichlet(np.ones(C), size=N) + 0.5 * truth(LABELS, C), T=6)
             for _ in range(3)]
    grid = progress_grid(11)
    r = tube_radius(trajs, LABELS, grid)
    g, widths = tube_widths(trajs, LABELS, num_points=11)
    covered = np.isin(grid, g)
    assert np.allclose(r[covered], widths.max(axis=0), atol=1e-14)
    assert np.isnan(r[~covered]).all() and covered.sum() >= 3 and (r[covered][1:] > 0).all()


def test_normalised_distance_below_one_for_overlapping_above_one_for_separated_tubes():
    grid = np.linspace(0, 0.5, 11)
    A = _mixing(_table(0.6, 0.22, 0.12, 0.06))
    tubes_1 = [A, _swap(A)]
    # a mirror pair whose mean is shifted by less than the radii: overlapping
    B = _mixing(_table(0.6, 0.19, 0.12, 0.09))
    tubes_2 = [B, _swap(B)]
    # wrong mass on the last class instead, small mirror asymmetry: well separated
    F = _mixing(_table(0.6, 0.06, 0.05, 0.29))
    tubes_3 = [F, _swap(F)]
    rho_same = normalised_distance(tubes_1, tubes_2, LABELS, grid)
    rho_far = normalised_distance(tubes_1, tubes_3, LABELS, grid)
    ok = ~np.isnan(rho_same)
    assert np.isnan(rho_same[0]) and np.isnan(rho_far[0])  # progress 0: all at ignorance, 0/0
    assert ok.sum() >= 5 and np.all((rho_same[ok] > 0.2) & (rho_same[ok] < 1))
    # moving the second tube's centre further away increases rho at every progress
    B_further = _mixing(_table(0.6, 0.18, 0.12, 0.1))
    rho_further = normalised_distance(tubes_1, [B_further, _swap(B_further)], LABELS, grid)
    both = ok & ~np.isnan(rho_further)
    assert both.sum() >= 5 and np.all(rho_further[both] > rho_same[both])
    ok_far = ~np.isnan(rho_far)
    assert ok_far.sum() >= 3 and np.all(rho_far[ok_far] > 1)
    # symmetric in the two tasks, equal to the formula, and reusable precomputed tubes
    t1, t3 = tube(tubes_1, LABELS, grid), tube(tubes_3, LABELS, grid)
    assert np.allclose(normalised_distance(t3, tubes_1, LABELS, grid), rho_far, equal_nan=True)
    assert np.allclose(normalised_distance(t1, t3, LABELS, grid), rho_far, equal_nan=True)
    g = np.flatnonzero(ok_far)[1]
    d = bhattacharyya(t1.mean[g], t3.mean[g])
    assert rho_far[g] == pytest.approx(2 * d / (t1.radius[g] + t3.radius[g]), rel=1e-12)
    # outside the progress range of the tubes: undefined
    beyond = grid > min(progress_many(A, LABELS).max(), progress_many(F, LABELS).max())
    assert beyond.any() and np.isnan(rho_far[beyond]).all()


def test_tube_errors_name_the_argument():
    A = _mixing(_table(0.6, 0.22, 0.12, 0.06))
    bad = A.copy()
    bad[2, 0, 0] = np.nan
    grid = np.linspace(0, 0.3, 4)
    with pytest.raises(ValueError, match=r"trajs\[1\] contains NaN"):
        tube_radius([A, bad], LABELS, grid)
    with pytest.raises(ValueError, match=r"trajs2\[0\] contains NaN"):
        normalised_distance([A], [bad], LABELS, grid)
    with pytest.raises(ValueError, match=r"rows of trajs1\[0\] must sum to 1"):
        normalised_distance([2 * A], [A], LABELS, grid)
    with pytest.raises(ValueError, match="trajs1 is empty"):
        normalised_distance([], [A], LABELS, grid)
    with pytest.raises(ValueError, match="wrap a single trajectory"):
        mean_trajectory(A, LABELS, grid)
    with pytest.raises(ValueError, match="grid must be an increasing"):
        mean_trajectory([A], LABELS, grid[::-1])
    with pytest.raises(ValueError, match="different grid"):
        normalised_distance(tube([A], LABELS, grid), [A], LABELS, grid[:3])


# ---------------------------------------------------------------------------------
# Riemann length
# ---------------------------------------------------------------------------------
def test_length_of_a_sampled_geodesic_is_the_geodesic_distance_and_refinement_invariant():
    rng = np.random.default_rng(8)
    p, q = rng.dirichlet(np.ones(C), size=N), rng.dirichlet(np.full(C, 0.5), size=N)
    d = geodesic_distance(p, q)
    for T in (2, 5, 33):
        path = geodesic_interpolate(p, q, np.linspace(0, 1, T))
        assert trajectory_length(path) == pytest.approx(d, rel=1e-9)
        assert trajectory_length(path) == riemann_length(path)
    # sqrt(2 d_B) steps converge to the root-mean-square per-sample angle from above
    theta = np.arccos(np.clip(np.sqrt(p * q).sum(axis=1), 0, 1))
    rms = np.sqrt(np.mean(theta**2))
    lengths = [trajectory_length(geodesic_interpolate(p, q, np.linspace(0, 1, T)), step="sqrt_2db")
               for T in (2, 9, 65, 513)]
    assert np.all(np.diff(lengths) < 0) and lengths[-1] == pytest.approx(rms, rel=1e-4)
    assert rms > d  # non-uniform angles: RMS > mean


def test_length_is_additive_and_grows_under_refinement():
    rng = np.random.default_rng(9)
    traj = rng.dirichlet(np.ones(C), size=(6, N))
    for step in ("geodesic", "sqrt_2db"):
        total = trajectory_length(traj, step=step)
        assert total == pytest.approx(trajectory_length(traj[:4], step=step)
                                      + trajectory_length(traj[3:], step=step), rel=1e-12)
    # inserting geodesic midpoints keeps the d_G length; a detour lengthens it
    mids = [geodesic_interpolate(traj[k], traj[k + 1], 0.5) for k in range(5)]
    refined = np.stack([x for k in range(5) for x in (traj[k], mids[k])] + [traj[5]])
    assert trajectory_length(refined) == pytest.approx(trajectory_length(traj), rel=1e-9)
    detour = refined.copy()
    detour[1] = rng.dirichlet(np.ones(C), size=N)
    assert trajectory_length(detour) > trajectory_length(traj)
    with pytest.raises(ValueError, match="step must be one of"):
        trajectory_length(traj, step="euclidean")


def test_tube_from_reindexed_equals_tube_and_accepts_repeats():
    """Building a tube from pre-reindexed runs gives the same mean and radius; a repeated run counts twice."""
    from netsim.metrics import progress_grid, reindex_many, tube, tube_from_reindexed

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 12)
    truth = np.eye(3)[labels]
    trajs = []
    for _ in range(3):
        t = np.linspace(0, 1, 6)[:, None, None]
        noise = rng.dirichlet(np.ones(3), size=12)[None]
        trajs.append((1 - t) * (0.5 * noise + 0.5 / 3) + t * (0.9 * truth + 0.1 / 3))
    grid = progress_grid(20)
    R, valid = reindex_many(trajs, labels, grid)
    direct, rebuilt = tube(trajs, labels, grid), tube_from_reindexed(R, valid, grid)
    np.testing.assert_allclose(rebuilt.radius, direct.radius, equal_nan=True)
    np.testing.assert_allclose(rebuilt.mean, direct.mean, equal_nan=True)
    twice = tube_from_reindexed(R[[0, 0, 1]], valid[[0, 0, 1]], grid)
    np.testing.assert_allclose(twice.mean, tube([trajs[0], trajs[0], trajs[1]], labels, grid).mean, equal_nan=True)
    with pytest.raises(ValueError, match="R must be"):
        tube_from_reindexed(R[0], valid, grid)
