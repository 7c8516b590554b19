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


def test_all_claims_are_declared_in_order():
    reg = tm.declare_claims()
    assert [c.id for c in reg.claims] == [f"A{i}" for i in range(1, 22)]


def test_remark_221_confident_model_progress():
    assert tm.confident_model_progress(0.68) == pytest.approx(1.0)
    assert 0.68 < tm.thesis_bound(10) < 0.69
    assert tm.confident_model_progress(0.9) < 1.0  # beyond the tight bound sqrt(C-1)/(1+sqrt(C-1)) = 0.75


def test_config_distance_matrix_averages_over_seeds():
    D = np.array([[0, 1, 4, 4], [1, 0, 6, 6], [4, 6, 0, 2], [4, 6, 2, 0]], float)
    out = tm.config_distance_matrix(D, [0, 0, 1, 1])
    assert np.allclose(out, [[1, 5], [5, 2]])


def test_forest_importance_finds_the_factor_that_sets_the_distance():
    table = pd.DataFrame([dict(model=m, optimizer=o, batch=64, weight_decay=w, augmentation=False)
                          for m in "abcd" for o in "xy" for w in (False, True)])
    codes = table["model"].astype("category").cat.codes.to_numpy()
    rng = np.random.default_rng(0)
    D = np.abs(codes[:, None] - codes[None, :]).astype(float) + 0.01 * rng.random((16, 16))
    D = (D + D.T) / 2
    result = tm.forest_importance(D, table, permutations=4)
    assert result.index[0] == "model"
    assert result.loc["model", "p_value"] == pytest.approx(1 / 5)


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
