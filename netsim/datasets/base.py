"""The in-memory dataset type and the validation helpers shared by every loader."""
from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

__all__ = ["ArrayDataset", "SPLITS"]

SPLITS = ("train", "test")


@dataclass(frozen=True, eq=False)
class ArrayDataset:
    """A labelled dataset held in memory as numpy arrays.

    ``eq=False`` keeps identity comparison and hashing: field-wise ``==`` on arrays is
    ambiguous.

    Parameters
    ----------
    x : ndarray of shape (n, *input_shape), float32
        Inputs; images and sequences are channels-first, e.g. (n, 3, 32, 32) or (n, 1, 40).
    y : ndarray of shape (n,), int64
        Labels in ``[0, num_classes)``.
    num_classes : int
        Number of classes (some may be absent from a subset).
    name : str
        Human-readable description, e.g. ``"sprites/shape/plain/train"``.
    factors : dict of str to ndarray of shape (n,), optional
        Per-sample latent factors (for instance the sprite shape index, scale, position).
    class_names : tuple of str, optional
        One name per class, ``len(class_names) == num_classes``.
    """

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    name: str
    factors: dict[str, np.ndarray] | None = None
    class_names: tuple[str, ...] | None = None

    def __post_init__(self):
        x, y = np.asarray(self.x), np.asarray(self.y)
        if x.ndim < 2:
            raise ValueError(f"x must have shape (n, *input_shape), got shape {x.shape}")
        if y.shape != (x.shape[0],):
            raise ValueError(f"y must have shape ({x.shape[0]},) to match x, got {y.shape}")
        if x.dtype != np.float32:
            raise TypeError(f"x must be float32, got {x.dtype}")
        if y.dtype != np.int64:
            raise TypeError(f"y must be int64, got {y.dtype}")
        check_int(self.num_classes, "num_classes", minimum=1)
        if y.size and (y.min() < 0 or y.max() >= self.num_classes):
            raise ValueError(f"y must lie in [0, {self.num_classes}), got [{y.min()}, {y.max()}]")
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise ValueError(
                f"class_names must have num_classes={self.num_classes} entries, "
                f"got {len(self.class_names)}"
            )
        for key, value in (self.factors or {}).items():
            if np.shape(value) != (x.shape[0],):
                raise ValueError(f"factors[{key!r}] must have shape ({x.shape[0]},), got {np.shape(value)}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input, ``x.shape[1:]``."""
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return (
            f"ArrayDataset(name={self.name!r}, n={len(self)}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes})"
        )

    def subset(self, index) -> ArrayDataset:
        """Rows selected by ``index``; factors are subset alongside.

        Parameters
        ----------
        index : slice, int array of shape (m,) or bool array of shape (n,)
            Which rows to keep, in the given order.

        Returns
        -------
        ArrayDataset
            A dataset of m rows with copied arrays.
        """
        if not isinstance(index, slice):
            index = np.asarray(index)
            if index.dtype == bool and index.shape != (len(self),):
                raise ValueError(f"a boolean index must have shape ({len(self)},), got {index.shape}")
            if index.dtype != bool and not np.issubdtype(index.dtype, np.integer):
                raise TypeError(f"index must be a slice, integer or boolean array, got dtype {index.dtype}")
        factors = None if self.factors is None else {k: v[index].copy() for k, v in self.factors.items()}
        return dataclasses.replace(self, x=self.x[index].copy(), y=self.y[index].copy(), factors=factors)

    def relabel(self, y, num_classes, name=None, class_names=None) -> ArrayDataset:
        """The same inputs (shared, not copied) with new labels.

        Parameters
        ----------
        y : array-like of shape (n,), integer or bool
            New labels in ``[0, num_classes)``.
        num_classes : int
            Number of classes of the new labelling.
        name : str, optional
            New name; defaults to the current one.
        class_names : tuple of str, optional
            Names of the new classes.

        Returns
        -------
        ArrayDataset
        """
        y = np.asarray(y)
        if y.size and not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
            raise TypeError(f"y must hold integer labels, got dtype {y.dtype}")
        return dataclasses.replace(
            self,
            y=y.astype(np.int64),
            num_classes=num_classes,
            name=self.name if name is None else name,
            class_names=None if class_names is None else tuple(class_names),
        )

    def stratified_subset(self, n, seed) -> ArrayDataset:
        """A deterministic subset of ``n`` rows with classes as balanced as possible.

        Every class contributes ``n // num_present`` rows or one more; a class with too
        few rows gives all of them and the others make up the difference.

        Parameters
        ----------
        n : int
            Number of rows, ``0 <= n <= len(self)``.
        seed : int
            Seed of the draw; the same seed gives the same rows.

        Returns
        -------
        ArrayDataset
            ``n`` rows in their original order.
        """
        check_int(n, "n", minimum=0, maximum=len(self))
        check_int(seed, "seed", minimum=0)
        rng = np.random.default_rng(seed)
        # Rank each row inside its class at random; taking the n smallest
        # (rank, class tie-break) keys fills the classes round-robin.
        rank = np.empty(len(self), dtype=np.int64)
        for label in np.unique(self.y):
            members = np.flatnonzero(self.y == label)
            rank[members[rng.permutation(members.size)]] = np.arange(members.size)
        tie_break = rng.permutation(self.num_classes)[self.y]
        keys = rank * self.num_classes + tie_break
        return self.subset(np.sort(np.argsort(keys, kind="stable")[:n]))


# --------------------------------------------------------------------------- helpers


def check_int(value, name, *, minimum=None, maximum=None):
    """Validate an integer option and return it as ``int``; bool is rejected."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def check_real(value, name, *, minimum=None, maximum=None, strict_minimum=False):
    """Validate a finite real option and return it as ``float``."""
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict_minimum else '>='} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return float(value)


def check_choice(value, name, choices):
    """Validate that ``value`` is one of ``choices`` and return it."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_split(split, splits=SPLITS):
    """Validate a split name."""
    return check_choice(split, "split", splits)


def make_rng(seed, *tags):
    """A numpy Generator seeded by ``seed`` and string tags (dataset, split, purpose).

    Tags are hashed with CRC-32, stable across processes, so a stream depends only on
    its arguments; distinct tags give independent streams.
    """
    check_int(seed, "seed", minimum=0)
    entropy = [seed, *(zlib.crc32(tag.encode()) for tag in tags)]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def balanced_labels(rng, n, k):
    """``n`` draws from ``range(k)`` whose counts differ by at most one, shuffled.

    Returns
    -------
    ndarray of shape (n,), int64
    """
    return rng.permutation(np.arange(n, dtype=np.int64) % k)


def balanced_pairs(rng, n, a, b):
    """``n`` pairs from ``range(a) x range(b)``, balanced jointly and in each coordinate.

    Counts of every pair, of every first and of every second coordinate each differ by
    at most one, whatever ``n``: cells are taken in the order ``k -> (k mod a,
    (k + k // lcm(a, b)) mod b)``, whose every prefix is balanced in both coordinates,
    and then shuffled.

    Returns
    -------
    (ndarray of shape (n,), ndarray of shape (n,)), int64
    """
    k = rng.permutation(np.arange(n, dtype=np.int64) % (a * b))
    return k % a, (k + k // np.lcm(a, b)) % b


def resolve_size(n, n_per_class, num_classes, default_per_class):
    """Total sample count from ``n`` or ``n_per_class`` (at most one may be given)."""
    if n is not None and n_per_class is not None:
        raise ValueError("give at most one of n and n_per_class")
    if n is not None:
        return check_int(n, "n", minimum=1)
    per_class = default_per_class if n_per_class is None else check_int(n_per_class, "n_per_class", minimum=1)
    return per_class * num_classes
