"""Tests of netsim.data: the dataset API, each dataset, real-file loaders, augmentations."""
import pickle

import numpy as np
import pytest
import torch

from netsim import data
from netsim.data import ArrayDataset, load_dataset

# Small, fast option sets for the generated datasets.
SMALL = {
    "mnist1d": {"num_samples": 200},
    "digits": {},
    "sprites": {"n": 64},
    "sloppy_gaussian": {"d": 20, "n_train": 100, "n_test": 50},
    "image_patches": {"n": 50},
}


def _bytes(dataset):
    return dataset.x.tobytes() + dataset.y.tobytes()


# --------------------------------------------------------------------------- registry


def test_registry_lists_every_dataset():
    assert set(data.DATASETS) == {
        "mnist1d", "digits", "sprites", "sloppy_gaussian", "image_patches", "cifar10", "mnist", "svhn"
    }


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="valid names.*sprites"):
        load_dataset("cifar100")


@pytest.mark.parametrize("name", sorted(SMALL))
def test_unknown_split_is_rejected(name):
    with pytest.raises(ValueError, match="split"):
        load_dataset(name, "validation", **SMALL[name])


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match="colour_count"):
        load_dataset("sprites", colour_count=3)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_same_arguments_give_identical_bytes(name):
    first = load_dataset(name, "train", seed=3, **SMALL[name])
    second = load_dataset(name, "train", seed=3, **SMALL[name])
    assert _bytes(first) == _bytes(second)
    assert first.x.dtype == np.float32 and first.y.dtype == np.int64
    assert first.y.shape == (len(first),) and first.input_shape == first.x.shape[1:]


@pytest.mark.parametrize("name", ["mnist1d", "sprites", "sloppy_gaussian", "image_patches"])
def test_different_seeds_give_different_data(name):
    a = load_dataset(name, "train", seed=1, **SMALL[name])
    b = load_dataset(name, "train", seed=2, **SMALL[name])
    assert not np.array_equal(a.x, b.x)


# --------------------------------------------------------------------------- ArrayDataset


def _toy(n=12, classes=3):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return ArrayDataset(x=x, y=np.arange(n) % classes, num_classes=classes, name="toy",
                        factors={"id": np.arange(n)})


def test_array_dataset_validates_its_fields():
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(TypeError, match="float32"):
        ArrayDataset(x=x.astype(np.float64), y=np.zeros(4, np.int64), num_classes=2, name="t")
    with pytest.raises(ValueError, match="y must have shape"):
        ArrayDataset(x=x, y=np.zeros(3, np.int64), num_classes=2, name="t")
    with pytest.raises(ValueError, match=r"y must lie in \[0, 2\)"):
        ArrayDataset(x=x, y=np.array([0, 1, 2, 0]), num_classes=2, name="t")
    with pytest.raises(ValueError, match="class_names"):
        ArrayDataset(x=x, y=np.zeros(4, np.int64), num_classes=2, name="t", class_names=("a",))
    with pytest.raises(ValueError, match="factors"):
        ArrayDataset(x=x, y=np.zeros(4, np.int64), num_classes=2, name="t", factors={"f": np.zeros(3)})


def test_subset_takes_rows_and_factors_and_copies():
    toy = _toy()
    sub = toy.subset([5, 1])
    assert len(sub) == 2 and sub.input_shape == (2,)
    np.testing.assert_array_equal(sub.factors["id"], [5, 1])
    np.testing.assert_array_equal(sub.x, toy.x[[5, 1]])
    sub.x[0] = -1
    assert toy.x[5, 0] == 10
    assert len(toy.subset(toy.y == 0)) == 4
    with pytest.raises(ValueError, match="boolean index"):
        toy.subset(np.ones(3, bool))


def test_relabel_keeps_inputs_and_replaces_labels():
    toy = _toy()
    binary = toy.relabel(toy.y > 0, 2, name="binary", class_names=("zero", "other"))
    assert binary.num_classes == 2 and binary.name == "binary" and binary.x is toy.x
    np.testing.assert_array_equal(binary.y, (toy.y > 0).astype(int))
    with pytest.raises(ValueError, match="y must lie"):
        toy.relabel(toy.y, 2)


