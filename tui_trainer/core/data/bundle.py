"""The one shape every dataset loader returns: tensors for train/val/(test) plus what they mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from tui_trainer.core.data.poison import Tampering


@dataclass(frozen=True)
class DataBundle:
    """Train / validation / optional test tensors (CPU, float32 inputs, int64 labels) and metadata.

    Inputs are already normalised with statistics of the training split.
    """

    name: str
    """Dataset name as the user gave it (e.g. "digits28", "csv:data/points.csv")."""
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    class_names: tuple[str, ...]
    """Human-readable class labels, index = class id."""
    input_shape: tuple[int, ...]
    """Shape of one sample: (features,) for tabular data, (channels, height, width) for images."""
    description: str = ""
    """One line on what the data is."""
    test_x: torch.Tensor | None = None
    test_y: torch.Tensor | None = None
    feature_names: tuple[str, ...] = ()
    """The feature columns' names when the data has them (a CSV's header), else ()."""
    input_mean: tuple[float, ...] = ()
    """The training split's mean per feature (per channel for images), subtracted by the normalisation."""
    input_std: tuple[float, ...] = ()
    """The training split's standard deviation per feature or channel (0 counted as 1), divided by."""
    pixel_scale: float | None = None
    """Images: the raw value of a full-intensity pixel (raw / pixel_scale is in [0, 1]); None for feature rows."""
    tampering: Tampering | None = None
    """What label noise, a backdoor or label overrides did to the training split (None: nothing)."""
    val_triggered_x: torch.Tensor | None = None
    """A backdoored run's validation images with the trigger stamped on (raw scale), then normalised like the rest."""

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def evaluated_samples(self) -> int:
        """The largest split evaluated in one go: the validation split, or the test split when larger."""
        test = 0 if self.test_x is None else int(self.test_x.shape[0])
        return max(int(self.val_x.shape[0]), test)
