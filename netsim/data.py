"""Datasets on one API, offline by construction.

Every dataset is an :class:`ArrayDataset` (numpy arrays in memory) returned by
:func:`load_dataset`:

==================  ====================================================  ===============
name                source                                                x per sample
==================  ====================================================  ===============
``mnist1d``         ``mnist1d.data.make_dataset`` (procedural benchmark)  (1, 40)
``digits``          ``sklearn.datasets.load_digits``                      (C, s, s)
``sprites``         procedural shapes with latent factors (numpy)         (C, s, s)
``sloppy_gaussian`` Gaussian inputs with a decaying spectrum, teacher      (d,)
``image_patches``   patches of ``sklearn.datasets.load_sample_images``    (C, p, p)
``cifar10``         torchvision, files under the data root                (3, 32, 32)
``mnist``           torchvision, files under the data root                (1, 28, 28)
``svhn``            torchvision, files under the data root                (3, 32, 32)
==================  ====================================================  ===============

The same arguments always give identical arrays. Training augmentations come from
:func:`make_augmentation`.
"""
from __future__ import annotations

import inspect

from .datasets.augment import AUGMENTATIONS, make_augmentation
from .datasets.base import ArrayDataset
from .datasets.digits import load_digits_dataset, resize_images
from .datasets.gaussian import input_eigenvalues, load_sloppy_gaussian
from .datasets.mnist1d import MNIST1D_SEED, load_mnist1d
from .datasets.patches import PATCH_IMAGES, load_image_patches
from .datasets.real import data_root, load_cifar10, load_mnist, load_svhn
from .datasets.sprites import (
    SPRITE_COLOURS, SPRITE_DOMAINS, SPRITE_HIERARCHY, SPRITE_LABELS, SPRITE_SHAPES, SPRITE_TASKS,
    load_sprites, sprite_task,
)

__all__ = [
    "ArrayDataset", "DATASETS", "load_dataset",
    "load_mnist1d", "load_digits_dataset", "load_sprites", "load_sloppy_gaussian",
    "load_image_patches", "load_cifar10", "load_mnist", "load_svhn",
    "MNIST1D_SEED", "SPRITE_HIERARCHY", "SPRITE_SHAPES", "SPRITE_COLOURS", "SPRITE_DOMAINS",
    "SPRITE_LABELS", "SPRITE_TASKS", "sprite_task", "input_eigenvalues", "PATCH_IMAGES",
    "resize_images", "data_root", "AUGMENTATIONS", "make_augmentation",
]

_LOADERS = {
    "mnist1d": load_mnist1d,
    "digits": load_digits_dataset,
    "sprites": load_sprites,
    "sloppy_gaussian": load_sloppy_gaussian,
    "image_patches": load_image_patches,
    "cifar10": load_cifar10,
    "mnist": load_mnist,
    "svhn": load_svhn,
}

DATASETS = tuple(_LOADERS)
"""Names accepted by :func:`load_dataset`."""


def load_dataset(name, split="train", *, seed=None, **options):
    """Load a dataset by name.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    split : str
        ``"train"`` or ``"test"`` (``"extra"`` too for ``svhn``).
    seed : int, optional
        Seed of the generated datasets. ``None`` uses each dataset's default: 0, or
        for ``mnist1d`` the published benchmark's seed 42 (:data:`MNIST1D_SEED`), so
        ``load_dataset("mnist1d")`` is the benchmark's data. Datasets read from files
        (``cifar10``, ``mnist``, ``svhn``) ignore it.
    **options
        Keyword options of the dataset's loader (``load_mnist1d``,
        ``load_digits_dataset``, ``load_sprites``, ``load_sloppy_gaussian``,
        ``load_image_patches``, ``load_cifar10``, ``load_mnist``, ``load_svhn``).

    Returns
    -------
    ArrayDataset

    Raises
    ------
    ValueError
        Unknown ``name`` or ``split``, or an option outside its valid values.
    TypeError
        An option the dataset does not have, or of the wrong type.
    FileNotFoundError
        A real dataset whose files are not under the data root.
    """
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; valid names are {DATASETS}")
    loader = _LOADERS[name]
    parameters = inspect.signature(loader).parameters
    valid = [p for p in parameters if p != "split"]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"dataset {name!r} has no option(s) {unknown}; valid options are {valid}")
    if seed is not None and "seed" in parameters:
        options["seed"] = seed
    return loader(split, **options)
