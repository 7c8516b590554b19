"""Batch augmentations for training, in torch, deterministic given a torch.Generator."""
from __future__ import annotations

from .base import check_int, check_real

__all__ = ["AUGMENTATIONS", "make_augmentation"]

AUGMENTATIONS = ("none", "shift_noise", "crop_flip", "signal_views", "image_views")


def make_augmentation(name, **options):
    """A batch augmentation ``f(x, generator) -> x_augmented``.

    Random draws come from ``generator`` only (on its own device, then moved to the
    batch's), so a generator in the same state gives the same output.

    Parameters
    ----------
    name : {None, "none", "shift_noise", "crop_flip", "signal_views", "image_views"}
        ``"shift_noise"``: circular shift of the last axis by an integer in
        ``[-max_shift, max_shift]`` per sample, plus ``N(0, noise^2)`` noise (the
        MNIST-1D augmentation of the thesis; options ``max_shift=3``, ``noise=0.05``).
        ``"crop_flip"``: zero-pad by ``pad`` (default 4), crop back to the original
        size at a random offset and flip horizontally with probability 1/2 (``flip=True``,
        the default), per sample (for images of shape (b, C, H, W)).
        ``"signal_views"``: random views of 1-D signals for contrastive and
        semi-supervised objectives (:class:`SignalViews`): crop-and-resize, circular
        shift, amplitude scaling and Gaussian noise; the defaults are the SimCLR-lite
        views of STUDIES B.4 (shift +-5, amplitude 0.8-1.2, noise 0.1, crops keeping at
        least 75% of the length).
        ``"image_views"``: random views of images (:class:`ImageViews`): a random
        resized square crop, a horizontal flip with probability 1/2 and Gaussian noise.
    **options
        The options of the chosen augmentation.

    Returns
    -------
    callable
        ``f(x, generator)`` with ``x`` a tensor of shape (b, ..., L) for
        ``"shift_noise"`` and ``"signal_views"`` or (b, C, H, W) for ``"crop_flip"`` and
        ``"image_views"``; returns a new tensor of the same shape, dtype and device.
    """
    name = "none" if name is None else name
    if name not in AUGMENTATIONS:
        raise ValueError(f"augmentation name must be None or one of {AUGMENTATIONS}, got {name!r}")
    factory = {"none": _Identity, "shift_noise": ShiftNoise, "crop_flip": CropFlip,
               "signal_views": SignalViews, "image_views": ImageViews}[name]
    try:
        return factory(**options)
    except TypeError as error:
        raise TypeError(f"invalid options {sorted(options)} for augmentation {name!r}: {error}") from None


class _Identity:
    def __call__(self, x, generator):
        return x

    def __repr__(self):
        return "Identity()"


class ShiftNoise:
    """Per-sample circular shift of the last axis plus Gaussian noise."""

    def __init__(self, max_shift=3, noise=0.05):
        self.max_shift = check_int(max_shift, "max_shift", minimum=0)
        self.noise = check_real(noise, "noise", minimum=0.0)

    def __call__(self, x, generator):
        import torch

        length = x.shape[-1]
        shift = torch.randint(-self.max_shift, self.max_shift + 1, (x.shape[0],), generator=generator,
                              device=generator.device).to(x.device)
        # out[..., i] = x[..., (i - shift) mod L], a per-sample torch.roll.
        index = (torch.arange(length, device=x.device) - shift[:, None]) % length
        out = torch.gather(x, -1, index.view(x.shape[0], *[1] * (x.dim() - 2), length).expand_as(x))
        if self.noise > 0:
            out = out + self.noise * torch.randn(x.shape, generator=generator, device=generator.device,
                                                 dtype=x.dtype).to(x.device)
        return out

    def __repr__(self):
        return f"ShiftNoise(max_shift={self.max_shift}, noise={self.noise})"


