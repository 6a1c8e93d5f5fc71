"""Corruptions of unseen data at five severities (MNIST-C / CIFAR-10-C in spirit), computed with torch.

Images are corrupted in raw pixels u in [0, 1] and stay there; feature rows in standard deviations. Every
corruption keeps the batch's shape, is seeded by the generator it is given, and is the identity at severity 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from tui_trainer.core.spec.robustness import CORRUPTIONS, SEVERITIES

LEVELS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.08, 0.12, 0.18, 0.26, 0.38),  # noise standard deviation, in pixel scale
    "shot_noise": (60.0, 25.0, 12.0, 5.0, 3.0),  # photons of a full-intensity pixel (fewer: noisier)
    "impulse_noise": (0.03, 0.06, 0.09, 0.17, 0.27),  # share of pixels set to 0 or 1
    "blur": (0.02, 0.03, 0.045, 0.06, 0.08),  # Gaussian sigma as a share of the image's side (0.56-2.2 px at 28)
    "rotation": (10.0, 20.0, 30.0, 45.0, 60.0),  # degrees, either way at random (2-D points: one way)
    "translation": (0.05, 0.1, 0.15, 0.2, 0.25),  # share of the side, in a random direction
    "scale": (0.9, 0.8, 0.7, 0.6, 0.5),  # the image's new size (zoomed out about the centre)
    "brightness": (0.1, 0.2, 0.3, 0.4, 0.5),  # added to every pixel
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),  # the distance to the image's mean kept
    "inversion": (0.2, 0.4, 0.6, 0.8, 1.0),  # the blend towards 1 - u
    "occlusion": (0.15, 0.25, 0.35, 0.45, 0.55),  # the black square's side, as a share of the image's
    "feature_noise": (0.1, 0.25, 0.5, 0.75, 1.0),  # noise standard deviation, in standard deviations
    "shift": (0.25, 0.5, 1.0, 1.5, 2.0),  # how far every sample moves, in standard deviations
}
"""Each corruption's parameter at severities 1-5."""


class CorruptionError(ValueError):
    """A corruption that cannot apply to these inputs (rotation of tabular data): one line for users."""


