"""Images as plain pixels for the terminal: raw [0, 1] tensors -> rows of RGB tuples, shrunk to a side."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tui_trainer.core.spec.robustness import Pixels


def _shrunk(image: torch.Tensor, side: int) -> torch.Tensor:
    """(C, H, W) averaged down so that neither side exceeds `side` pixels."""
    factor = max(1, -(-max(image.shape[-2:]) // side))
    if factor == 1:
        return image
    return F.avg_pool2d(image[None].float(), factor, ceil_mode=True)[0]


def pixels(image: torch.Tensor, side: int) -> Pixels:
    """A (C, H, W) image in [0, 1] as rows of RGB pixels (0-255), grey images repeated over the channels: the
    true brightness, not stretched, so a brighter or darker corruption shows as such."""
    small = (_shrunk(image.detach().cpu(), side).clamp(0.0, 1.0) * 255).round().to(torch.uint8)
    if small.shape[0] != 3:
        small = small[:1].expand(3, -1, -1)
    return tuple(tuple(tuple(p) for p in row) for row in small.permute(1, 2, 0).tolist())


def perturbation_pixels(delta: torch.Tensor, eps: float, side: int) -> Pixels:
    """A perturbation (C, H, W) in [-eps, eps] drawn grey where it is 0, white at +eps, black at -eps."""
    return pixels(0.5 + delta / (2 * eps if eps > 0 else 1.0), side)
