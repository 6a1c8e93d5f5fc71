"""What the engine builds from TrainSpec: weight initialisation, the optimizer, the learning-rate schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.spec.experiment import TrainSpec


def init_weights(model: nn.Module, scheme: str, std: float) -> None:
    """Re-initialise Linear and Conv2d weights: default (keep), normal N(0, std^2), xavier, kaiming."""
    from torch import nn

    if scheme == "default":
        return
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            if scheme == "normal":
                nn.init.normal_(module.weight, 0.0, std)
            elif scheme == "xavier":
                nn.init.xavier_uniform_(module.weight)
            elif scheme == "kaiming":
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def make_optimizer(params, t: TrainSpec) -> torch.optim.Optimizer:
    """The optimizer named in the training spec."""
    import torch

    if t.optimizer == "sgd":
        return torch.optim.SGD(params, lr=t.lr, momentum=t.momentum, nesterov=t.nesterov, weight_decay=t.weight_decay)
    if t.optimizer == "adam":
        return torch.optim.Adam(params, lr=t.lr, weight_decay=t.weight_decay)
    if t.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=t.lr, weight_decay=t.weight_decay)
    return torch.optim.RMSprop(params, lr=t.lr, momentum=t.momentum, weight_decay=t.weight_decay)


def make_schedule(optimizer, t: TrainSpec, steps_per_epoch: int):
    """(scheduler or None, "batch" | "epoch" | "plateau"): when the scheduler steps."""
    from torch.optim import lr_scheduler as s

    total = max(1, t.epochs * steps_per_epoch)
    if t.schedule == "step":
        return s.StepLR(optimizer, step_size=t.step_size, gamma=t.gamma), "epoch"
    if t.schedule == "exponential":
        return s.ExponentialLR(optimizer, gamma=t.gamma), "epoch"
    if t.schedule == "cosine":
        return s.CosineAnnealingLR(optimizer, T_max=total), "batch"
    if t.schedule == "onecycle":
        return s.OneCycleLR(optimizer, max_lr=t.lr, total_steps=total), "batch"
    if t.schedule == "plateau":
        return s.ReduceLROnPlateau(optimizer, factor=t.gamma, patience=t.step_size), "plateau"
    return None, "epoch"


def set_lr(optimizer, scheduler, lr: float) -> float:
    """Change the learning rate by hand from the next step on; returns the rate it replaces.

    Every parameter group is scaled by lr / old (so groups keep their ratios), and so is what a schedule
    computes from: its base rates (step, exponential, cosine) and one-cycle's initial, peak and final rates,
    so the schedule goes on from the new rate instead of putting the old one back at its next step.
    """
    old = float(optimizer.param_groups[0]["lr"])
    factor = lr / old if old > 0 else 1.0
    for group in optimizer.param_groups:
        group["lr"] = lr if old <= 0 else group["lr"] * factor
        for key in ("initial_lr", "max_lr", "min_lr"):
            if key in group:
                group[key] = group[key] * factor
    if scheduler is not None:
        if hasattr(scheduler, "base_lrs"):
            scheduler.base_lrs = [base * factor for base in scheduler.base_lrs]
        if hasattr(scheduler, "_last_lr"):
            scheduler._last_lr = [float(group["lr"]) for group in optimizer.param_groups]
    return old
