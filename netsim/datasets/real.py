"""CIFAR-10, MNIST and SVHN read through torchvision from local files (never downloaded).

The files are looked up under a data root: the ``root`` option, else the environment
variable ``NETSIM_DATA``, else ``<repository>/data/raw``. A missing file raises
``FileNotFoundError`` naming the exact path expected and where to obtain it.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import ArrayDataset, check_int, check_split
from ..runtime import data_dir

__all__ = ["data_root", "load_cifar10", "load_mnist", "load_svhn"]



def data_root(root=None):
    """The directory real datasets are read from.

    Parameters
    ----------
    root : str or path-like, optional
        Explicit directory; otherwise ``$NETSIM_DATA``, otherwise ``<repo>/data/raw``.

    Returns
    -------
    pathlib.Path
    """
    if root is not None:
        return Path(root)
    return Path(os.environ.get("NETSIM_DATA") or data_dir() / "raw")


def load_cifar10(split="train", *, root=None, limit=None, verify=True):
    """CIFAR-10 from ``<root>/cifar-10-batches-py/`` (the python pickle batches).

    Parameters
    ----------
    split : {"train", "test"}
    root : str or path-like, optional
        Data root, see :func:`data_root`.
    limit : int, optional
        Keep only the first ``limit`` images.
    verify : bool
        Check torchvision's md5 sums of the files; ``False`` only checks they exist
        (for files written locally, e.g. in tests).

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, 3, 32, 32), float32 in [0, 1]; 10 classes.
    """
    check_split(split)
    folder = data_root(root) / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    _require(
        [folder / name for name in names],
        "download cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html "
        f"and extract it into {folder.parent}",
    )
    dataset = _verified(_cifar10_class(verify), verify, folder.parent, train=split == "train")
    x = dataset.data.transpose(0, 3, 1, 2)  # torchvision keeps CIFAR as (n, H, W, C)
    return _to_dataset(x, dataset.targets, tuple(dataset.classes), f"cifar10/{split}", limit)


def load_mnist(split="train", *, root=None, limit=None):
    """MNIST from the uncompressed idx files in ``<root>/MNIST/raw/``.

    torchvision checks only that the four raw files exist (no md5 sums).

    Parameters
    ----------
    split : {"train", "test"}
    root : str or path-like, optional
        Data root, see :func:`data_root`.
    limit : int, optional
        Keep only the first ``limit`` images.

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, 1, 28, 28), float32 in [0, 1]; 10 classes.
    """
    from torchvision.datasets import MNIST

    check_split(split)
    folder = data_root(root) / "MNIST" / "raw"
    kinds = ("images-idx3-ubyte", "labels-idx1-ubyte")
    names = [f"{prefix}-{kind}" for prefix in ("train", "t10k") for kind in kinds]
    _require(
        [folder / name for name in names],
        "download the four *-ubyte.gz files of MNIST (e.g. from "
        f"https://ossci-datasets.s3.amazonaws.com/mnist/) and gunzip them into {folder}",
    )
    dataset = MNIST(folder.parent.parent, train=split == "train", download=False)
    x = dataset.data.numpy()[:, None]
    return _to_dataset(x, dataset.targets.numpy(), tuple(str(d) for d in range(10)), f"mnist/{split}", limit)


def load_svhn(split="train", *, root=None, limit=None, verify=True):
    """SVHN (cropped digits) from ``<root>/<split>_32x32.mat``.

    Label 10 of the files (digit 0) becomes 0, as torchvision does.

    Parameters
    ----------
    split : {"train", "test", "extra"}
    root : str or path-like, optional
        Data root, see :func:`data_root`.
    limit : int, optional
        Keep only the first ``limit`` images.
    verify : bool
        Check torchvision's md5 sum of the file; ``False`` only checks it exists.

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, 3, 32, 32), float32 in [0, 1]; 10 classes.
    """
    check_split(split, ("train", "test", "extra"))
    path = data_root(root) / f"{split}_32x32.mat"
    _require([path], f"download http://ufldl.stanford.edu/housenumbers/{path.name} into {path.parent}")
    dataset = _verified(_svhn_class(verify), verify, path.parent, split=split)
    return _to_dataset(dataset.data, dataset.labels, tuple(str(d) for d in range(10)), f"svhn/{split}", limit)


def _require(paths, how):
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"missing dataset file(s): {', '.join(missing)}; to obtain them, {how}")


def _verified(cls, verify, root, **kwargs):
    """Instantiate a torchvision dataset, explaining a failed md5 check."""
    try:
        return cls(root, download=False, **kwargs)
    except RuntimeError as error:
        if not verify:
            raise
        raise RuntimeError(
            f"{cls.__name__} files under {root} exist but failed torchvision's md5 check "
            "(corrupted or not the official files); re-download them, or pass verify=False "
            "for files made locally"
        ) from error


# torchvision's CIFAR10 and SVHN compare md5 sums of every file; the unverified
# variants override the class attributes holding the sums with None, which makes
# torchvision's own check_integrity test existence only. The reading code stays
# torchvision's.


def _cifar10_class(verify):
    from torchvision.datasets import CIFAR10

    if verify:
        return CIFAR10

    class UnverifiedCIFAR10(CIFAR10):
        train_list = [[name, None] for name, _ in CIFAR10.train_list]
        test_list = [[name, None] for name, _ in CIFAR10.test_list]
        meta = {**CIFAR10.meta, "md5": None}

    return UnverifiedCIFAR10


def _svhn_class(verify):
    from torchvision.datasets import SVHN

    if verify:
        return SVHN

    class UnverifiedSVHN(SVHN):
        split_list = {key: [url, name, None] for key, (url, name, _) in SVHN.split_list.items()}

    return UnverifiedSVHN


def _to_dataset(images, labels, class_names, name, limit):
    """ArrayDataset from uint8 images (n, C, H, W) and labels (n,), first ``limit`` rows."""
    if limit is not None:
        limit = check_int(limit, "limit", minimum=1)
    rows = slice(None, limit)
    x = np.asarray(images[rows], dtype=np.float32) / 255.0
    y = np.asarray(labels, dtype=np.int64)[rows]
    return ArrayDataset(x=x, y=y.copy(), num_classes=10, name=name, class_names=class_names)