def _rand(shape: tuple[int, ...], generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    return torch.rand(shape, generator=generator, device=generator.device).to(like.device, like.dtype)


def _randn(shape: tuple[int, ...], generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=generator.device).to(like.device, like.dtype)


def _affine(u: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample images through per-image 2x3 affine maps (output -> input coordinates), black outside."""
    grid = F.affine_grid(theta, list(u.shape), align_corners=False)
    return F.grid_sample(u, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0.0, 1.0)


def _maps(n: int, like: torch.Tensor) -> torch.Tensor:
    theta = torch.zeros(n, 2, 3, device=like.device, dtype=like.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    return theta


def _signs(n: int, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    return torch.where(_rand((n,), generator, like) < 0.5, -1.0, 1.0).to(like.dtype)


def gaussian_noise(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    return (u + level * _randn(tuple(u.shape), g, u)).clamp(0.0, 1.0)


def shot_noise(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    counts = torch.poisson((u * level).cpu().float(), generator=g if g.device.type == "cpu" else None)
    return (counts.to(u.device, u.dtype) / level).clamp(0.0, 1.0)


def impulse_noise(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    hit = _rand(tuple(u.shape), g, u) < level
    salt = (_rand(tuple(u.shape), g, u) < 0.5).to(u.dtype)
    return torch.where(hit, salt, u)


def blur(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    sigma = max(0.3, level * max(u.shape[-2:]))
    radius = max(1, math.ceil(2 * sigma))
    offsets = torch.arange(-radius, radius + 1, device=u.device, dtype=u.dtype)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    c = u.shape[1]
    out = u
    for shape, pad in (((1, 1, 1, -1), (radius, radius, 0, 0)), ((1, 1, -1, 1), (0, 0, radius, radius))):
        weight = kernel.reshape(shape).expand(c, 1, *kernel.reshape(shape).shape[2:])
        mode = "reflect" if radius < min(u.shape[-2:]) else "replicate"
        out = F.conv2d(F.pad(out, pad, mode=mode), weight, groups=c)
    return out.clamp(0.0, 1.0)


def rotation(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    if u.dim() == 2:  # 2-D points, about the training mean (the origin once normalised): one way for all
        angle = math.radians(level)
        turn = torch.tensor(
            [[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]], device=u.device, dtype=u.dtype
        )
        return u @ turn
    angles = torch.deg2rad(level * _signs(len(u), g, u))
    theta = _maps(len(u), u)
    theta[:, 0, 0], theta[:, 0, 1] = torch.cos(angles), -torch.sin(angles)
    theta[:, 1, 0], theta[:, 1, 1] = torch.sin(angles), torch.cos(angles)
    return _affine(u, theta)


def translation(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    direction = _rand((len(u),), g, u) * (2 * math.pi)
    theta = _maps(len(u), u)
    theta[:, 0, 2] = 2 * level * torch.cos(direction)  # grid coordinates span 2 per side
    theta[:, 1, 2] = 2 * level * torch.sin(direction)
    return _affine(u, theta)


def scale(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    theta = _maps(len(u), u) / level
    return _affine(u, theta)


def brightness(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    return (u + level).clamp(0.0, 1.0)


def contrast(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    mean = u.mean(dim=(1, 2, 3), keepdim=True)
    return ((u - mean) * level + mean).clamp(0.0, 1.0)


def inversion(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    return ((1 - level) * u + level * (1 - u)).clamp(0.0, 1.0)


def occlusion(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    n, _, h, w = u.shape
    side_h, side_w = max(1, round(level * h)), max(1, round(level * w))
    top = (_rand((n,), g, u) * (h - side_h + 1)).floor().long().clamp(max=h - side_h)
    left = (_rand((n,), g, u) * (w - side_w + 1)).floor().long().clamp(max=w - side_w)
    rows = torch.arange(h, device=u.device)[None, :, None]
    cols = torch.arange(w, device=u.device)[None, None, :]
    inside = (rows >= top[:, None, None]) & (rows < (top + side_h)[:, None, None])
    inside = inside & (cols >= left[:, None, None]) & (cols < (left + side_w)[:, None, None])
    return torch.where(inside[:, None], torch.zeros((), device=u.device, dtype=u.dtype), u)


def feature_noise(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    return u + level * _randn(tuple(u.shape), g, u)


def shift(u: torch.Tensor, level: float, g: torch.Generator) -> torch.Tensor:
    """Every sample moved by `level` standard deviations along one seeded random direction."""
    direction = _randn((u.shape[1],), g, u)
    return u + level * direction / direction.norm().clamp_min(1e-12)


FUNCTIONS: dict[str, Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]] = {
    "gaussian_noise": gaussian_noise,
    "shot_noise": shot_noise,
    "impulse_noise": impulse_noise,
    "blur": blur,
    "rotation": rotation,
    "translation": translation,
    "scale": scale,
    "brightness": brightness,
    "contrast": contrast,
    "inversion": inversion,
    "occlusion": occlusion,
    "feature_noise": feature_noise,
    "shift": shift,
}


def corrupt(name: str, u: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """u under corruption `name` at severity 0-5 (0: u itself); raw units, the same shape.

    Images (N, C, H, W) stay in [0, 1]; feature rows (N, F) are in standard deviations. CorruptionError for a
    corruption that cannot apply to the inputs (an image corruption on feature rows, rotation of other than
    two features)."""
    if name not in FUNCTIONS:
        raise CorruptionError(f"unknown corruption {name!r}: choose from {', '.join(CORRUPTIONS)}")
    if severity not in (0, *SEVERITIES):
        raise CorruptionError(f"severity must be 0 to {SEVERITIES[-1]}, not {severity}")
    kinds = CORRUPTIONS[name][1]
    image = u.dim() == 4
    kind = "image" if image else ("2d" if u.dim() == 2 and u.shape[1] == 2 else "features")
    if u.dim() not in (2, 4) or kind not in kinds:
        what = "images" if image else f"rows of {u.shape[-1]} features"
        raise CorruptionError(f"the corruption {name} cannot apply to {what}")
    if severity == 0:
        return u
    return FUNCTIONS[name](u, LEVELS[name][severity - 1], generator)
