"""Tests of netsim.metrics.transfer: the attack-transferability score s(A, B) of seed paper 004
(eq. 1), its per-image indicators and bootstrap form, appendix G's one-sided score, the zoo
matrix, and the L-inf PGD / random-sign / AutoAttack perturbations (study 8)."""
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from netsim.metrics.transfer import (
    EPS_S,
    LOG_100,
    attack_similarity,
    autoattack,
    one_sided_similarity,
    pgd,
    random_sign_perturbation,
    similarity_from_indicators,
    similarity_matrix,
    transfer_indicators,
)
from netsim.models import build_model

pytestmark = pytest.mark.usefixtures("one_thread")

# A hand-made case with N = 8 images, labels 0..3.
Y = np.array([0, 1, 2, 3, 0, 1, 2, 3])
PRED_A = np.array([0, 1, 2, 3, 0, 1, 0, 0])  # wrong on images 6, 7
PRED_B = np.array([0, 1, 2, 0, 0, 1, 2, 3])  # wrong on image 3
# X_AB = {0, 1, 2, 4, 5}
A_ON_ADV_B = np.array([1, 1, 2, 3, 1, 1, 2, 3])  # A fooled on 0, 4 (in X_AB) -> 2
B_ON_ADV_A = np.array([1, 0, 0, 3, 0, 1, 0, 0])  # B fooled on 0, 1, 2 (in X_AB) -> 3; 6, 7 outside
EXPECTED = math.log(100 * (2 + 3) / (2 * 5))  # log 50


# ---------------------------------------------------------------------------------
# attack_similarity (eq. 1)
# ---------------------------------------------------------------------------------
def test_attack_similarity_matches_a_hand_computed_case():
    assert attack_similarity(Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A) == pytest.approx(EXPECTED, abs=1e-15)
    # torch tensors are accepted
    args = [torch.as_tensor(a) for a in (Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A)]
    assert attack_similarity(*args) == pytest.approx(EXPECTED, abs=1e-15)
    # one of 5 images fooled in one direction only: 100 * 1 / 10 = 10 per cent
    one = Y.copy()
    one[1] = 0
    assert attack_similarity(Y, PRED_A, PRED_B, Y, one) == pytest.approx(math.log(10.0), abs=1e-15)


def test_no_transfer_is_clamped_to_log_eps_s_and_full_transfer_is_log_100():
    # the adversarial predictions are all correct: nothing transfers
    assert attack_similarity(Y, PRED_A, PRED_B, Y, Y) == pytest.approx(math.log(EPS_S), abs=1e-15)
    assert attack_similarity(Y, PRED_A, PRED_B, Y, Y, eps_s=0.5) == pytest.approx(math.log(0.5), abs=1e-15)
    assert EPS_S == 1e-3 and math.log(EPS_S) == pytest.approx(-6.9078, abs=1e-4)
    # every attack transfers both ways
    wrong = (Y + 1) % 4
    assert attack_similarity(Y, PRED_A, PRED_B, wrong, wrong) == LOG_100 == math.log(100)
    # eps_s only replaces the exact zero: the smallest non-zero value is untouched
    single = Y.copy()
    single[0] = 1
    assert attack_similarity(Y, PRED_A, PRED_B, Y, single) == pytest.approx(math.log(10.0), abs=1e-15)
    # a floor above the measured percentage wins
    assert attack_similarity(Y, PRED_A, PRED_B, Y, single, eps_s=20.0) == pytest.approx(math.log(20.0))


def test_attack_similarity_is_symmetric_in_the_roles_of_a_and_b():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 5, 60)
        pa, pb, pab, pba = (np.where(rng.random(60) < 0.7, y, rng.integers(0, 5, 60)) for _ in range(4))
        s_ab = attack_similarity(y, pa, pb, pab, pba)
        assert s_ab == attack_similarity(y, pb, pa, pba, pab)


def test_attack_similarity_refuses_an_empty_x_ab():
    pred_b = (Y + 1) % 4  # B gets every image wrong
    with pytest.raises(ValueError, match="X_AB is empty"):
        attack_similarity(Y, PRED_A, pred_b, Y, Y)
    mask, a, b = transfer_indicators(Y, PRED_A, pred_b, Y, Y)
    with pytest.raises(ValueError, match="X_AB is empty"):
        similarity_from_indicators(mask, a, b)