class CropFlip:
    """Zero-pad, random crop back to size, random horizontal flip (per sample; ``flip=False``
    keeps the orientation, for images such as digits whose mirror image is another class)."""

    def __init__(self, pad=4, flip=True):
        self.pad = check_int(pad, "pad", minimum=0)
        if not isinstance(flip, bool):
            raise ValueError(f"flip must be a bool, got {flip!r}")
        self.flip = flip

    def __call__(self, x, generator):
        import torch

        if x.dim() != 4:
            raise ValueError(f"crop_flip needs images of shape (b, C, H, W), got shape {tuple(x.shape)}")
        b, _, height, width = x.shape
        draw = dict(generator=generator, device=generator.device)
        top = torch.randint(0, 2 * self.pad + 1, (b,), **draw).to(x.device)
        left = torch.randint(0, 2 * self.pad + 1, (b,), **draw).to(x.device)
        flip = (torch.rand(b, **draw) < 0.5).to(x.device) & self.flip  # drawn either way: same stream
        padded = torch.nn.functional.pad(x, (self.pad,) * 4)
        rows = top[:, None] + torch.arange(height, device=x.device)  # (b, H)
        cols = left[:, None] + torch.arange(width, device=x.device)  # (b, W)
        cols = torch.where(flip[:, None], cols.flip(1), cols)  # flipping = reading columns backwards
        batch = torch.arange(b, device=x.device)[:, None, None]
        # Advanced indexing on (b, H', W', C) gives (b, H, W, C).
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()

    def __repr__(self):
        return f"CropFlip(pad={self.pad}, flip={self.flip})"


def _check_amplitude(amplitude):
    values = tuple(amplitude) if isinstance(amplitude, (tuple, list)) else None
    if values is None or len(values) != 2:
        raise ValueError(f"amplitude must be a pair (low, high), got {amplitude!r}")
    low, high = (check_real(v, "amplitude", minimum=0.0, strict_minimum=True) for v in values)
    if low > high:
        raise ValueError(f"amplitude must have low <= high, got {amplitude!r}")
    return low, high


class SignalViews:
    """Random views of 1-D signals (b, ..., L), drawn per sample in this order.

    1. Crop-and-resize (when ``crop < 1``): keep a window of a fraction ``f ~ U[crop, 1]``
       of the length at a uniform position and stretch it back to ``L`` points by linear
       interpolation.
    2. Circular shift of the last axis by an integer in ``[-max_shift, max_shift]``.
    3. Multiplication by an amplitude ``a ~ U[amplitude]``.
    4. Additive ``N(0, noise^2)`` noise.

    A step whose setting makes it the identity (``crop=1``, ``max_shift=0``,
    ``amplitude=(1, 1)``, ``noise=0``) is skipped and draws nothing, so for instance
    ``SignalViews(crop=1, amplitude=(1, 1), noise=0)`` is a pure shift (the weak view of
    FixMatch-lite) and ``SignalViews(crop=1)`` is shift + scale + noise (its strong view).

    Parameters
    ----------
    max_shift : int >= 0, default 5
    amplitude : (low, high) with 0 < low <= high, default (0.8, 1.2)
    noise : float >= 0, default 0.1
    crop : float in (0, 1], default 0.75
        Smallest fraction of the length a crop keeps (a choice: B.4 names the
        transformation, not its range).
    """

    def __init__(self, max_shift=5, amplitude=(0.8, 1.2), noise=0.1, crop=0.75):
        self.max_shift = check_int(max_shift, "max_shift", minimum=0)
        self.amplitude = _check_amplitude(amplitude)
        self.noise = check_real(noise, "noise", minimum=0.0)
        self.crop = check_real(crop, "crop", minimum=0.0, maximum=1.0, strict_minimum=True)

    def __call__(self, x, generator):
        import torch

        b, length = x.shape[0], x.shape[-1]
        draw = dict(generator=generator, device=generator.device)
        out = x
        if self.crop < 1:
            if length < 2:
                raise ValueError(f"signal_views crops need signals of length >= 2, got shape {tuple(x.shape)}")
            fraction = self.crop + (1 - self.crop) * torch.rand(b, **draw)
            start = (1 - fraction) * torch.rand(b, **draw)
            # Sample positions p_i = (start + fraction * i / (L - 1)) * (L - 1) in [0, L - 1].
            grid = torch.linspace(0, 1, length, device=generator.device)
            position = ((start[:, None] + fraction[:, None] * grid) * (length - 1)).to(x.device, x.dtype)
            low = position.floor().long().clamp(0, length - 2)
            weight = position - low
            shape = (b, *[1] * (x.dim() - 2), length)
            lo, hi = (torch.gather(out, -1, i.view(shape).expand_as(out)) for i in (low, low + 1))
            out = lo + weight.view(shape) * (hi - lo)
        if self.max_shift > 0:
            shift = torch.randint(-self.max_shift, self.max_shift + 1, (b,), **draw).to(x.device)
            index = (torch.arange(length, device=x.device) - shift[:, None]) % length
            out = torch.gather(out, -1, index.view(b, *[1] * (x.dim() - 2), length).expand_as(out))
        low, high = self.amplitude
        if (low, high) != (1.0, 1.0):
            scale = low + (high - low) * torch.rand(b, **draw)
            out = out * scale.to(x.device, x.dtype).view(b, *[1] * (x.dim() - 1))
        if self.noise > 0:
            out = out + self.noise * torch.randn(x.shape, generator=generator, device=generator.device,
                                                 dtype=x.dtype).to(x.device)
        return out if out is not x else x.clone()

    def __repr__(self):
        return (f"SignalViews(max_shift={self.max_shift}, amplitude={self.amplitude}, noise={self.noise}, "
                f"crop={self.crop})")


