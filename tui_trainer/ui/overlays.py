"""Past runs drawn dimmed on the Train plots: only runs on the current run's dataset, clipped to its epochs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tui_trainer.ui.run_history import RunHistory

OVERLAY_MIN_EPOCHS = 5
"""An overlay is drawn up to the current run's last epoch, and never cut shorter than this many epochs:
the current run keeps the plot's width (a 400-epoch overlay would squeeze a 12-epoch run into one column)."""


class EpochRow(Protocol):
    """What an overlay draws of an epoch: an EpochMetrics (metrics.csv) or an EpochEnd (a run of this session)."""

    @property
    def epoch(self) -> int: ...
    @property
    def val_loss(self) -> float: ...
    @property
    def val_accuracy(self) -> float: ...


@dataclass(frozen=True)
class Overlay:
    """One past run to draw dimmed: its label, the dataset it trained on and its epochs."""

    label: str
    dataset: str
    rows: Sequence[EpochRow]


@dataclass(frozen=True)
class DrawnOverlay:
    """An overlay as drawn: its label (saying when it is cut short) and the epochs kept."""

    label: str
    rows: Sequence[EpochRow]


def overlay_problem(overlay: Overlay, dataset: str | None) -> str | None:
    """Why the overlay is not drawn beside a run on `dataset` (None: it is, or there is no run to compare with)."""
    if dataset is None or overlay.dataset == dataset:
        return None
    return f"{overlay.label} trained on {overlay.dataset}, the Train tab's run on {dataset}: overlays need the same dataset"


def epoch_limit(run: RunHistory | None) -> int | None:
    """The last epoch an overlay is drawn to beside this run: its last epoch (counting a resumed-from part),
    at least OVERLAY_MIN_EPOCHS; None without a run (the overlays are drawn whole)."""
    if run is None:
        return None
    return max(OVERLAY_MIN_EPOCHS, run.last_epoch)


def clipped(overlay: Overlay, limit: int | None) -> DrawnOverlay:
    """The overlay's epochs up to limit, its label saying how far when some are left out."""
    if limit is None or not overlay.rows or overlay.rows[-1].epoch <= limit:
        return DrawnOverlay(overlay.label, overlay.rows)
    rows = [row for row in overlay.rows if row.epoch <= limit]
    return DrawnOverlay(f"{overlay.label} (to epoch {limit} of {overlay.rows[-1].epoch})", rows)


def drawable(run: RunHistory | None, overlays: Sequence[Overlay]) -> list[DrawnOverlay]:
    """The overlays to draw beside the current run (None: none trained yet): those on its dataset (without a
    run: on the first overlay's), each clipped to the run's epochs."""
    dataset = run.experiment.data.name if run is not None else (overlays[0].dataset if overlays else None)
    limit = epoch_limit(run)
    return [clipped(overlay, limit) for overlay in overlays if overlay_problem(overlay, dataset) is None]
