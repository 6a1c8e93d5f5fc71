"""A backdoored model judged: clean validation accuracy beside the trigger's attack success rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trainer.core.spec.events import BackdoorResult
from tui_trainer.core.spec.memory import EVAL_CHUNK
from tui_trainer.core.training.evaluation import StopRequested

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.data.bundle import DataBundle


def predictions(model: nn.Module, x: torch.Tensor, should_stop: Callable[[], bool] = lambda: False) -> torch.Tensor:
    """The model's predicted classes for x, in chunks, in eval mode (train mode again after)."""
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, x.shape[0], EVAL_CHUNK):
            if should_stop():
                raise StopRequested
            out.append(model(x[start : start + EVAL_CHUNK]).argmax(1))
    model.train()
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long, device=x.device)


def attack_success(
    clean_pred: torch.Tensor, triggered_pred: torch.Tensor, y: torch.Tensor, target: int
) -> tuple[float, float, int]:
    """(clean accuracy, attack success rate, attacked count): the success rate counts only the samples whose
    true class is not the target (those already of the target say nothing about the trigger)."""
    others = y != target
    attacked = int(others.sum())
    clean = float((clean_pred == y).float().mean()) if len(y) else 0.0
    success = float((triggered_pred[others] == target).float().mean()) if attacked else 0.0
    return clean, success, attacked


def backdoor_report(
    model: nn.Module,
    data: DataBundle,
    target: int,
    fraction: float,
    device: str,
    should_stop: Callable[[], bool] = lambda: False,
) -> BackdoorResult | None:
    """The backdoor's result on the bundle's validation split (its val_triggered_x: the same images with the
    trigger), or None when the bundle has no triggered images. What `train` reports at the end of a backdoored
    run, and what a later evaluation of a saved run (robustness) calls with the model from its checkpoint."""
    if data.val_triggered_x is None:
        return None
    y = data.val_y.to(device)
    clean_pred = predictions(model, data.val_x.to(device), should_stop)
    triggered_pred = predictions(model, data.val_triggered_x.to(device), should_stop)
    clean, success, attacked = attack_success(clean_pred, triggered_pred, y, target)
    return BackdoorResult(target, fraction, clean, success, attacked)
