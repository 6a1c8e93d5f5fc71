"""The inspection of a live run at each epoch's end, from the validation pass the engine just made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_trainer.core.analysis.layers import layer_view
from tui_trainer.core.analysis.samples import inspect_logits
from tui_trainer.core.spec.inspection import Inspection

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.data.bundle import DataBundle


class LiveInspector:
    """The engine's epoch-end hook: the epoch's validation logits -> an Inspection (the feature maps of one
    chosen validation sample: `sample`, which the app may change between epochs)."""

    def __init__(self, data: DataBundle, sample: int = 0) -> None:
        self.class_names = tuple(data.class_names)
        self.feature_names = tuple(data.feature_names)
        self.sample = sample

    def __call__(
        self, model: nn.Module, logits: torch.Tensor, val_x: torch.Tensor, val_y: torch.Tensor, epoch: int
    ) -> Inspection:
        """The inspection of this epoch's model."""
        index = min(max(0, self.sample), len(val_x) - 1)
        layers = layer_view(model, val_x[index], index) if len(val_x) else None
        return inspect_logits(
            logits,
            val_x,
            val_y,
            self.class_names,
            source=f"epoch {epoch} of the run",
            epoch=epoch,
            feature_names=self.feature_names,
            layers=layers,
        )