def test_stratified_subset_is_balanced_and_deterministic():
    toy = _toy(n=30, classes=3)
    sub = toy.stratified_subset(10, seed=0)
    assert sorted(np.bincount(sub.y)) == [3, 3, 4]
    assert np.array_equal(sub.factors["id"], toy.stratified_subset(10, seed=0).factors["id"])
    assert not np.array_equal(sub.factors["id"], toy.stratified_subset(10, seed=1).factors["id"])
    assert np.all(np.diff(sub.factors["id"]) > 0)  # original order kept
    with pytest.raises(ValueError, match="n must be <= 30"):
        toy.stratified_subset(31, seed=0)


def test_stratified_subset_fills_up_from_larger_classes():
    y = np.array([0] * 2 + [1] * 10 + [2] * 10)
    skewed = ArrayDataset(x=np.zeros((22, 1), np.float32), y=y, num_classes=3, name="skewed")
    np.testing.assert_array_equal(np.bincount(skewed.stratified_subset(12, seed=0).y), [2, 5, 5])


# --------------------------------------------------------------------------- mnist1d


def test_mnist1d_default_is_the_benchmark():
    train, test = load_dataset("mnist1d", "train"), load_dataset("mnist1d", "test")
    assert (len(train), len(test)) == (4000, 1000)
    assert train.input_shape == (1, 40) and train.num_classes == 10
    assert np.bincount(train.y, minlength=10).min() > 350
    assert _bytes(load_dataset("mnist1d", seed=data.MNIST1D_SEED)) == _bytes(train)


def test_mnist1d_is_the_package_generator():
    import mnist1d.data

    args = mnist1d.data.get_dataset_args()
    args.num_samples, args.seed = 300, 5
    reference = mnist1d.data.make_dataset(args)
    train = load_dataset("mnist1d", "train", num_samples=300, seed=5)
    np.testing.assert_array_equal(train.x[:, 0], reference["x"].astype(np.float32))
    test = load_dataset("mnist1d", "test", num_samples=300, seed=5)
    np.testing.assert_array_equal(test.y, reference["y_test"])


def test_mnist1d_options_reach_the_generator():
    ds = load_dataset("mnist1d", "test", num_samples=300, final_seq_length=60, max_translation=10)
    assert ds.x.shape == (60, 1, 60)
    shifted = load_dataset("mnist1d", "test", num_samples=300, final_seq_length=60, max_translation=40)
    assert not np.array_equal(ds.x, shifted.x)


def test_mnist1d_leaves_global_random_state_and_cache_untouched():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    ds = load_dataset("mnist1d", "train", num_samples=100, seed=7)
    assert np.random.random() == expected
    ds.x[:] = 0
    assert np.abs(load_dataset("mnist1d", "train", num_samples=100, seed=7).x).sum() > 0


@pytest.mark.parametrize(
    "options, error",
    [({"num_samples": 0}, ValueError), ({"num_samples": 1.5}, TypeError),
     ({"padding": (5, 2)}, ValueError), ({"train_split": 1.0}, ValueError),
     ({"shuffle_seq": 1}, TypeError)],
)
def test_mnist1d_rejects_bad_options(options, error):
    with pytest.raises(error, match=next(iter(options))):
        load_dataset("mnist1d", **options)


# --------------------------------------------------------------------------- digits


def test_digits_split_is_stratified_and_complete():
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    assert len(train) + len(test) == 1797 and len(test) == 450
    assert train.input_shape == (1, 8, 8)
    assert train.x.min() == 0.0 and train.x.max() == 1.0
    assert np.abs(np.bincount(test.y) - 45).max() <= 2


def test_digits_rendered_like_sprites():
    ds = load_dataset("digits", "test", size=32, channels=3)
    assert ds.input_shape == (3, 32, 32)
    np.testing.assert_array_equal(ds.x[:, 0], ds.x[:, 2])
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0


def test_resize_matches_torch_bilinear():
    images = np.random.default_rng(0).random((3, 8, 8)).astype(np.float32)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(images)[:, None], size=16, mode="bilinear", align_corners=False
    )[:, 0].numpy()
    np.testing.assert_allclose(data.resize_images(images, 16), expected, atol=1e-5)


def test_digits_binary_labels():
    ds = load_dataset("digits", binary=True)
    assert ds.num_classes == 2
    np.testing.assert_array_equal(ds.y, ds.factors["digit"] >= 5)


# --------------------------------------------------------------------------- sprites


@pytest.mark.parametrize("size, channels", [(16, 1), (32, 3), (9, 1)])
@pytest.mark.parametrize("domain", data.SPRITE_DOMAINS)
def test_sprites_shapes_and_range(size, channels, domain):
    ds = load_dataset("sprites", n=20, size=size, channels=channels, domain=domain, noise=0.05)
    assert ds.x.shape == (20, channels, size, size) and ds.x.dtype == np.float32
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert set(ds.factors) == {"shape", "colour", "scale", "x", "y", "angle", "domain"}


