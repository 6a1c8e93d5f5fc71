"""The inspection of a live run at an epoch's end (at most every INTERVAL_S, and the last epoch), from the
validation pass the engine just made."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tui_trainer.core.analysis.layers import layer_view
from tui_trainer.core.analysis.samples import inspect_logits
from tui_trainer.core.spec.inspection import Inspection
from tui_trainer.core.spec.throttle import Clock, Throttle

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.data.bundle import DataBundle


INTERVAL_S = 2.0
"""At most this often an epoch's inspection is made: it is read only in the inspection view, and early in a run (a
thousand wrong samples with their pixels) it is most of a megabyte to pickle, send and read back."""


class LiveInspector:
    """The engine's epoch-end hook: the epoch's validation logits -> an Inspection (the feature maps of one
    chosen validation sample: `sample`, which the app may change between epochs), at most every `interval`
    seconds of `clock`, and always for the run's last epoch `epochs` (None: every epoch)."""

    def __init__(
        self,
        data: DataBundle,
        sample: int = 0,
        *,
        epochs: int | None = None,
        interval: float = INTERVAL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.class_names = tuple(data.class_names)
        self.feature_names = tuple(data.feature_names)
        self.sample = sample
        self.epochs = epochs
        self.due = Throttle(interval, clock)

    def __call__(
        self, model: nn.Module, logits: torch.Tensor, val_x: torch.Tensor, val_y: torch.Tensor, epoch: int
    ) -> Inspection | None:
        """The inspection of this epoch's model; None when the last one is more recent than the interval (and
        this is not the last epoch)."""
        if self.epochs is not None and epoch != self.epochs and not self.due.ready():
            return None
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