class ImageViews:
    """Random views of images (b, C, H, W), drawn per sample in this order.

    1. Random resized crop: a window of side fraction ``f ~ U[crop, 1]`` of the image (the
       same fraction for height and width) at a uniform position inside the image,
       resampled bilinearly to (H, W) (``grid_sample``, borders replicated).
    2. Horizontal flip with probability 1/2 (when ``flip``).
    3. Additive ``N(0, noise^2)`` noise.

    Parameters
    ----------
    crop : float in (0, 1], default 0.6
        Smallest side fraction of a crop; 1 keeps the whole image (no resampling).
    flip : bool, default True
    noise : float >= 0, default 0.05
    """

    def __init__(self, crop=0.6, flip=True, noise=0.05):
        self.crop = check_real(crop, "crop", minimum=0.0, maximum=1.0, strict_minimum=True)
        if not isinstance(flip, bool):
            raise ValueError(f"flip must be True or False, got {flip!r}")
        self.flip = flip
        self.noise = check_real(noise, "noise", minimum=0.0)

    def __call__(self, x, generator):
        import torch

        if x.dim() != 4:
            raise ValueError(f"image_views needs images of shape (b, C, H, W), got shape {tuple(x.shape)}")
        b = x.shape[0]
        draw = dict(generator=generator, device=generator.device)
        out = x
        if self.crop < 1:
            fraction = self.crop + (1 - self.crop) * torch.rand(b, **draw)
            # Centre of the window in normalised coordinates, so that it stays inside the image.
            centre = (1 - fraction)[:, None] * (2 * torch.rand(b, 2, **draw) - 1)
            theta = torch.zeros(b, 2, 3)
            theta[:, 0, 0] = fraction
            theta[:, 1, 1] = fraction
            theta[:, :, 2] = centre
            grid = torch.nn.functional.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
            out = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                                  align_corners=False)
        if self.flip:
            flip = (torch.rand(b, **draw) < 0.5).to(x.device)
            out = torch.where(flip[:, None, None, None], out.flip(-1), out)
        if self.noise > 0:
            out = out + self.noise * torch.randn(x.shape, generator=generator, device=generator.device,
                                                 dtype=x.dtype).to(x.device)
        return out if out is not x else x.clone()

    def __repr__(self):
        return f"ImageViews(crop={self.crop}, flip={self.flip}, noise={self.noise})"
