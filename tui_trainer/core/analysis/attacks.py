"""FGSM and PGD (L-infinity) with eps in the data's raw scale: the normalisation is folded into the attack.

The model sees normalised inputs x = (u - mean) / std. An attack perturbs u, the raw input in its own units:
image pixels scaled to [0, 1] (clamped there), feature rows in standard deviations (unclamped). The change is
then added to x as (u' - u) / std, so eps 0 changes no input by even one rounding step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tui_trainer.core.spec.robustness import PGD_STEP_FRACTION, PGD_STEPS


@dataclass(frozen=True)
class InputScale:
    """How a model's normalised inputs map to raw units: u = x * std + mean, u clamped to [0, 1] when bounded."""

    mean: torch.Tensor
    """Broadcasts over a batch: (1, C, 1, 1) for images, (1, F) for feature rows."""
    std: torch.Tensor
    bounded: bool
    """True for images: raw pixels lie in [0, 1]."""

    @staticmethod
    def of(bundle, device: str | torch.device = "cpu") -> InputScale:  # noqa: ANN001 - a DataBundle
        """The scale of a bundle's inputs: pixels in [0, 1] for images, standard deviations for feature rows (and
        for images whose normalisation is not known: a bundle made by hand)."""
        image = len(bundle.input_shape) == 3
        if not image or not bundle.input_mean:
            size = (1, bundle.input_shape[0]) if not image else (1, bundle.input_shape[0], 1, 1)
            return InputScale(torch.zeros(size, device=device), torch.ones(size, device=device), False)
        shape = (1, -1, 1, 1)
        scale = float(bundle.pixel_scale or 1.0)
        mean = torch.tensor(bundle.input_mean, dtype=torch.float32, device=device).reshape(shape) / scale
        std = torch.tensor(bundle.input_std, dtype=torch.float32, device=device).reshape(shape) / scale
        return InputScale(mean, std, True)

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised inputs -> raw units."""
        return x * self.std + self.mean

    def normalised(self, u: torch.Tensor) -> torch.Tensor:
        """Raw units -> normalised inputs."""
        return (u - self.mean) / self.std

    def bounds(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """[0, 1] per pixel, widened to a pixel that rounding put a hair outside (so it is never moved by eps 0)."""
        if not self.bounded:
            return None
        return torch.clamp(u, max=0.0), torch.clamp(u, min=1.0)


def _clamp(u: torch.Tensor, bounds: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    return u if bounds is None else torch.minimum(torch.maximum(u, bounds[0]), bounds[1])


def input_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """d(summed cross-entropy)/dx for a batch (the model in eval mode; its weights untouched)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(model(x), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, scale: InputScale) -> torch.Tensor:
    """The fast gradient sign method (Goodfellow et al. 2015): u' = clamp(u + eps * sign(dL/du)), as normalised
    inputs. The sign of dL/du is that of dL/dx (std > 0). eps 0 returns x exactly."""
    u = scale.raw(x)
    adv = _clamp(u + eps * input_gradient(model, x, y).sign(), scale.bounds(u))
    return x + (adv - u) / scale.std


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    scale: InputScale,
    generator: torch.Generator,
    steps: int = PGD_STEPS,
    step_fraction: float = PGD_STEP_FRACTION,
) -> torch.Tensor:
    """Projected gradient descent on the loss in the L-infinity ball (Madry et al. 2018): a uniform random start
    in [-eps, eps], then `steps` signed-gradient steps of step_fraction * eps, each projected back onto the ball
    and the valid pixel range. eps 0 returns x exactly."""
    u = scale.raw(x)
    bounds = scale.bounds(u)
    low, high = u - eps, u + eps
    start = torch.rand(u.shape, generator=generator, device=generator.device, dtype=u.dtype).to(u.device)
    adv = _clamp(u + (start * 2 - 1) * eps, bounds)
    step = step_fraction * eps
    for _ in range(steps):
        grad = input_gradient(model, x + (adv - u) / scale.std, y)
        adv = torch.minimum(torch.maximum(adv + step * grad.sign(), low), high)
        adv = _clamp(adv, bounds)
    return x + (adv - u) / scale.std