@pytest.mark.parametrize("name", ["y", "pred_a", "pred_b", "pred_a_on_adv_b", "pred_b_on_adv_a"])
def test_attack_similarity_validation_names_the_argument(name):
    args = {"y": Y, "pred_a": PRED_A, "pred_b": PRED_B, "pred_a_on_adv_b": A_ON_ADV_B, "pred_b_on_adv_a": B_ON_ADV_A}
    bad = {**args, name: args[name][:-1]}
    if name == "y":  # y fixes N, so a short y makes the first prediction the mismatch
        with pytest.raises(ValueError, match="pred_a"):
            attack_similarity(**bad)
    else:
        with pytest.raises(ValueError, match=name):
            attack_similarity(**bad)
    with pytest.raises(TypeError, match=name):
        attack_similarity(**{**args, name: args[name].astype(float)})
    with pytest.raises(ValueError, match=name):
        attack_similarity(**{**args, name: args[name].reshape(2, 4)})


def test_eps_s_is_validated():
    for bad in (0.0, -1.0, float("nan"), 100.0):
        with pytest.raises(ValueError, match="eps_s"):
            attack_similarity(Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A, eps_s=bad)
    with pytest.raises(ValueError, match="one_sided_similarity"):
        attack_similarity(Y, PRED_A, PRED_B, None, B_ON_ADV_A)


# ---------------------------------------------------------------------------------
# Indicators and the bootstrap form
# ---------------------------------------------------------------------------------
def test_transfer_indicators_are_the_per_image_terms():
    mask, a_fooled, b_fooled = transfer_indicators(Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A)
    assert mask.dtype == bool and mask.shape == (8,)
    assert np.array_equal(np.flatnonzero(mask), [0, 1, 2, 4, 5])
    assert np.array_equal(np.flatnonzero(a_fooled), [0, 4])
    assert np.array_equal(np.flatnonzero(b_fooled), [0, 1, 2, 6, 7])  # over all images


def test_similarity_from_indicators_equals_attack_similarity_on_the_full_index():
    ind = transfer_indicators(Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A)
    assert similarity_from_indicators(*ind) == pytest.approx(EXPECTED, abs=1e-15)
    assert similarity_from_indicators(*ind, index=np.arange(8)) == pytest.approx(EXPECTED, abs=1e-15)
    # 0/1 integers are accepted as indicators
    ints = [v.astype(np.int64) for v in ind]
    assert similarity_from_indicators(*ints) == pytest.approx(EXPECTED, abs=1e-15)


def test_similarity_from_indicators_on_a_resample_computed_by_hand():
    ind = transfer_indicators(Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A)
    # index: image 0 three times, image 1 once, image 3 (outside X_AB) twice, image 5 once
    # X = {0, 0, 0, 1, 5} (|X| = 5); A fooled: 0 x3 = 3; B fooled: 0 x3 + 1 = 4 -> 100 * 7 / 10
    index = np.array([0, 3, 0, 1, 3, 0, 5])
    expected = math.log(70.0)
    assert similarity_from_indicators(*ind, index=index) == pytest.approx(expected, abs=1e-14)
    # the same resample by re-indexing the labels and calling eq. 1 directly
    direct = attack_similarity(*(a[index] for a in (Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A)))
    assert direct == pytest.approx(expected, abs=1e-14)
    # a (B, n) index gives one score per row
    rng = np.random.default_rng(3)
    many = rng.integers(0, 8, (50, 7))
    many[0] = index
    many = many[ind.mask[many].any(axis=1)]  # drop resamples with an empty X_AB
    scores = similarity_from_indicators(*ind, index=many)
    assert scores.shape == (many.shape[0],)
    for row, s in zip(many, scores):
        assert s == pytest.approx(similarity_from_indicators(*ind, index=row), abs=1e-14)


