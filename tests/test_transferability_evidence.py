"""Study 8's statistics against the library's scalar scores, closed forms and brute force; its design's
roles and splits; the cached attack record on two tiny trained models."""
import numpy as np
import pytest

from netsim.metrics.transfer import EPS_S, one_sided_similarity, similarity_matrix
from netsim.studies.transferability import design, evidence as E


def _record(M=4, N=60, seed=0, accuracy=0.8):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, N)
    clean = np.where(rng.random((M, N)) < accuracy, y, (y + 1) % 10)
    on_adv = np.where(rng.random((M, M, N)) < 0.6, (y + 2) % 10, y)
    on_random = np.where(rng.random((M, N)) < 0.05, (y + 3) % 10, clean)
    return {"y": y, "clean": clean, "on_adv": on_adv, "on_random": on_random, "box": np.zeros(M)}


def test_similarity_matrix_equals_the_library_matrix_and_the_bootstrap_reindexes():
    r = _record()
    names = list("abcd")
    clean = dict(zip(names, r["clean"]))
    on_adv = {a: {v: r["on_adv"][i, j] for j, v in enumerate(names)} for i, a in enumerate(names)}
    np.testing.assert_allclose(E.similarity(r), similarity_matrix(r["y"], clean, on_adv), atol=1e-12)
    idx = np.random.default_rng(1).integers(0, 60, 60)
    np.testing.assert_allclose(E.similarity(r, idx), similarity_matrix(r["y"], clean, on_adv, index=idx), atol=1e-12)
    draws = E.bootstrap_similarities(r, 5, seed=2)
    assert draws.shape == (5, 4, 4) and np.allclose(draws, draws.transpose(0, 2, 1), equal_nan=True)


def test_similarity_is_nan_for_an_empty_pair_and_floored_at_eps_s():
    r = _record(M=3)
    r["clean"][2] = (r["y"] + 5) % 10  # model 2 gets nothing right
    r["on_adv"][0, 1] = r["y"]  # nobody fooled between 0 and 1
    r["on_adv"][1, 0] = r["y"]
    S = E.similarity(r)
    assert np.isnan(S[2]).all() and np.isnan(S[:, 2]).all()
    assert S[0, 1] == pytest.approx(np.log(EPS_S))


def test_self_attack_null_counts_only_correct_images():
    r = _record(M=2, N=4)
    r["y"] = np.array([0, 1, 2, 3])
    r["clean"] = np.array([[0, 1, 2, 9], [0, 1, 2, 3]])
    r["on_random"] = np.array([[5, 1, 2, 3], [0, 1, 2, 3]])  # model 0: 1 of its 3 correct flipped
    expected = np.mean([np.log(100 / 3), np.log(EPS_S)])
    assert E.self_attack_null(r) == pytest.approx(expected)


def test_pair_err_against_brute_force():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 50, 10))
    y = rng.integers(0, 10, 50)
    err = E.pair_err(logits, y)
    k = 0
    for i in range(4):
        for j in range(i + 1, 4):
            member, ensemble = E.ensemble_errors(logits, y, [i, j])
            assert err[k] == pytest.approx((member - ensemble) / member)
            k += 1
    perfect = np.zeros((2, 5, 3))
    perfect[:, np.arange(5), 0] = 5.0
    assert np.isnan(E.pair_err(perfect, np.zeros(5, int))).all()  # no member error: ERR undefined


def test_one_sided_scores_equal_the_library_score():
    r = _record(M=5, seed=4)
    scores = E.one_sided_scores(r, 0, [1, 2, 3])
    for k, old in enumerate([1, 2, 3]):
        assert scores[k] == pytest.approx(one_sided_similarity(r["y"], r["clean"][0], r["clean"][old], r["on_adv"][0, old]))


def test_pair_groups_and_within_across():
    arch = ["a", "a", "a", "b", "b"]
    roles = ["family", "within", "regime", "family", "within"]
    g = E.pair_groups(arch, roles)
    i, j = np.triu_indices(5, k=1)
    pairs = list(zip(i, j))
    assert [pairs[k] for k in np.flatnonzero(g["within"])] == [(0, 1), (3, 4)]
    assert [pairs[k] for k in np.flatnonzero(g["regime"])] == [(0, 2), (1, 2)]
    assert g["across"].sum() == 6 and not (g["within"] & g["across"]).any()
    S = np.full((5, 5), 1.0)
    S[0, 1] = S[1, 0] = S[3, 4] = S[4, 3] = 4.0
    S[0, 2] = S[2, 0] = S[1, 2] = S[2, 1] = 2.0
    stats = E.within_across(S, arch, roles, ["a"])
    assert stats["difference"] == pytest.approx(3.0) and stats["between"] == 1.0


