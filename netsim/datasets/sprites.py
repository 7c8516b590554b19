"""Sprites: procedurally drawn shapes with known latent factors, in numpy only.

Every image shows one shape with factors shape, colour, scale, position (x, y),
rotation angle, and a rendering domain (background style). The images do not depend
on the labelling: ``label="shape"`` and ``label="colour"`` with the same seed, split,
``n`` and rendering options give identical inputs, so many tasks share one input space.

Geometry lives in normalised image coordinates, ``[-1, 1]`` across the image, ``x``
to the right and ``y`` downwards (the row direction). Shapes are drawn with signed
distance functions and anti-aliased analytically: a pixel's coverage is a linear ramp
one pixel wide across the edge, which equals area sampling for straight edges and is
an order of magnitude faster than supersampling.
"""
from __future__ import annotations

import numpy as np

from .base import (
    ArrayDataset, balanced_labels, balanced_pairs, check_choice, check_int, check_real, check_split, make_rng,
    resolve_size,
)

__all__ = [
    "SPRITE_HIERARCHY", "SPRITE_SHAPES", "SPRITE_COLOURS", "SPRITE_DOMAINS", "SPRITE_LABELS",
    "SPRITE_TASKS", "sprite_task", "load_sprites",
]

SPRITE_HIERARCHY = {
    "round": {"filled": ("disk", "ellipse"), "outline": ("ring", "ellipse_outline")},
    "angular": {"filled": ("square", "triangle"), "outline": ("square_outline", "triangle_outline")},
}
"""The 3-level class tree of study 5: coarse group -> family -> leaf shapes."""

_HIERARCHY_LEAVES = tuple(
    leaf for families in SPRITE_HIERARCHY.values() for leaves in families.values() for leaf in leaves
)
_EXTRA_SHAPES = ("cross", "star")  # outside the tree; used by 10-class shape tasks

SPRITE_SHAPES = _HIERARCHY_LEAVES + _EXTRA_SHAPES
"""All shape names; a shape's factor value is its index here."""

# Each shape = a filled base outline (signed distance below) drawn filled or as a stroke.
_SHAPE_BASE = {
    "disk": ("circle", False), "ellipse": ("ellipse", False),
    "ring": ("circle", True), "ellipse_outline": ("ellipse", True),
    "square": ("square", False), "triangle": ("triangle", False),
    "square_outline": ("square", True), "triangle_outline": ("triangle", True),
    "cross": ("cross", False), "star": ("star", False),
}

SPRITE_COLOURS = ("red", "green", "blue", "yellow", "magenta", "cyan")
"""Colour names; a colour's factor value is its index here."""

_RGB = np.array(
    [[1.0, 0.15, 0.15], [0.15, 0.85, 0.15], [0.2, 0.35, 1.0],
     [1.0, 0.9, 0.1], [0.95, 0.2, 0.9], [0.1, 0.9, 0.95]],
    dtype=np.float32,
)
# Grey images encode the colour as one of six distinct intensities (luminance would
# make several colours nearly equal).
_GREY = np.linspace(1.0, 0.5, len(SPRITE_COLOURS), dtype=np.float32)[:, None]

SPRITE_DOMAINS = ("plain", "noisy", "gradient", "textured", "inverted")
"""Rendering styles: black background; Gaussian-noise background (mean 0.3, std 0.2);
linear grey ramp in a random direction; sinusoidal stripes of random orientation,
frequency and phase; ``plain`` with every value inverted (``1 - v``)."""

SPRITE_LABELS = ("shape", "colour", "scale", "position", "orientation", "fine", "coarse", "family", "domain")
"""Labellings: ``shape`` (index in ``shapes``), ``colour``, ``scale`` (``bins`` equal bins),
``position`` (``bins x bins`` grid, ``label = row_bin * bins + column_bin``),
``orientation`` (``bins`` bins of ``[0, max_angle)``), ``fine`` (``shape * n_colours +
colour``), ``coarse`` (round / angular), ``family`` (round-filled, round-outline,
angular-filled, angular-outline), ``domain`` (index in ``domain``). ``coarse`` and
``family`` number only the groups present among ``shapes``, in tree order."""