def test_sprites_labels_follow_factors():
    opts = dict(n=480, seed=4)
    f = load_dataset("sprites", label="shape", **opts).factors
    n_colours = len(data.SPRITE_COLOURS)
    fine = load_dataset("sprites", label="fine", **opts)
    assert fine.num_classes == 8 * n_colours
    np.testing.assert_array_equal(fine.y, f["shape"] * n_colours + f["colour"])
    first = f"{data.SPRITE_SHAPES[f['shape'][0]]}/{data.SPRITE_COLOURS[f['colour'][0]]}"
    assert fine.class_names[fine.y[0]] == first

    coarse = load_dataset("sprites", label="coarse", **opts)
    round_ids = [data.SPRITE_SHAPES.index(s) for s in data.sprite_task("round")]
    np.testing.assert_array_equal(coarse.y, ~np.isin(f["shape"], round_ids))

    family = load_dataset("sprites", label="family", **opts)
    assert family.class_names == ("round_filled", "round_outline", "angular_filled", "angular_outline")
    np.testing.assert_array_equal(family.y, f["shape"] // 2)  # tree order: two leaves per family

    position = load_dataset("sprites", label="position", bins=3, **opts)
    column = np.digitize(f["x"], [-0.35 / 3, 0.35 / 3])
    row = np.digitize(f["y"], [-0.35 / 3, 0.35 / 3])
    np.testing.assert_array_equal(position.y, row * 3 + column)

    orientation = load_dataset("sprites", label="orientation", bins=3, **opts)
    np.testing.assert_array_equal(orientation.y, np.digitize(f["angle"], [30.0, 60.0]))
    scale = load_dataset("sprites", label="scale", bins=5, **opts)
    np.testing.assert_array_equal(scale.y, np.floor((f["scale"] - 0.35) / 0.25 * 5).astype(int))


def test_sprites_images_do_not_depend_on_the_labelling():
    by_shape = load_dataset("sprites", label="shape", n=100)
    by_colour = load_dataset("sprites", label="colour", n=100)
    assert by_shape.x.tobytes() == by_colour.x.tobytes()
    np.testing.assert_array_equal(by_colour.y, by_shape.factors["colour"])


@pytest.mark.parametrize("label, classes", [("shape", 8), ("colour", 6), ("fine", 48), ("family", 4),
                                            ("coarse", 2), ("scale", 3), ("orientation", 3)])
def test_sprites_classes_are_balanced(label, classes):
    ds = load_dataset("sprites", "test", label=label, n_per_class=7)
    assert ds.num_classes == classes and len(ds) == 7 * classes
    np.testing.assert_array_equal(np.bincount(ds.y, minlength=classes), 7)


def test_sprites_position_classes_are_nearly_balanced():
    counts = np.bincount(load_dataset("sprites", label="position", n_per_class=100).y, minlength=9)
    assert counts.min() >= 90 and counts.max() <= 110


def test_sprite_hierarchy_tasks():
    leaves = [leaf for fam in data.SPRITE_HIERARCHY.values() for group in fam.values() for leaf in group]
    assert len(leaves) == 8 and data.sprite_task("union") == tuple(leaves)
    assert data.sprite_task("round") == ("disk", "ellipse", "ring", "ellipse_outline")
    assert data.sprite_task("angular_filled") == ("square", "triangle")
    assert data.sprite_task("round_outline") == ("ring", "ellipse_outline")
    random4 = data.sprite_task("random4", seed=5)
    assert len(random4) == 4 and random4 == data.sprite_task("random4", seed=5)
    assert len(set(random4) & set(data.sprite_task("round"))) == 2
    assert {data.sprite_task("random4", seed=s) for s in range(10)} != {random4}
    with pytest.raises(ValueError, match="task"):
        data.sprite_task("oval")


def test_sprites_task_subset_relabels_in_task_order():
    ds = load_dataset("sprites", shapes="round_outline", n=40)
    assert ds.num_classes == 2 and ds.class_names == ("ring", "ellipse_outline")
    np.testing.assert_array_equal(ds.y, ds.factors["shape"] == data.SPRITE_SHAPES.index("ellipse_outline"))
    family = load_dataset("sprites", shapes="round", label="family", n=40)
    assert family.class_names == ("round_filled", "round_outline")
    everything = load_dataset("sprites", shapes="all", n=100)
    assert everything.num_classes == 10
    with pytest.raises(ValueError, match="SPRITE_HIERARCHY"):
        load_dataset("sprites", shapes="all", label="coarse", n=10)


def test_disk_is_brighter_than_ring_and_filled_centre():
    fixed = dict(n=40, colours=("red",), scale_range=(0.5, 0.5), position_range=0.0, size=32)
    disk = load_dataset("sprites", shapes=("disk",), **fixed).x
    ring = load_dataset("sprites", shapes=("ring",), **fixed).x
    assert disk.mean() > 1.8 * ring.mean() > 0.0
    centre = slice(15, 17)
    assert disk[:, 0, centre, centre].min() == 1.0 and ring[:, 0, centre, centre].max() == 0.0
    # The disk covers about pi r^2 of the image (r = 0.5 of the half-side).
    np.testing.assert_allclose(disk.mean(), np.pi * 0.25 / 4, rtol=0.03)


def test_sprites_domains_share_factors_and_differ_in_background():
    opts = dict(n=30, size=16, seed=2)
    plain = load_dataset("sprites", domain="plain", **opts)
    inverted = load_dataset("sprites", domain="inverted", **opts)
    noisy = load_dataset("sprites", domain="noisy", **opts)
    np.testing.assert_array_equal(plain.factors["scale"], noisy.factors["scale"])
    np.testing.assert_allclose(inverted.x, 1.0 - plain.x, atol=1e-6)
    corner = (slice(None), 0, 0, 0)
    assert plain.x[corner].max() == 0.0 and noisy.x[corner].std() > 0.1
    for name in ("gradient", "textured"):
        background = load_dataset("sprites", domain=name, **opts).x[corner]
        assert background.std() > 0.01 and 0.0 <= background.min() and background.max() < 0.7
    mixed = load_dataset("sprites", domain=("plain", "noisy"), label="domain", n=30)
    np.testing.assert_array_equal(np.bincount(mixed.y), [15, 15])


def test_sprites_pixel_noise_and_splits():
    clean = load_dataset("sprites", n=30)
    noisy = load_dataset("sprites", n=30, noise=0.1)
    np.testing.assert_array_equal(clean.factors["x"], noisy.factors["x"])
    assert 0.02 < np.abs(noisy.x - clean.x).mean() < 0.1
    test = load_dataset("sprites", "test", n=30)
    assert not np.isin(test.factors["x"], clean.factors["x"]).any()


@pytest.mark.parametrize(
    "options, error, match",
    [({"label": "texture"}, ValueError, "label"), ({"shapes": ("disk", "oval")}, ValueError, "shapes"),
     ({"shapes": ("disk", "disk")}, ValueError, "shapes"), ({"size": 4}, ValueError, "size"),
     ({"channels": 2}, ValueError, "channels"), ({"domain": "foggy"}, ValueError, "domain"),
     ({"n": 10, "n_per_class": 3}, ValueError, "n_per_class"), ({"noise": -1.0}, ValueError, "noise"),
     ({"label": "orientation", "max_angle": 0.0}, ValueError, "max_angle"),
     ({"scale_range": (0.6, 0.3)}, ValueError, "scale_range"), ({"n": 2.5}, TypeError, "n")],
)
def test_sprites_reject_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        load_dataset("sprites", **options)


# --------------------------------------------------------------------------- sloppy Gaussian


def test_input_eigenvalues_formula():
    lam = data.input_eigenvalues(d=5, c=0.5)
    np.testing.assert_allclose(lam, 25.0 * np.exp(-0.5 * np.arange(1, 6)))
    np.testing.assert_allclose(data.input_eigenvalues(3, c=0.0), 1.0)
    with pytest.raises(ValueError, match="c must be"):
        data.input_eigenvalues(3, c=-1.0)


def test_sloppy_gaussian_covariance_matches_spectrum():
    ds = load_dataset("sloppy_gaussian", d=20, c=0.5, n_train=40_000)
    assert ds.input_shape == (20,)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(ds.x.T.astype(np.float64))))[::-1]
    np.testing.assert_allclose(eigenvalues, data.input_eigenvalues(20, 0.5), rtol=0.1)
    assert np.abs(ds.x.mean(0)).max() < 0.05