def test_hamming_features_and_ranks():
    table = {"x": {"c1": "p", "c2": "q"}, "y": {"c1": "p", "c2": "r"}, "z": {"c1": "s", "c2": "r"}}
    X = E.hamming_features(table, ["x", "y", "z"], ["c1", "c2"])
    np.testing.assert_array_equal(X, [[0, 1], [1, 1], [1, 0]])
    assert E.importance_ranks(np.array([0.1, 0.5, 0.0]), ["g", "base_architecture", "depthwise_conv"],
                              least=("depthwise_conv", "g")) == (1.0, 3.0)


def test_feature_importance_finds_the_component_that_decides_s():
    rng = np.random.default_rng(5)
    X = rng.integers(0, 2, (300, 4)).astype(float)
    s = 3.0 * X[:, 2] + 0.05 * rng.normal(size=300)
    importance = E.feature_importance(X, s, stages=50, seed=0, repeats=3)
    assert np.argmax(importance) == 2


def test_cluster_ensembles_draw_members_from_exactly_k_clusters():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(8, 40, 10))
    y = rng.integers(0, 10, 40)
    clusters = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    out = E.cluster_ensembles(logits, y, clusters, 4, 10, seed=1)
    assert set(out["k"].tolist()) == {1.0, 2.0, 3.0, 4.0} or set(out["k"].tolist()) == {2.0, 3.0, 4.0}
    assert (out["k"] >= 2).all()  # one cluster has only 2 members: a 4-ensemble cannot come from one
    chosen = E._draw_members(np.random.default_rng(0), clusters, np.unique(clusters), 3, 4)
    assert len(set(clusters[chosen])) == 3 and len(set(chosen.tolist())) == 4


def test_spectral_clusters_recover_blocks_and_agreement():
    S = np.full((6, 6), np.log(1.0))
    S[:3, :3] = S[3:, 3:] = np.log(90.0)
    clusters = E.spectral_clusters(S, 2, seed=0, restarts=5)
    assert E.cluster_agreement(clusters, ["a"] * 3 + ["b"] * 3) == pytest.approx(1.0)
    keywords = E.tfidf_keywords(clusters, [["x=1", "k=2"]] * 3 + [["x=3", "k=2"]] * 3, top=1)
    assert sorted(v[0] for v in keywords.values()) == ["x=1", "x=3"]  # shared tokens are not keywords


def test_design_roles_split_and_pgd_settings():
    profile = design.PROFILES["smoke"]
    runs = design.zoo_runs(profile)
    names = [r.name for r in runs]
    assert len(set(names)) == len(names)
    assert {r.role for r in runs} == {"family", "within", "regime"}
    distilled = [r for r in runs if r.name.endswith("/distilled")]
    assert distilled and all(r.config.distill_hard and r.config.distill_from for r in distilled)
    students = design.student_runs(profile)
    assert [r.architecture for r in students] == [profile["student"]] * len(profile["teachers"])
    attack, held = design.test_split(719, 400)
    assert len(attack) == 400 and len(held) == 319 and not set(attack) & set(held)
    np.testing.assert_array_equal(attack, design.test_split(719, 400)[0])  # seeded
    settings = design.pgd_settings(profile)
    assert settings["step_size"] * settings["steps"] == pytest.approx(design.STEP_SIZE_FACTOR * design.EPS)
    with pytest.raises(ValueError, match="attack_images"):
        design.test_split(10, 10)
    with pytest.raises(ValueError, match="architecture"):
        design.base_config("nope", epochs=1, lr=0.1)
    assert set(design.PROFILES["book"]["families"]) >= set(design.PROFILES["book"]["teachers"])


def test_attack_record_on_two_tiny_trained_models(tmp_path, monkeypatch):
    import torch

    from netsim.studies.transferability.attacks import attack_record, predict, trained_model
    from netsim.train import TrainConfig
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    configs = [TrainConfig(dataset="digits", model="mlp", model_options={"widths": [32]}, optimizer="adam", lr=0.01,
                           epochs=10, seed=s, eval_train_size=100, eval_test_size=100, num_checkpoints=2,
                           save_weights=True) for s in (0, 1)]
    train_many(configs, device="cpu", progress=False)
    from netsim.data import load_dataset

    test = load_dataset("digits", "test")
    x, y = test.x[:40].astype(np.float32), test.y[:40]
    settings = {"eps": 0.1, "steps": 5, "step_size": 0.05}
    rec = attack_record(configs, x, y, settings, progress=False)
    assert rec["on_adv"].shape == (2, 2, 40) and rec["clean"].shape == (2, 40)
    assert rec["box"].max() <= 1e-6
    for a in range(2):
        assert np.mean(rec["on_adv"][a, a] == y) < np.mean(rec["clean"][a] == y)  # the attack works on itself
        np.testing.assert_array_equal(rec["clean"][a], predict(trained_model(configs[a]), x))
    pytest.importorskip("torchattacks")
    strong = attack_record(configs, x[:8], y[:8], settings, method="autoattack", progress=False)
    assert strong["on_adv"].shape == (2, 2, 8) and strong["box"].max() <= 1e-6
    fooled = lambda r, a: np.mean(r["on_adv"][a, a][r["clean"][a] == r["y"]] != r["y"][r["clean"][a] == r["y"]])  # noqa: E731
    assert all(fooled(strong, a) >= fooled({k: v[..., :8] if k in ("on_adv", "clean") else v[:8] if k == "y" else v
                                            for k, v in rec.items()}, a) for a in range(2))  # at least PGD's success
    again = attack_record(configs, x, y, settings, progress=False)  # read back from the cache
    assert all(np.array_equal(rec[k], again[k]) for k in rec)
    with pytest.raises(ValueError, match="x must"):
        attack_record(configs, x * 2, y, settings, progress=False)
    with pytest.raises(ValueError, match="method"):
        attack_record(configs, x[:4], y[:4], settings, method="fgsm", progress=False)
    assert torch.get_num_threads() >= 1


