"""Tests of netsim.studies.training_manifold (study 4): configurations, analyses, claims."""
import numpy as np
import pandas as pd
import pytest

from netsim import metrics
from netsim.profiles import resolve
from netsim.studies import training_manifold as tm
from netsim.train import TrainConfig, Trajectory


@pytest.fixture(scope="module")
def book():
    return resolve(tm.PROFILE, "book")


def test_every_profile_has_the_same_knobs():
    keys = {p: set(v) for p, v in tm.PROFILE.items()}
    assert keys["smoke"] == keys["book"] == keys["paper"]


def test_grid_is_the_full_product_with_thesis_learning_rates(book):
    grid = tm.grid_configs(book)
    n = len(book.models) * len(book.optimizers) * len(book.batch_sizes) * len(book.weight_decays) \
        * len(book.augmentations) * book.seeds
    assert len(grid) == n == len({c for c in map(repr, grid)})
    for c in grid:
        assert c.lr == pytest.approx(tm.LR_PER_SAMPLE[c.optimizer] * c.batch_size)
        assert c.weight_decay in (0.0, tm.WEIGHT_DECAY[c.optimizer])
        assert c.bn_warmup_batches > 0


def test_corners_follow_from_their_corner(book):
    corners, follows, normals = tm.corner_configs(book)
    assert len(corners) == len(follows) == book.corner_tasks
    assert all(c.random_labels and c.save_weights and c.train_size == 1000 for c in corners)
    assert [f.init_from for f in follows] == [c.key_dict() for c in corners]
    assert TrainConfig(**follows[0].init_from) == corners[0]
    assert not any(n.random_labels or n.init_from for n in normals)


def test_synthetic_grid_uses_both_depths_and_the_spectrum(book):
    configs = tm.synthetic_configs(book, 0.5)
    assert len(configs) == book.synthetic_students * book.synthetic_seeds
    assert {tuple(c.model_options["widths"]) for c in configs} == {(512,), (512, 512)}
    assert all(c.dataset == "sloppy_gaussian" and c.dataset_options["c"] == 0.5 for c in configs)


def test_all_claims_are_declared_in_order_and_identities_are_checks():
    reg = tm.declare_claims()
    checks = ["A3", "A4", "A21"]
    assert [c.id for c in reg.claims] == [f"A{i}" for i in range(1, 22) if f"A{i}" not in checks]
    assert [c.id for c in reg.checks] == checks


def test_remark_221_confident_model_progress():
    assert tm.confident_model_progress(0.68) == pytest.approx(1.0)
    assert 0.68 < tm.thesis_bound(10) < 0.69
    assert tm.confident_model_progress(0.9) < 1.0  # beyond the tight bound sqrt(C-1)/(1+sqrt(C-1)) = 0.75


def test_config_distance_matrix_averages_over_seeds():
    D = np.array([[0, 1, 4, 4], [1, 0, 6, 6], [4, 6, 0, 2], [4, 6, 2, 0]], float)
    out = tm.config_distance_matrix(D, [0, 0, 1, 1])
    assert np.allclose(out, [[1, 5], [5, 2]])


def test_config_permanova_finds_the_factor_that_sets_the_distance():
    rng = np.random.default_rng(0)
    table = pd.DataFrame([dict(model=m, optimizer=o, batch=b, weight_decay=w, augmentation=False)
                          for m in ("mlp", "cnn", "res") for o in ("sgd", "adam") for b in (32, 64) for w in (False, True)])
    place = table["model"].map({"mlp": 0.0, "cnn": 3.0, "res": 6.0}).to_numpy() + 0.3 * rng.normal(size=len(table))
    D = np.abs(place[:, None] - place[None])
    out = tm.config_permanova(D, table, permutations=199)
    assert out.loc["model", "p_value"] <= 0.01 and out.loc["optimizer", "p_value"] > 0.05
    assert out.loc["optimizer", "within"] == "architectures"


def test_off_manifold_composition_is_p_group_given_off():
    comp = tm.off_manifold_composition(np.array([0.5, 2.5, 3.0, 1.0, 2.2]), ["a", "a", "b", "b", "b"])
    assert comp.to_dict() == {"a": pytest.approx(1 / 3), "b": pytest.approx(2 / 3)}