SPRITE_TASKS = (
    "round", "angular", "round_filled", "round_outline", "angular_filled", "angular_outline",
    "random4", "union",
)
"""Study-5 tasks over the hierarchy, see :func:`sprite_task`."""

_STROKE = 0.22       # outline thickness relative to the scale ...
_MIN_STROKE_PX = 1.0  # ... but at least one pixel, so small outlines stay open
_CHUNK_PIXELS = 2**20  # pixels rendered per vectorised chunk (bounds memory)


def sprite_task(task, seed=0):
    """Leaf shapes of a study-5 task.

    Parameters
    ----------
    task : str
        One of :data:`SPRITE_TASKS`: ``"round"`` / ``"angular"`` (4 leaves each), a
        family such as ``"round_filled"`` (2 leaves), ``"random4"`` (2 round + 2 angular
        leaves drawn with ``seed``) or ``"union"`` (all 8 leaves).
    seed : int
        Only used by ``"random4"``.

    Returns
    -------
    tuple of str
        Shape names in :data:`SPRITE_SHAPES` order.
    """
    check_choice(task, "task", SPRITE_TASKS)
    if task == "union":
        return _HIERARCHY_LEAVES
    if task == "random4":
        rng = make_rng(seed, "sprites", "random4")
        picked = {
            leaf for group in ("round", "angular")
            for leaf in rng.choice(_leaves(SPRITE_HIERARCHY[group]), size=2, replace=False)
        }
        return tuple(s for s in _HIERARCHY_LEAVES if s in picked)
    group, _, family = task.partition("_")
    families = SPRITE_HIERARCHY[group]
    return families[family] if family else _leaves(families)


def _leaves(families):
    return tuple(leaf for leaves in families.values() for leaf in leaves)