def _synthetic_zoo(seed=0, N=200):
    """Two architectures with variants: attacks transfer within an architecture (90%) and rarely
    across (20%); every model is correct on 90% of the images."""
    from netsim.studies.transferability.chapter import Zoo
    from netsim.studies.transferability.design import ZooRun

    rng = np.random.default_rng(seed)
    spec = [("resnet", "family"), ("resnet", "within"), ("resnet", "within"), ("resnet", "regime"),
            ("vit", "family"), ("vit", "within"), ("vit", "within"), ("vit", "regime"), ("mixer", "family")]
    runs = [ZooRun(f"{a}/{k}", a, role, None) for k, (a, role) in enumerate(spec)]
    M, y = len(runs), rng.integers(0, 10, N)
    clean = np.where(rng.random((M, N)) < 0.9, y, (y + 1) % 10)
    rate = np.array([[0.99 if a == b else (0.7 if spec[i][0] == spec[j][0] else 0.2)
                      for j, (b, _) in enumerate(spec)] for i, (a, _) in enumerate(spec)])
    rate[np.arange(M), np.arange(M)] = 0.99
    on_adv = np.where(rng.random((M, M, N)) < rate[:, :, None], (y + 2) % 10, y)
    record = {"y": y, "clean": clean, "on_adv": on_adv, "on_random": clean.copy(), "box": np.zeros(M)}
    return Zoo(runs, [], {}, np.zeros((N, 1, 2, 2)), y, np.zeros((N, 1, 2, 2)), y, record,
               rng.normal(size=(M, N, 10)), {})


def test_claims_81_and_84_find_a_planted_effect_and_their_nulls_do_not():
    from netsim.studies.transferability import verdicts as V

    zoo = _synthetic_zoo()
    P = {"seed": 0, "bootstrap": 30, "permutations": 30, "variant_architectures": ("resnet", "vit")}
    m81, n81 = V.claim_81(zoo, P)
    assert m81.value > 4.5 and m81.low > 4.4  # self-attacks succeed 99% of the time
    assert n81.value == pytest.approx(np.log(EPS_S))  # random signs change nothing here
    S_draws = V.similarity_draws(zoo, P)
    m84, n84, full = V.claim_84(zoo, P, S_draws)
    difference, between = m84.values()
    assert difference.value > 1.0 and difference.low > 0.5  # within: log 70 (and log 99 for none), across: log 20
    null_difference = list(n84.values())[0]
    assert abs(null_difference.value) < difference.value / 2


def test_radius_comparison_has_one_row_per_claim_part_and_both_verdicts():
    from netsim.claims import Estimate
    from netsim.studies.transferability import verdicts as V
    from netsim.studies.transferability.claims import sensitivity_id

    parts = V._parts("8.4")
    at_record = {"8.1": Estimate(3.8, 3.7, 3.9), "8.4": {parts[0]: Estimate(0.4, 0.3, 0.5), parts[1]: None}}
    at_second = {sensitivity_id("8.1"): (Estimate(4.57, 4.56, 4.58), Estimate(1.0, 0.1, 1.2)),
                 sensitivity_id("8.4"): ({parts[0]: Estimate(0.56, 0.51, 0.62), parts[1]: Estimate(0.5, 0.5, 1.0)},
                                         {parts[0]: Estimate(-0.04, -0.4, 0.3), parts[1]: None})}
    verdicts = {"8.1": "not reproduced", "8.4": "not tested", "8.1@24": "reproduced", "8.4@24": "inconclusive"}
    table = V.radius_comparison(at_record, at_second, verdicts.get, "24/255")
    assert list(table.index) == [("8.1", "(single part)"), ("8.4", parts[0]), ("8.4", parts[1])]
    assert list(table["24/255 verdict"]) == ["reproduced", "inconclusive", "inconclusive"]
    assert table.loc[("8.4", parts[1]), "8/255"] == "undefined"
    assert table.loc[("8.4", parts[1]), "24/255 null"] == "undefined"
    assert table.loc[("8.1", "(single part)"), "24/255"].startswith("4.57")