def test_sloppy_gaussian_teacher_is_shared_by_the_splits():
    # A linear teacher makes the labels linearly separable: a classifier fitted on
    # train is near perfect on test only if both splits share the teacher.
    from sklearn.linear_model import LogisticRegression

    opts = dict(d=10, c=0.1, hidden=(), num_classes=2, n_train=2000, n_test=500, seed=3)
    train = load_dataset("sloppy_gaussian", "train", **opts)
    test = load_dataset("sloppy_gaussian", "test", **opts)
    model = LogisticRegression(C=100.0, max_iter=2000).fit(train.x, train.y)
    assert model.score(test.x, test.y) > 0.97
    other = load_dataset("sloppy_gaussian", "test", **{**opts, "seed": 4})
    assert (other.y != model.predict(other.x)).mean() > 0.05


def test_sloppy_gaussian_labels_are_balanced_and_deterministic():
    opts = dict(d=50, n_train=3000)
    ds = load_dataset("sloppy_gaussian", **opts)
    counts = np.bincount(ds.y, minlength=5)
    assert counts.min() > 0.8 * 600 and counts.max() < 1.2 * 600
    np.testing.assert_array_equal(ds.y, load_dataset("sloppy_gaussian", **opts).y)
    wider = load_dataset("sloppy_gaussian", **opts, hidden=(30, 20), num_classes=3)
    assert wider.num_classes == 3 and set(np.unique(wider.y)) == {0, 1, 2}
    with pytest.raises(ValueError, match="hidden"):
        load_dataset("sloppy_gaussian", hidden=(10, 0))