def test_similarity_from_indicators_refuses_empty_resamples_and_bad_indices():
    ind = transfer_indicators(Y, PRED_A, PRED_B, A_ON_ADV_B, B_ON_ADV_A)
    with pytest.raises(ValueError, match="X_AB is empty"):
        similarity_from_indicators(*ind, index=np.array([3, 6, 7]))
    with pytest.raises(ValueError, match="1 of 2 resamples"):
        similarity_from_indicators(*ind, index=np.array([[0, 1], [6, 7]]))
    with pytest.raises(ValueError, match="index"):
        similarity_from_indicators(*ind, index=np.array([0, 8]))
    with pytest.raises(TypeError, match="index"):
        similarity_from_indicators(*ind, index=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="a_fooled"):
        similarity_from_indicators(ind.mask, ind.a_fooled[:-1], ind.b_fooled)
    with pytest.raises(TypeError, match="mask"):
        similarity_from_indicators(ind.mask * 2, ind.a_fooled, ind.b_fooled)


# ---------------------------------------------------------------------------------
# One-sided score (appendix G) and the zoo matrix
# ---------------------------------------------------------------------------------
def test_one_sided_similarity_keeps_only_the_old_model_on_the_new_models_examples():
    # new = A, old = B: only [B(x_A) != y] is kept, averaged over X_AB: 3 of 5 -> 60 per cent
    s1 = one_sided_similarity(Y, PRED_A, PRED_B, B_ON_ADV_A)
    assert s1 == pytest.approx(math.log(60.0), abs=1e-14)
    ind = transfer_indicators(Y, PRED_A, PRED_B, None, B_ON_ADV_A)
    assert ind.a_fooled is None
    assert similarity_from_indicators(*ind) == s1
    assert similarity_from_indicators(*ind, index=np.array([0, 0, 4])) == pytest.approx(math.log(200 / 3))
    # equal to the two-sided score when the transfer is the same both ways
    assert one_sided_similarity(Y, PRED_A, PRED_B, B_ON_ADV_A) == pytest.approx(
        attack_similarity(Y, PRED_A, PRED_B, B_ON_ADV_A, B_ON_ADV_A), abs=1e-14)
    # clamped like eq. 1; not symmetric in general
    assert one_sided_similarity(Y, PRED_A, PRED_B, Y) == pytest.approx(math.log(EPS_S))
    assert one_sided_similarity(Y, PRED_B, PRED_A, A_ON_ADV_B) == pytest.approx(math.log(40.0))
    with pytest.raises(ValueError, match="pred_old_on_adv_new"):
        one_sided_similarity(Y, PRED_A, PRED_B, None)


def test_similarity_matrix_is_symmetric_and_matches_pairwise_scores():
    rng = np.random.default_rng(1)
    n, names = 40, ["a", "b", "c"]
    y = rng.integers(0, 3, n)
    noisy = lambda p: np.where(rng.random(n) < p, y, (y + 1) % 3)
    clean = {k: noisy(0.9) for k in names}
    on_adv = {a: {b: noisy(0.1 if a == b else 0.6) for b in names} for a in names}
    S = similarity_matrix(y, clean, on_adv)
    assert S.shape == (3, 3) and np.array_equal(S, S.T)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            expected = attack_similarity(y, clean[a], clean[b], on_adv[b][a], on_adv[a][b])
            assert S[i, j] == pytest.approx(expected, abs=1e-13)
        # diagonal: the self-attack success rate on the images a gets right
        correct = clean[a] == y
        rate = 100 * np.mean(on_adv[a][a][correct] != y[correct])
        assert S[i, i] == pytest.approx(math.log(rate), abs=1e-13)
    # order and resampling
    S_rev = similarity_matrix(y, clean, on_adv, names=names[::-1])
    assert np.allclose(S_rev, S[::-1, ::-1], atol=1e-14)
    index = rng.integers(0, n, n)
    S_boot = similarity_matrix(y, clean, on_adv, index=index)
    sub = lambda d: {k: v[index] for k, v in d.items()}
    assert np.allclose(S_boot, similarity_matrix(y[index], sub(clean), {a: sub(on_adv[a]) for a in names}))
    with pytest.raises(ValueError, match=r"on_adv\['a'\] has no predictions of model 'c'"):
        similarity_matrix(y, clean, {**on_adv, "a": {"a": on_adv["a"]["a"], "b": on_adv["a"]["b"]}})
    with pytest.raises(ValueError, match="clean has no predictions"):
        similarity_matrix(y, clean, on_adv, names=["a", "z"])