def test_centroid_difference_is_a_paired_bootstrap_of_the_error_gap():
    from types import SimpleNamespace

    labels = np.arange(200) % 2
    good = np.where(labels[:, None] == np.arange(2), 0.9, 0.1)  # right on every sample
    runs = [SimpleNamespace(probs={"test": good[None]}, labels={"test": labels}) for _ in range(3)]
    est = tm.centroid_difference(runs, n_resamples=50)
    assert est.value == 0.0 and est.low == est.high == 0.0  # identical centroids: no difference, no width

def test_weight_pca_of_isotropic_weights_is_not_low_dimensional():
    shares = tm.weight_pca_explained(np.random.default_rng(0).standard_normal((8, 500)), k=2)
    assert len(shares) == 6 and shares[-1] < 0.5 and shares[0] == pytest.approx(1.0)


def _fake_trajectory(seed, T=4, N=30, C=3):
    rng = np.random.default_rng(seed)
    labels = np.arange(N) % C
    probs = rng.dirichlet(np.ones(C), size=(T, N)).astype(np.float32)
    zeros = np.zeros(T)
    return Trajectory(TrainConfig(seed=seed), np.arange(T), np.arange(T) / 2.0, {"test": probs},
                      {"test": labels}, {"test": zeros}, {"test": zeros})


def test_centroid_errors_cover_every_kind_and_checkpoint():
    out = tm.centroid_errors([_fake_trajectory(s) for s in range(3)])
    assert len(out) == 4 * len(metrics.CENTROIDS)
    assert out["error"].between(0, 1).all()


def test_subset_embedding_of_all_samples_is_the_embedding():
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.full(4, 0.5), size=(12, 40))
    labels = np.arange(40) % 4
    D = metrics.pairwise_bhattacharyya(P)
    full = metrics.inpca(D, n_components=10)
    epd = metrics.explained_pairwise_distance(D, full.coords, full.signature)
    assert tm.subset_embedding_epd(P, labels, D, 40) == pytest.approx(epd)
    assert tm.subset_embedding_epd(P, labels, D, 5) < epd


def test_joint_embedding_of_identical_splits_equals_the_test_embedding():
    P = np.random.default_rng(2).dirichlet(np.full(4, 0.5), size=(12, 40))
    projected, independent, _, _ = tm.joint_embedding_epd(P, P, k=5)
    assert projected == pytest.approx(independent)


def test_synthetic_students_are_a_spread_subset():
    smoke = resolve(tm.PROFILE, "smoke")
    configs = tm.synthetic_configs(smoke, 0.001)
    assert len(configs) == smoke.synthetic_students
    assert len({tuple(c.model_options["widths"]) for c in configs}) == 2  # both depths


def test_augmented_runs_complete_the_grid_without_duplicates(book):
    extra = tm.augmented_configs(book)
    grid = {repr(c) for c in tm.grid_configs(book)}
    assert len(extra) == len(book.models) * len(book.augmented_optimizers) * book.seeds
    assert all(c.augmentation == "shift_noise" and c.weight_decay == 0 and c.batch_size == book.batch_sizes[0]
               for c in extra)
    assert not grid & {repr(c) for c in extra}
    # The paper grid already crosses augmentation with everything: nothing to add.
    assert tm.augmented_configs(resolve(tm.PROFILE, "paper", augmented_optimizers=("sgd",))) == []
    tubes = tm.augmented_tube_configs(book)
    assert set(tubes) == set(book.augmented_tubes)
    plain, augmented = tubes["allcnn"]
    assert plain == tm.tube_configs(book)  # the cached tube runs serve as the plain tube
    assert [c.replace(augmentation=None, save_weights=True) for c in augmented] == plain


def test_synthetic_corners_offset_a_standard_initialisation(book):
    configs = tm.synthetic_corner_configs(book, 0.5)
    assert len(configs) == book.synthetic_corners * book.corner_inits * 2
    assert sorted({c.init_offset for c in configs}) == [(k, 1.0) for k in range(book.synthetic_corners)]
    assert len({(c.init_offset, c.seed, c.optimizer) for c in configs}) == len(configs)