def load_sprites(
    split="train",
    *,
    seed=0,
    n=None,
    n_per_class=None,
    label="shape",
    shapes=None,
    colours=None,
    domain="plain",
    size=16,
    channels=1,
    noise=0.0,
    bins=3,
    scale_range=(0.35, 0.6),
    position_range=0.35,
    max_angle=90.0,
):
    """Procedural sprite images with latent factors and a chosen labelling.

    Factors are drawn independently of ``label``: (shape, colour) balanced jointly and
    each alone (counts differ by at most one), scale and angle by stratified (Latin
    hypercube) sampling, (x, y) stratified on a 12 x 12 grid, so every labelling is
    balanced or close to it (``position`` within a few percent). Train and test are
    independent draws (different streams of ``seed``). Changing ``domain`` or ``noise``
    keeps the factors; changing ``label`` keeps the images.

    Parameters
    ----------
    split : {"train", "test"}
    seed : int
    n : int, optional
        Number of images.
    n_per_class : int, optional
        Alternatively ``n = n_per_class * num_classes`` of the chosen labelling. Default
        300 per class for train and 100 for test (thesis B.4). Give ``n`` to share
        images between labellings with different class counts.
    label : str
        One of :data:`SPRITE_LABELS`.
    shapes : sequence of str or str, optional
        Leaf shapes to draw (labels follow this order); a task name of
        :func:`sprite_task` (``"random4"`` with its seed 0), or ``"all"`` for the 10 shapes (the 8 of the tree plus
        cross and star). Default: the 8 leaves of :data:`SPRITE_HIERARCHY`.
    colours : sequence of str, optional
        Subset of :data:`SPRITE_COLOURS` (default all 6).
    domain : str or sequence of str
        One of :data:`SPRITE_DOMAINS`, or several to mix (balanced per image).
    size : int >= 8
        Image side in pixels.
    channels : {1, 3}
        1 draws grey images (colour becomes one of six intensities), 3 draws RGB.
    noise : float >= 0
        Standard deviation of Gaussian pixel noise added before clipping to [0, 1].
    bins : int >= 1
        Bins of the ``scale``, ``orientation`` and ``position`` labellings.
    scale_range : (float, float)
        Range of the scale (radius of the disk, in units of half the image side).
    position_range : float in [0, 1)
        Centres are drawn in ``[-position_range, position_range]^2``.
    max_angle : float in [0, 360]
        Rotations are drawn in ``[0, max_angle)`` degrees. The default 90 makes every
        orientation of the square, triangle and ellipse distinct.

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, channels, size, size), float32 in [0, 1]; factors ``shape``
        and ``colour`` (indices into :data:`SPRITE_SHAPES` / :data:`SPRITE_COLOURS`),
        ``scale``, ``x``, ``y``, ``angle`` (degrees) and ``domain`` (index into
        :data:`SPRITE_DOMAINS`).
    """
    check_split(split)
    check_choice(label, "label", SPRITE_LABELS)
    shapes = _check_names(_resolve_shapes(shapes), "shapes", SPRITE_SHAPES)
    colours = _check_names(SPRITE_COLOURS if colours is None else colours, "colours", SPRITE_COLOURS)
    domains = _check_names((domain,) if isinstance(domain, str) else domain, "domain", SPRITE_DOMAINS)
    size = check_int(size, "size", minimum=8)
    check_choice(channels, "channels", (1, 3))
    noise = check_real(noise, "noise", minimum=0.0)
    bins = check_int(bins, "bins", minimum=1)
    scale_range = _check_range(scale_range)
    position_range = check_real(position_range, "position_range", minimum=0.0, maximum=0.99)
    max_angle = check_real(max_angle, "max_angle", minimum=0.0, maximum=360.0)
    if label == "orientation" and max_angle == 0.0:
        raise ValueError("label='orientation' needs max_angle > 0")

    geometry = {"scale_range": scale_range, "position_range": position_range, "max_angle": max_angle}
    labeller = _Labeller(label, shapes, colours, domains, bins, geometry)
    count = resolve_size(n, n_per_class, labeller.num_classes, 300 if split == "train" else 100)
    factor_rng, background_rng, noise_rng = (
        make_rng(seed, "sprites", split, purpose) for purpose in ("factors", "background", "noise")
    )
    factors = _draw_factors(factor_rng, count, shapes, colours, domains, geometry)
    x = _render(factors, size, channels, noise, background_rng, noise_rng)
    return ArrayDataset(
        x=x, y=labeller(factors), num_classes=labeller.num_classes,
        name=f"sprites/{label}/{'+'.join(domains)}/{split}",
        factors=factors, class_names=labeller.class_names,
    )


# --------------------------------------------------------------------------- options


def _resolve_shapes(shapes):
    if shapes is None:
        return _HIERARCHY_LEAVES
    if shapes == "all":
        return SPRITE_SHAPES
    if isinstance(shapes, str):
        if shapes not in SPRITE_TASKS:
            raise ValueError(
                f"shapes given as a string must be 'all' or a task of {SPRITE_TASKS}, got {shapes!r}"
            )
        return sprite_task(shapes)
    return tuple(shapes)


def _check_names(names, argument, valid):
    names = tuple(names)
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        raise ValueError(f"{argument} must be a non-empty subset of {valid}, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{argument} must not repeat names, got {names!r}")
    return names


def _check_range(scale_range):
    if not (isinstance(scale_range, (tuple, list)) and len(scale_range) == 2):
        raise TypeError(f"scale_range must be a pair (low, high), got {scale_range!r}")
    low, high = (check_real(v, "scale_range", minimum=0.05, maximum=1.0) for v in scale_range)
    if low > high:
        raise ValueError(f"scale_range must satisfy low <= high, got {scale_range!r}")
    return (low, high)


# --------------------------------------------------------------------------- factors