# --------------------------------------------------------------------------- image patches


def test_image_patches_come_from_disjoint_halves():
    train = load_dataset("image_patches", "train", n=400, patch_size=8)
    test = load_dataset("image_patches", "test", n=400, patch_size=8)
    assert train.input_shape == (1, 8, 8) and train.num_classes == 2
    np.testing.assert_array_equal(np.bincount(train.y), [200, 200])
    assert (train.factors["col"] + 8).max() <= 320 <= test.factors["col"].min()
    assert 0.0 <= train.x.min() and train.x.max() <= 1.0 and train.x.std() > 0.05


def test_image_patches_hold_the_photograph_pixels():
    from sklearn.datasets import load_sample_images

    rgb = load_dataset("image_patches", "test", n=20, patch_size=5, channels=3)
    photos = load_sample_images().images
    i = 3
    r, c = rgb.factors["row"][i], rgb.factors["col"][i]
    expected = photos[rgb.y[i]][r:r + 5, c:c + 5].transpose(2, 0, 1) / 255.0
    np.testing.assert_allclose(rgb.x[i], expected, atol=1e-6)
    grey = load_dataset("image_patches", "test", n=20, patch_size=5, channels=1)
    luma = np.tensordot([0.299, 0.587, 0.114], rgb.x, axes=(0, 1))
    np.testing.assert_allclose(grey.x[:, 0], luma, atol=1e-5)


# --------------------------------------------------------------------------- real datasets


def _write_cifar10(root, rng):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for name, n in [*((f"data_batch_{i}", 2) for i in range(1, 6)), ("test_batch", 3)]:
        batches[name] = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                         "labels": rng.integers(0, 10, n).tolist(), "batch_label": name}
        with open(folder / name, "wb") as f:
            pickle.dump(batches[name], f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)], "num_cases_per_batch": 2}, f)
    return batches


def test_cifar10_reads_pickled_batches(tmp_path):
    batches = _write_cifar10(tmp_path, np.random.default_rng(0))
    train = load_dataset("cifar10", "train", root=tmp_path, verify=False)
    assert train.x.shape == (10, 3, 32, 32) and train.class_names[3] == "class3"
    first = batches["data_batch_1"]
    np.testing.assert_allclose(train.x[1], first["data"][1].reshape(3, 32, 32) / 255.0, atol=1e-7)
    np.testing.assert_array_equal(train.y[:2], first["labels"])
    test = load_dataset("cifar10", "test", root=tmp_path, verify=False, limit=2)
    np.testing.assert_array_equal(test.y, batches["test_batch"]["labels"][:2])
    with pytest.raises(RuntimeError, match="md5"):
        load_dataset("cifar10", root=tmp_path)