def _fake_corner_runs(corners=3, per_corner=4, T=5, N=40, C=4, spread=1.0):
    """Runs that start at distinct corners and move towards one shared final model."""
    rng = np.random.default_rng(0)
    labels = np.arange(N) % C
    end = rng.dirichlet(np.ones(C), size=N)
    runs = []
    for k in range(corners):
        start = np.eye(C)[rng.integers(0, C, N)] * 0.96 + 0.01
        for j in range(per_corner):
            noise = rng.dirichlet(np.ones(C), size=N)
            w = np.linspace(0, 1, T)[:, None, None] ** spread
            probs = (1 - w) * (0.9 * start + 0.1 * noise) + w * end
            cfg = TrainConfig(seed=j, init_offset=(k, 1.0))
            zeros = np.zeros(T)
            runs.append(Trajectory(cfg, np.arange(T) * 10, np.arange(T) / 2.0, {"train": probs}, {"train": labels},
                                   {"train": zeros}, {"train": zeros}))
    return runs


def test_corner_analyses_on_synthetic_runs():
    runs = _fake_corner_runs()
    stress = tm.corner_embedding_stress(runs, corner_counts=(1, 2, 3, 7))
    assert set(stress) == {1, 2, 3} and all(0 < v <= 1 for v in stress.values())
    frac, ratio = tm.corner_convergence(runs)
    assert frac[0] == 0 and frac[-1] == 1 and ratio[0] == pytest.approx(1.0) and ratio[-1] < 1e-6
    slow = tm.corner_convergence(_fake_corner_runs(spread=3.0))[1]
    assert np.all(slow[1:-1] > ratio[1:-1])  # later convergence, larger ratio
    stress0, eig = tm.slice_stress(runs, 0)
    assert len(eig) == len(runs) and 0 < stress0 <= 1
    with pytest.raises(ValueError, match="same corner"):
        tm.corner_convergence(runs[:4])


def test_augmentation_tube_effect_compares_late_widths():
    rng = np.random.default_rng(3)
    N, C, T = 50, 4, 8
    labels = np.arange(N) % C

    def tube(noise, seeds=3):
        out = []
        for s in range(seeds):
            a = np.linspace(0, 1, T)[:, None, None]
            target = np.eye(C)[labels] * 0.9 + 0.025
            p = (1 - a) * 0.25 + a * target
            p = p * np.exp(noise * a * rng.standard_normal((T, N, C)))
            p /= p.sum(-1, keepdims=True)
            out.append(Trajectory(TrainConfig(seed=s), np.arange(T), np.arange(T) / 1.0, {"train": p},
                                  {"train": labels}, {"train": np.zeros(T)}, {"train": np.zeros(T)}))
        return out

    effect = tm.augmentation_tube_effect(tube(0.05), tube(0.5), num_points=20)
    assert effect["late_ratio"] > 2 and effect["widths_plain"].shape[0] == 3
    assert effect["range"][0] < effect["range"][1]


def test_off_manifold_fraction_by_group():
    out = tm.off_manifold_fraction(np.array([0.5, 2.5, 3.0, 1.0]), ["a", "a", "b", "b"])
    assert out.to_dict() == {"a": 0.5, "b": 0.5}


def test_a9_and_a19_have_parts():
    reg = tm.declare_claims()
    by_id = {c.id: c for c in reg.claims}
    assert [name for name, _ in by_id["A9"].test.parts] == ["tube / nearest configuration", "augmentation"]
    assert len(by_id["A19"].test.parts) == 4


