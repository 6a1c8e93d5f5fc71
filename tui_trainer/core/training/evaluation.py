"""Evaluating a model on a whole split: mean cross-entropy and the classification report."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from tui_trainer.core.spec.memory import EVAL_CHUNK
from tui_trainer.core.spec.metrics import ClassReport, report_from_confusion

if TYPE_CHECKING:
    from torch import nn

    from tui_trainer.core.spec.metrics import ClassReport
    from tui_trainer.core.training.speedups import SpeedUps


class StopRequested(Exception):
    """Raised when should_stop() turned true: a normal way out of training or evaluation, not an error."""


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    class_names: tuple[str, ...],
    should_stop: Callable[[], bool],
    speed: SpeedUps | None = None,
) -> tuple[float, ClassReport]:
    """Mean cross-entropy and the classification report on a whole split, in chunks (with the run's
    mixed precision and memory format when speed is given; never compiled)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    preds = []
    with torch.inference_mode(), speed.autocast() if speed else contextlib.nullcontext():
        for start in range(0, x.shape[0], EVAL_CHUNK):
            if why := should_stop():
                raise StopRequested(why if isinstance(why, str) else "")
            chunk = x[start : start + EVAL_CHUNK]
            logits = model(speed.inputs(chunk) if speed else chunk)
            loss_sum += F.cross_entropy(logits.float(), y[start : start + EVAL_CHUNK], reduction="sum")
            preds.append(logits.argmax(1))
    model.train()
    report = classification_report(y, torch.cat(preds), class_names)
    return loss_sum.item() / max(1, x.shape[0]), report


def confusion_counts(y_true: torch.Tensor, y_pred: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Confusion matrix as an (n, n) int64 tensor on the inputs' device (one bincount, no loop)."""
    flat = y_true.long() * n_classes + y_pred.long()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def classification_report(y_true: torch.Tensor, y_pred: torch.Tensor, class_names: tuple[str, ...]) -> ClassReport:
    """The full report for true and predicted labels (one device-to-host copy of an n x n matrix)."""
    counts = confusion_counts(y_true, y_pred, len(class_names))
    return report_from_confusion(counts.cpu().tolist(), class_names)