def _write_idx(path, array):
    magic = {1: 2049, 3: 2051}[array.ndim]
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_reads_idx_files(tmp_path):
    rng = np.random.default_rng(1)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = {"train": rng.integers(0, 256, (5, 28, 28)), "t10k": rng.integers(0, 256, (3, 28, 28))}
    labels = {"train": rng.integers(0, 10, 5), "t10k": rng.integers(0, 10, 3)}
    for prefix in images:
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images[prefix])
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels[prefix])
    test = load_dataset("mnist", "test", root=tmp_path)
    assert test.x.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(test.x[:, 0], images["t10k"] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(test.y, labels["t10k"])
    assert len(load_dataset("mnist", "train", root=tmp_path, limit=4)) == 4


def test_svhn_reads_mat_files_and_maps_label_10_to_0(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    y = np.array([[10], [1], [9], [10]], dtype=np.uint8)
    savemat(tmp_path / "test_32x32.mat", {"X": X, "y": y})
    ds = load_dataset("svhn", "test", root=tmp_path, verify=False)
    assert ds.x.shape == (4, 3, 32, 32)
    np.testing.assert_array_equal(ds.y, [0, 1, 9, 0])
    np.testing.assert_allclose(ds.x[2], X[..., 2].transpose(2, 0, 1) / 255.0, atol=1e-7)


@pytest.mark.parametrize("name, expected", [
    ("cifar10", "cifar-10-batches-py/data_batch_1"), ("mnist", "MNIST/raw/train-images-idx3-ubyte"),
    ("svhn", "train_32x32.mat"),
])
def test_missing_files_name_the_expected_path(name, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("NETSIM_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="download") as error:
        load_dataset(name)
    assert str(tmp_path / expected) in str(error.value)


# --------------------------------------------------------------------------- augmentation


def test_shift_noise_rolls_each_sample_within_max_shift():
    x = torch.randn(16, 1, 40)
    augment = data.make_augmentation("shift_noise", max_shift=3, noise=0.0)
    out = augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    for sample, shifted in zip(x, out):
        assert any(torch.equal(torch.roll(sample, k, -1), shifted) for k in range(-3, 4))


def test_augmentations_are_deterministic_given_the_generator():
    for name, x in [("shift_noise", torch.randn(8, 1, 40)), ("crop_flip", torch.rand(8, 3, 16, 16))]:
        augment = data.make_augmentation(name)
        a = augment(x, torch.Generator().manual_seed(1))
        b = augment(x, torch.Generator().manual_seed(1))
        c = augment(x, torch.Generator().manual_seed(2))
        assert torch.equal(a, b) and not torch.equal(a, c) and a.shape == x.shape


def test_crop_flip_crops_the_padded_image():
    x = torch.arange(4 * 2 * 6 * 6, dtype=torch.float32).view(4, 2, 6, 6) + 1
    flipped = data.make_augmentation("crop_flip", pad=0)(x, torch.Generator().manual_seed(0))
    for sample, out in zip(x, flipped):
        assert torch.equal(out, sample) or torch.equal(out, sample.flip(-1))
    cropped = data.make_augmentation("crop_flip", pad=2)(x, torch.Generator().manual_seed(0))
    values = set(x.flatten().tolist()) | {0.0}
    assert set(cropped.flatten().tolist()) <= values and (cropped == 0).any()


def test_augmentation_validation():
    x = torch.ones(2, 3)
    assert data.make_augmentation(None)(x, torch.Generator()) is x
    with pytest.raises(ValueError, match="crop_flip"):
        data.make_augmentation("mixup")
    with pytest.raises(TypeError, match="pad"):
        data.make_augmentation("shift_noise", pad=2)
    with pytest.raises(ValueError, match="max_shift"):
        data.make_augmentation("shift_noise", max_shift=-1)
    with pytest.raises(ValueError, match=r"\(b, C, H, W\)"):
        data.make_augmentation("crop_flip")(torch.ones(2, 1, 40), torch.Generator())


def test_mnist1d_label_map_relabels_digits_and_checks_its_argument():
    from netsim.data import load_dataset

    plain = load_dataset("mnist1d", "train", seed=1)
    mapped = load_dataset("mnist1d", "train", seed=1, label_map=(0, 1, 2, 3, 4, 0, 1, 2, 3, 4))
    np.testing.assert_array_equal(mapped.x, plain.x)
    np.testing.assert_array_equal(mapped.y, plain.y % 5)
    assert mapped.num_classes == 5 and mapped.class_names[0] == "0+5"
    with pytest.raises(ValueError, match="label_map"):
        load_dataset("mnist1d", "train", label_map=(0, 1, 2))
    with pytest.raises(ValueError, match="missing"):
        load_dataset("mnist1d", "train", label_map=(0, 2) * 5)
