"""Batch augmentations for training, in torch, deterministic given a torch.Generator."""
from __future__ import annotations

from .base import check_int, check_real

__all__ = ["AUGMENTATIONS", "make_augmentation"]

AUGMENTATIONS = ("none", "shift_noise", "crop_flip")


def make_augmentation(name, **options):
    """A batch augmentation ``f(x, generator) -> x_augmented``.

    Random draws come from ``generator`` only (on its own device, then moved to the
    batch's), so a generator in the same state gives the same output.

    Parameters
    ----------
    name : {None, "none", "shift_noise", "crop_flip"}
        ``"shift_noise"``: circular shift of the last axis by an integer in
        ``[-max_shift, max_shift]`` per sample, plus ``N(0, noise^2)`` noise (the
        MNIST-1D augmentation of the thesis; options ``max_shift=3``, ``noise=0.05``).
        ``"crop_flip"``: zero-pad by ``pad`` (default 4), crop back to the original
        size at a random offset and flip horizontally with probability 1/2, per sample
        (for images of shape (b, C, H, W)).
    **options
        The options of the chosen augmentation.

    Returns
    -------
    callable
        ``f(x, generator)`` with ``x`` a tensor of shape (b, ..., L) for
        ``"shift_noise"`` or (b, C, H, W) for ``"crop_flip"``; returns a new tensor of
        the same shape, dtype and device.
    """
    name = "none" if name is None else name
    if name not in AUGMENTATIONS:
        raise ValueError(f"augmentation name must be None or one of {AUGMENTATIONS}, got {name!r}")
    factory = {"none": _Identity, "shift_noise": ShiftNoise, "crop_flip": CropFlip}[name]
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
    """Zero-pad, random crop back to size, random horizontal flip (per sample)."""

    def __init__(self, pad=4):
        self.pad = check_int(pad, "pad", minimum=0)

    def __call__(self, x, generator):
        import torch

        if x.dim() != 4:
            raise ValueError(f"crop_flip needs images of shape (b, C, H, W), got shape {tuple(x.shape)}")
        b, _, height, width = x.shape
        draw = dict(generator=generator, device=generator.device)
        top = torch.randint(0, 2 * self.pad + 1, (b,), **draw).to(x.device)
        left = torch.randint(0, 2 * self.pad + 1, (b,), **draw).to(x.device)
        flip = (torch.rand(b, **draw) < 0.5).to(x.device)
        padded = torch.nn.functional.pad(x, (self.pad,) * 4)
        rows = top[:, None] + torch.arange(height, device=x.device)  # (b, H)
        cols = left[:, None] + torch.arange(width, device=x.device)  # (b, W)
        cols = torch.where(flip[:, None], cols.flip(1), cols)  # flipping = reading columns backwards
        batch = torch.arange(b, device=x.device)[:, None, None]
        # Advanced indexing on (b, H', W', C) gives (b, H, W, C).
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()

    def __repr__(self):
        return f"CropFlip(pad={self.pad})"