def _draw_factors(rng, n, shapes, colours, domains, geometry):
    """Latent factors of ``n`` sprites, each array of shape (n,)."""
    shape, colour = balanced_pairs(rng, n, len(shapes), len(colours))
    # Cycle through the shapes so that any prefix alternates between the tree's
    # groups: the leftover n mod len(shapes) draws then keep coarse and family
    # labels balanced too.
    cycle = sorted(shapes, key=_tree_rank)
    shape_ids = np.array([SPRITE_SHAPES.index(s) for s in cycle])[shape]
    colour_ids = np.array([SPRITE_COLOURS.index(c) for c in colours])[colour]
    domain_ids = np.array([SPRITE_DOMAINS.index(d) for d in domains])[balanced_labels(rng, n, len(domains))]
    low, high = geometry["scale_range"]
    # Centres stratified on a 12 x 12 grid (12 is divisible by 2, 3, 4 and 6 bins).
    column, row = balanced_pairs(rng, n, 12, 12)
    reach = geometry["position_range"]
    return {
        "shape": shape_ids,
        "colour": colour_ids,
        "scale": low + (high - low) * _stratified_unit(rng, n),
        "x": reach * (2.0 * (column + rng.random(n)) / 12.0 - 1.0),
        "y": reach * (2.0 * (row + rng.random(n)) / 12.0 - 1.0),
        "angle": geometry["max_angle"] * _stratified_unit(rng, n),
        "domain": domain_ids,
    }


def _tree_rank(shape):
    """Sort key visiting leaf 0 of every family (alternating groups) before leaf 1."""
    for g, families in enumerate(SPRITE_HIERARCHY.values()):
        for f, leaves in enumerate(families.values()):
            if shape in leaves:
                return (leaves.index(shape), f, g)
    return (len(SPRITE_SHAPES), 0, SPRITE_SHAPES.index(shape))  # outside the tree: last


def _stratified_unit(rng, n):
    """Latin-hypercube draws in [0, 1): one per stratum of width 1/n, shuffled."""
    return (rng.permutation(n) + rng.random(n)) / n


def _bin(values, low, high, bins):
    """Index of the equal-width bin of ``[low, high]`` holding each value."""
    if high <= low:
        return np.zeros(values.shape, dtype=np.int64)
    return np.clip(np.floor((values - low) / (high - low) * bins), 0, bins - 1).astype(np.int64)


class _Labeller:
    """Maps factors to the labels of one labelling; knows the class count and names."""

    def __init__(self, label, shapes, colours, domains, bins, geometry):
        self.label, self.shapes, self.colours, self.domains = label, shapes, colours, domains
        self.bins, self.geometry = bins, geometry
        self.groups = self._groups()  # list of (class name, member shapes) for coarse/family
        self.class_names = self._class_names()
        self.num_classes = len(self.class_names)

    def _groups(self):
        if self.label not in ("coarse", "family"):
            return None
        outside = [s for s in self.shapes if s not in _HIERARCHY_LEAVES]
        if outside:
            raise ValueError(f"label={self.label!r} needs shapes from SPRITE_HIERARCHY, got {outside}")
        groups = []
        for coarse, families in SPRITE_HIERARCHY.items():
            parts = families.items() if self.label == "family" else [("", _leaves(families))]
            for family, leaves in parts:
                members = tuple(s for s in self.shapes if s in leaves)
                if members:
                    groups.append((f"{coarse}_{family}" if family else coarse, members))
        return groups

    def _class_names(self):
        bins = [str(b) for b in range(self.bins)]
        return tuple({
            "shape": lambda: self.shapes,
            "colour": lambda: self.colours,
            "domain": lambda: self.domains,
            "fine": lambda: [f"{s}/{c}" for s in self.shapes for c in self.colours],
            "coarse": lambda: [name for name, _ in self.groups],
            "family": lambda: [name for name, _ in self.groups],
            "scale": lambda: bins,
            "orientation": lambda: bins,
            "position": lambda: [f"row{r}/col{c}" for r in range(self.bins) for c in range(self.bins)],
        }[self.label]())

    def __call__(self, factors):
        """Labels of shape (n,), int64."""
        shape = _local_index(factors["shape"], self.shapes, SPRITE_SHAPES)
        colour = _local_index(factors["colour"], self.colours, SPRITE_COLOURS)
        reach, (low, high) = self.geometry["position_range"], self.geometry["scale_range"]
        if self.label == "shape":
            return shape
        if self.label == "colour":
            return colour
        if self.label == "domain":
            return _local_index(factors["domain"], self.domains, SPRITE_DOMAINS)
        if self.label == "fine":
            return shape * len(self.colours) + colour
        if self.label in ("coarse", "family"):
            group_of = {s: g for g, (_, members) in enumerate(self.groups) for s in members}
            return np.array([group_of[s] for s in self.shapes], dtype=np.int64)[shape]
        if self.label == "scale":
            return _bin(factors["scale"], low, high, self.bins)
        if self.label == "orientation":
            return _bin(factors["angle"], 0.0, self.geometry["max_angle"], self.bins)
        rows = _bin(factors["y"], -reach, reach, self.bins)
        return rows * self.bins + _bin(factors["x"], -reach, reach, self.bins)