def test_slice_runs_are_two_steps_of_one_corner(book):
    configs = tm.synthetic_slice_configs(book, 0.5)
    assert len(configs) == 4 * book.corner_inits == len({c.seed for c in configs})
    assert {c.init_offset for c in configs} == {(0, 1.0)} and {c.optimizer for c in configs} == {"sgd"}
    steps_per_epoch = -(-tm.SYNTHETIC["n_train"] // configs[0].batch_size)
    assert all(round(c.epochs * steps_per_epoch) == 2 for c in configs)


def test_weight_share_excess_is_zero_for_isotropic_and_large_for_a_path():
    rng = np.random.default_rng(3)
    iso, null = tm.weight_share_excess(rng.normal(size=(6, 400)), draws=100)
    assert abs(iso.value) < 0.15 and iso.low <= iso.value <= iso.high and null.shape == (100,)
    t = np.linspace(0, 1, 6)[:, None]
    path = np.hstack([t, t ** 2, np.zeros((6, 398))]) * 10 + 0.01 * rng.normal(size=(6, 400))
    excess, _ = tm.weight_share_excess(path, draws=100)
    assert excess.low > 0.3  # a curve in two directions is low-dimensional


def test_tube_against_nearest_compares_seeds_with_the_closest_other_configuration():
    from types import SimpleNamespace

    from netsim.train import TrainConfig

    labels = np.arange(90) % 3
    start, end = metrics.ignorance(90, 3), metrics.truth(labels, 3)

    def run(cfg, shift, seed):
        rng = np.random.default_rng(seed)
        path = metrics.geodesic_interpolate(start, end, np.linspace(0, 0.9, 10))
        noisy = path * np.exp(shift + 0.02 * rng.normal(size=path.shape))
        noisy /= noisy.sum(-1, keepdims=True)
        return SimpleNamespace(config=cfg, probs={"train": noisy}, labels={"train": labels})

    tube_cfg, other = TrainConfig(lr=0.1), TrainConfig(lr=0.2)
    tube = [run(tube_cfg.replace(seed=s), 0.0, s) for s in range(6)]
    far = [run(other.replace(seed=s), 0.3 * np.random.default_rng(99).normal(size=(1, 90, 3)), 10 + s)
           for s in range(2)]
    out = tm.tube_against_nearest(tube, far + tube[:1], window=(0.05, 0.6), num_points=10)
    assert out["configurations"] == 1  # the tube's own configuration is left out
    assert out["ratio"] < out["null_ratio"] and 0.5 < out["null_ratio"] < 1.5


def test_four_point_alignment_keeps_the_models_asked_and_reports_its_effective_sizes():
    labels = np.arange(80) % 4
    s = np.linspace(0.02, 0.95, 30)
    probs = metrics.geodesic_interpolate(metrics.ignorance(80, 4), metrics.truth(labels, 4), s)
    D = metrics.pairwise_bhattacharyya(probs)
    keep = s < 0.9
    out = tm.four_point_alignment(probs, labels, D, metrics.progress_many(probs, labels), keep=keep)
    assert out["kept"] == keep.sum() and out["aligned"].shape == (keep.sum(), 3)
    assert out["progress_range"][1] < 0.9 and set(out["ess"]) == {0.2, 0.8}
    assert all(v >= 1 for v in out["ess"].values())
    assert out["epd_gap"] == pytest.approx(out["epd_basis"] - out["epd_topk"]) and out["epd_basis"] > 0.9


def test_explained_variance_of_points_in_a_plane_and_the_late_spread_ratio():
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=(40, 2)) * [3.0, 1.0], 0.1 * rng.normal(size=(40, 3))]
    D_sq = ((x[:, None] - x[None]) ** 2).sum(-1)
    emb = metrics.inpca(D_sq, n_components=5)  # InPCA of squared Euclidean distances is classical MDS
    assert tm.explained_variance(D_sq, emb.eigenvalues, 5) == pytest.approx(1.0, abs=1e-9)
    assert tm.explained_variance(D_sq, emb.eigenvalues, 2) > 0.95
    late = np.arange(40) < 10
    crowded = D_sq.copy()
    crowded[np.ix_(late, late)] *= 0.25
    assert 0.25 < tm.late_spread_ratio(crowded, D_sq, late) < 0.3  # the crowding also lowers the overall mean a little
    with pytest.raises(ValueError, match="late"):
        tm.late_spread_ratio(D_sq, D_sq, np.arange(40) < 1)


def test_rejoin_ratio_is_small_when_corner_runs_end_where_normal_runs_end():
    from types import SimpleNamespace

    labels = np.arange(50) % 5
    truth_like = metrics.geodesic_interpolate(metrics.ignorance(50, 5), metrics.truth(labels, 5), np.array([0.9]))[0]
    corner = np.roll(truth_like, 1, axis=1)  # confident and wrong
    run = lambda first: SimpleNamespace(probs={"train": np.stack([first, truth_like])})  # noqa: E731
    out = tm.rejoin_ratio([run(corner)], [run(metrics.ignorance(50, 5)), run(metrics.ignorance(50, 5))])
    assert out["ratio"] < 1e-6 and out["start"] > 0.1 and out["normal_spread"] < 1e-9
