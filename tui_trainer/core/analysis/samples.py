"""The samples a model gets wrong: per-sample losses and softmax probabilities from one pass over the validation split."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_trainer.core.spec.inspection import (
    CORRECT_PER_CLASS,
    MAX_FEATURES,
    MAX_SAMPLES,
    Inspection,
    LayerView,
    Sample,
)

if TYPE_CHECKING:
    import torch

MAX_IMAGE_SIDE = 32
"""Images larger than this are average-pooled down for the terminal (a 28x28 digit stays whole)."""


def image_bytes(x: torch.Tensor) -> tuple[bytes, tuple[int, int, int]]:
    """(N, C, H, W) inputs as N * C' * H' * W' bytes, each image stretched to 0-255 over its own range; C' is 3
    for colour (3 channels), else 1 (the first channel); returns the bytes and (C', H', W')."""
    import torch
    import torch.nn.functional as F

    x = x.float()
    if x.shape[1] != 3:
        x = x[:, :1]
    factor = -(-max(x.shape[2], x.shape[3]) // MAX_IMAGE_SIDE)
    if factor > 1:
        x = F.avg_pool2d(x, factor, ceil_mode=True)
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    x = ((x - lo) / (hi - lo).clamp_min(1e-6) * 255).round().to(torch.uint8)
    return x.cpu().contiguous().numpy().tobytes(), (int(x.shape[1]), int(x.shape[2]), int(x.shape[3]))


def chosen_rows(losses: torch.Tensor, y: torch.Tensor, pred: torch.Tensor, n_classes: int, top: int) -> torch.Tensor:
    """The validation rows an inspection carries, highest loss first: every misclassified one (at most
    MAX_SAMPLES, the highest losses), the `top` highest losses, each class's CORRECT_PER_CLASS least confident
    correct ones."""
    import torch

    order = torch.argsort(losses, descending=True, stable=True)
    wrong = order[(pred[order] != y[order])][:MAX_SAMPLES]
    parts = [wrong, order[:top]]
    correct = order[pred[order] == y[order]]
    for c in range(n_classes):
        parts.append(correct[y[correct] == c][:CORRECT_PER_CLASS])
    rows = torch.unique(torch.cat(parts))
    return rows[torch.argsort(losses[rows], descending=True, stable=True)]


def inspect_logits(
    logits: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    class_names: tuple[str, ...],
    *,
    source: str,
    epoch: int,
    feature_names: tuple[str, ...] = (),
    top: int = 0,
    layers: LayerView | None = None,
) -> Inspection:
    """The inspection of a validation split's raw scores (N, classes) for inputs x and labels y."""
    import torch
    import torch.nn.functional as F

    logits = logits.float()
    y = y.to(logits.device)
    n_classes = len(class_names)
    losses = F.cross_entropy(logits, y, reduction="none")
    probs = torch.softmax(logits, dim=1)
    pred = logits.argmax(1)
    flat = y * n_classes + pred
    confusion = torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes).cpu().tolist()
    rows = chosen_rows(losses, y, pred, n_classes, top)
    picked = x[rows.to(x.device)]
    images, shape = (b"", ())
    if picked.dim() == 4 and len(rows):
        images, shape = image_bytes(picked)
    size = len(images) // max(1, len(rows))
    features = picked.reshape(len(rows), -1)[:, :MAX_FEATURES].float().cpu().tolist() if picked.dim() != 4 else []
    samples = tuple(
        Sample(
            index=r,
            true=t,
            pred=p,
            loss=loss,
            probs=tuple(pr),
            pixels=images[i * size : (i + 1) * size] if images else b"",
            features=tuple(features[i]) if features else (),
        )
        for i, (r, t, p, loss, pr) in enumerate(
            zip(
                rows.tolist(),
                y[rows].tolist(),
                pred[rows].tolist(),
                losses[rows].tolist(),
                probs[rows].tolist(),
                strict=True,
            )
        )
    )
    n_wrong = int((pred != y).sum())
    return Inspection(
        source=source,
        epoch=epoch,
        class_names=tuple(class_names),
        confusion=tuple(tuple(int(c) for c in row) for row in confusion),
        samples=samples,
        image_shape=shape,
        feature_names=tuple(feature_names),
        layers=layers,
        wrong_left_out=max(0, n_wrong - MAX_SAMPLES),
    )