def _local_index(global_ids, names, all_names):
    """Position in ``names`` of each factor value (an index into ``all_names``)."""
    lookup = np.full(len(all_names), -1, dtype=np.int64)
    lookup[[all_names.index(name) for name in names]] = np.arange(len(names))
    return lookup[global_ids]


# --------------------------------------------------------------------------- drawing


def _render(factors, size, channels, noise, background_rng, noise_rng):
    """Images of shape (n, channels, size, size), float32 in [0, 1], in chunks.

    Backgrounds and pixel noise draw from separate streams, so changing ``noise``
    leaves the backgrounds unchanged.
    """
    n = len(factors["shape"])
    out = np.empty((n, channels, size, size), dtype=np.float32)
    grid = ((np.arange(size) + 0.5) * (2.0 / size) - 1.0).astype(np.float32)
    palette = _RGB if channels == 3 else _GREY
    chunk = max(1, _CHUNK_PIXELS // (size * size))
    for start in range(0, n, chunk):
        part = {key: value[start:start + chunk] for key, value in factors.items()}
        alpha = _coverage(part, grid)[:, None]
        background = _background(part["domain"], grid, channels, background_rng)
        image = background + (palette[part["colour"]][:, :, None, None] - background) * alpha
        inverted = part["domain"] == SPRITE_DOMAINS.index("inverted")
        image[inverted] = 1.0 - image[inverted]
        if noise > 0:
            image += noise * noise_rng.standard_normal(image.shape, dtype=np.float32)
        out[start:start + chunk] = np.clip(image, 0.0, 1.0)
    return out


def _coverage(factors, grid):
    """Fraction of each pixel covered by the sprite, shape (b, size, size)."""
    pixel = 2.0 / grid.size
    scale = factors["scale"].astype(np.float32)[:, None, None]
    theta = np.deg2rad(factors["angle"]).astype(np.float32)[:, None, None]
    dx = grid[None, None, :] - factors["x"].astype(np.float32)[:, None, None]
    dy = grid[None, :, None] - factors["y"].astype(np.float32)[:, None, None]
    cos, sin = np.cos(theta), np.sin(theta)
    # Pixel positions in each sprite's frame, in units of its scale.
    u = (cos * dx + sin * dy) / scale
    v = (cos * dy - sin * dx) / scale
    alpha = np.empty(u.shape, dtype=np.float32)
    for shape_id in np.unique(factors["shape"]):
        base, outline = _SHAPE_BASE[SPRITE_SHAPES[shape_id]]
        rows = factors["shape"] == shape_id
        distance = _UNIT_SDF[base](u[rows], v[rows]) * scale[rows]
        if outline:
            stroke = np.maximum(_STROKE * scale[rows], _MIN_STROKE_PX * pixel)
            distance = np.abs(distance + stroke / 2) - stroke / 2
        alpha[rows] = np.clip(0.5 - distance / pixel, 0.0, 1.0)
    return alpha


def _background(domain_ids, grid, channels, rng):
    """Backgrounds of shape (b, channels, size, size) for each image's domain."""
    b, size = len(domain_ids), grid.size
    out = np.zeros((b, 1, size, size), dtype=np.float32)
    direction = rng.uniform(0.0, 2 * np.pi, b).astype(np.float32)[:, None, None]
    frequency = rng.uniform(2.0, 4.0, b).astype(np.float32)[:, None, None]  # cycles per image
    phase = rng.uniform(0.0, 2 * np.pi, b).astype(np.float32)[:, None, None]
    ramp = np.cos(direction) * grid[None, None, :] + np.sin(direction) * grid[None, :, None]
    for name, make in (
        ("gradient", lambda rows: 0.3 + 0.3 * ramp[rows] / np.sqrt(2.0)),
        ("textured", lambda rows: 0.2 + 0.15 * np.sin(np.pi * frequency[rows] * ramp[rows] + phase[rows])),
    ):
        rows = domain_ids == SPRITE_DOMAINS.index(name)
        out[rows, 0] = make(rows)
    out = np.repeat(out, channels, axis=1)
    noisy = domain_ids == SPRITE_DOMAINS.index("noisy")
    if noisy.any():
        field = rng.standard_normal((int(noisy.sum()), channels, size, size), dtype=np.float32)
        out[noisy] = np.clip(0.3 + 0.2 * field, 0.0, 1.0)
    return out


# Signed distances (negative inside) of the base outlines at unit scale: the disk has
# radius 1; the others are sized to a similar area and fit in the unit disk's extent.


def _sdf_circle(u, v):
    return np.sqrt(u * u + v * v) - 1.0


def _sdf_ellipse(u, v, a=1.0, b=0.6):
    # First-order distance estimate f / |grad f| of f = |(u/a, v/b)| - 1 (Quilez).
    k0 = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    k1 = np.sqrt((u / a**2) ** 2 + (v / b**2) ** 2)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-6)