# ---------------------------------------------------------------------------------
# Attacks
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    """A small MLP trained on an easy 2-class problem with inputs in [0, 1] (clean accuracy 1)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng():
        g = torch.Generator().manual_seed(0)
        n, d = 200, 16
        y = torch.randint(0, 2, (n,), generator=g)
        x = (0.5 + 0.15 * (2 * y[:, None] - 1) + 0.1 * torch.randn(n, d, generator=g)).clamp(0, 1)
        torch.manual_seed(0)
        model = build_model("mlp", (d,), 2, widths=(16,))
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(200):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        model.zero_grad(set_to_none=True)
    torch.set_num_threads(threads)
    return model, x, y


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(torch.as_tensor(x)).argmax(1) == torch.as_tensor(y)).float().mean().item()


def test_pgd_stays_in_the_eps_ball_and_the_box(trained):
    model, x, y = trained
    x = x.clone()
    x[:5] = 0.0  # inputs on the box's faces
    x[5:10] = 1.0
    eps = 0.2
    adv = pgd(model, x, y, eps=eps, steps=5, step_size=0.15, generator=torch.Generator().manual_seed(0))
    assert adv.shape == x.shape and adv.dtype == x.dtype and not adv.requires_grad
    assert (adv - x).abs().max().item() <= eps + 1e-6
    assert adv.min().item() >= 0.0 and adv.max().item() <= 1.0
    # numpy in, numpy out
    adv_np = pgd(model, x.numpy(), y.numpy(), eps=eps, steps=2, step_size=0.1,
                 generator=torch.Generator().manual_seed(0))
    assert isinstance(adv_np, np.ndarray) and adv_np.shape == tuple(x.shape)
    assert np.abs(adv_np - x.numpy()).max() <= eps + 1e-6 and adv_np.min() >= 0 and adv_np.max() <= 1


def test_pgd_is_reproducible_with_a_generator_and_independent_of_batch_size(trained):
    model, x, y = trained
    run = lambda seed, bs=256: pgd(model, x, y, eps=0.1, steps=3, step_size=0.03,
                                   generator=torch.Generator().manual_seed(seed), batch_size=bs)
    a, b = run(1), run(1)
    assert torch.equal(a, b)
    assert not torch.equal(a, run(2))
    assert torch.allclose(a, run(1, bs=37), atol=1e-6)
    # without a random start the attack is deterministic and needs no generator
    c = pgd(model, x, y, eps=0.1, steps=3, step_size=0.03, random_start=False)
    assert torch.equal(c, pgd(model, x, y, eps=0.1, steps=3, step_size=0.03, random_start=False))


def test_pgd_lowers_accuracy_far_more_than_random_signs_of_the_same_size(trained):
    model, x, y = trained
    eps = 0.2
    assert _accuracy(model, x, y) == 1.0
    adv = pgd(model, x, y, eps=eps, steps=10, step_size=eps / 4, generator=torch.Generator().manual_seed(0))
    noise = random_sign_perturbation(x, eps=eps, generator=torch.Generator().manual_seed(0))
    assert (noise - x).abs().max().item() <= eps + 1e-6 and 0 <= noise.min() and noise.max() <= 1
    acc_pgd, acc_noise = _accuracy(model, adv, y), _accuracy(model, noise, y)
    assert acc_noise >= 0.95
    assert acc_pgd <= 0.2 and acc_pgd < acc_noise - 0.7


def test_pgd_attacks_in_eval_mode_and_restores_modes_and_gradients(trained):
    model, x, y = trained
    seen = []
    net = nn.Sequential(nn.Dropout(0.5), model)
    hook = net[1].register_forward_pre_hook(lambda m, inp: seen.append(m.training))
    try:
        net.train()
        net[0].eval()  # mixed modes must come back as they were
        before = {m: m.training for m in net.modules()}
        with torch.no_grad():  # the attack still takes gradients
            adv = pgd(net, x[:20], y[:20], eps=0.1, steps=2, step_size=0.05, random_start=False)
        assert seen and not any(seen)
        assert {m: m.training for m in net.modules()} == before
        assert all(p.grad is None for p in net.parameters())
        # eval mode makes the dropout inactive: same result as attacking the bare model
        assert torch.equal(adv, pgd(model, x[:20], y[:20], eps=0.1, steps=2, step_size=0.05,
                                    random_start=False))
    finally:
        hook.remove()
        model.eval()


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"eps": 0.0}, ValueError, "eps"),
    ({"eps": -0.1}, ValueError, "eps"),
    ({"eps": float("inf")}, ValueError, "eps"),
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 2.0}, TypeError, "steps"),
    ({"step_size": 0.0}, ValueError, "step_size"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"generator": 0}, TypeError, "generator"),
])
def test_pgd_validates_its_parameters(trained, kwargs, exc, match):
    model, x, y = trained
    args = {"eps": 0.1, "steps": 1, "step_size": 0.05} | kwargs
    with pytest.raises(exc, match=match):
        pgd(model, x[:4], y[:4], **args)


def test_pgd_validates_inputs_and_labels(trained):
    model, x, y = trained
    kw = {"eps": 0.1, "steps": 1, "step_size": 0.05}
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        pgd(model, x[:4] * 2, y[:4], **kw)
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        pgd(model, x[:4] - 0.6, y[:4], **kw)
    bad = x[:4].clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN"):
        pgd(model, bad, y[:4], **kw)
    with pytest.raises(TypeError, match="x must be a floating-point"):
        pgd(model, (x[:4] * 255).to(torch.uint8), y[:4], **kw)
    with pytest.raises(ValueError, match="x must have shape"):
        pgd(model, x[0], y[:1], **kw)
    with pytest.raises(ValueError, match="y must have one label per image"):
        pgd(model, x[:4], y[:3], **kw)
    with pytest.raises(ValueError, match="y must be a 1-D"):
        pgd(model, x[:4], y[:4, None], **kw)
    with pytest.raises(TypeError, match="y must hold integer"):
        pgd(model, x[:4], y[:4].float(), **kw)
    with pytest.raises(ValueError, match=r"y must lie in \[0, C\)"):
        pgd(model, x[:4], torch.tensor([0, 1, 2, 0]), **kw)
    with pytest.raises(ValueError, match="y must hold class labels >= 0"):
        pgd(model, x[:4], torch.tensor([0, 1, -1, 0]), **kw)
    with pytest.raises(ValueError, match="eps"):
        random_sign_perturbation(x, eps=0)


# ---------------------------------------------------------------------------------
# AutoAttack
# ---------------------------------------------------------------------------------
def test_autoattack_without_torchattacks_says_how_to_install_it(monkeypatch, trained):
    model, x, y = trained
    monkeypatch.setitem(sys.modules, "torchattacks", None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install --no-deps torchattacks"):
        autoattack(model, x, y, eps=0.1)


def test_autoattack_fools_a_small_model_inside_the_box():
    pytest.importorskip("torchattacks")
    with torch.random.fork_rng():
        g = torch.Generator().manual_seed(0)
        n, C = 48, 4
        centres = 0.2 + 0.6 * torch.rand(C, 16, generator=g)
        y = torch.arange(n) % C
        x = (centres[y] + 0.05 * torch.randn(n, 16, generator=g)).clamp(0, 1).reshape(n, 1, 4, 4)
        torch.manual_seed(0)
        model = build_model("mlp", (1, 4, 4), C, widths=(16,))
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(100):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    assert _accuracy(model, x, y) == 1.0
    model.train()
    state = torch.random.get_rng_state()
    eps = 0.2
    adv = autoattack(model, x, y, eps=eps, batch_size=32)
    assert torch.equal(state, torch.random.get_rng_state())  # torchattacks' reseeding is contained
    assert model.training
    assert adv.shape == x.shape and (adv - x).abs().max().item() <= eps + 1e-6
    assert adv.min().item() >= 0 and adv.max().item() <= 1
    assert _accuracy(model, adv, y) <= 0.1
    adv_np = autoattack(model, x.numpy(), y.numpy(), eps=eps, batch_size=32)
    assert isinstance(adv_np, np.ndarray) and np.array_equal(adv_np, adv.numpy())
    with pytest.raises(ValueError, match="x must be images"):
        autoattack(model, x.reshape(n, 16), y, eps=eps)
    with pytest.raises(ValueError, match="n_classes must be >= 4"):
        autoattack(model, x, y, eps=eps, n_classes=2)
    with pytest.raises(ValueError, match="version"):
        autoattack(model, x, y, eps=eps, version="fast")