def _sdf_box(u, v, half_u, half_v):
    qu, qv = np.abs(u) - half_u, np.abs(v) - half_v
    outside = np.sqrt(np.maximum(qu, 0.0) ** 2 + np.maximum(qv, 0.0) ** 2)
    return outside + np.minimum(np.maximum(qu, qv), 0.0)


def _sdf_square(u, v):
    return _sdf_box(u, v, 0.8, 0.8)


def _sdf_triangle(u, v, circumradius=1.15):
    # Equilateral, apex up: the largest distance past the three edge lines.
    normals = np.deg2rad([90.0, 210.0, 330.0])
    edges = [np.cos(a) * u + np.sin(a) * v for a in normals]
    return np.maximum(np.maximum(edges[0], edges[1]), edges[2]) - circumradius / 2


def _sdf_cross(u, v):
    return np.minimum(_sdf_box(u, v, 1.0, 0.3), _sdf_box(u, v, 0.3, 1.0))


def _sdf_star(u, v, points=5, inner=0.45):
    # Fold the plane into one half-sector and measure past the tip-to-valley edge.
    sector = np.pi / points
    # Angle from the nearest valley: 0 at a valley, ``sector`` at a tip (one tip points up).
    phi = np.abs(np.mod(np.arctan2(u, -v), 2 * sector) - sector)
    radius = np.sqrt(u * u + v * v)
    pu, pv = radius * np.cos(phi), radius * np.sin(phi)
    # Edge from the tip (cos s, sin s) to the valley (inner, 0) in folded coordinates.
    tip = np.array([np.cos(sector), np.sin(sector)])
    edge = tip - np.array([inner, 0.0])
    normal = np.array([edge[1], -edge[0]]) / np.hypot(*edge)
    return (pu - inner) * normal[0] + pv * normal[1]


_UNIT_SDF = {
    "circle": _sdf_circle, "ellipse": _sdf_ellipse, "square": _sdf_square,
    "triangle": _sdf_triangle, "cross": _sdf_cross, "star": _sdf_star,
}
