"""Reading a run's epochs as a teacher would: is it overfitting, is it stuck at chance? (pure Python, torch-free)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

MIN_STALE_EPOCHS = 3
"""Overfitting needs the best validation loss at least this many epochs ago..."""
STALE_SHARE = 0.1
"""...and at least this share of the epochs so far (a long run's noise is not divergence)."""
RISE = 0.1
"""...with the validation loss this much (relative) above its best, and the train/val gap grown since."""
CHANCE_EPOCHS = 3
"""Stuck at chance is judged from this many epochs on..."""
CHANCE_LOSS_SHARE = 0.05
"""...when the validation loss is within this share of ln(classes)..."""
ONE_CLASS_SHARE = 0.9
"""...and one class is predicted for at least this share of the validation samples."""


class EpochNumbers(Protocol):
    """What the rules read of an epoch (EpochEnd has it)."""

    epoch: int
    train_loss: float
    val_loss: float


@dataclass(frozen=True)
class Overfitting:
    """Validation loss has clearly diverged from training loss."""

    since_epoch: int
    """The first epoch at which the rule held."""
    best_epoch: int
    """The epoch with the lowest validation loss."""
    best_val_loss: float
    val_loss: float
    """The validation loss at since_epoch."""

    def words(self) -> str:
        """One line for the dashboard."""
        return (
            f"overfitting since epoch {self.since_epoch}: val loss {self.val_loss:.3g} > best {self.best_val_loss:.3g} "
            f"(epoch {self.best_epoch}) as train loss falls: try Dropout, weight decay, fewer epochs, patience"
        )

    def as_dict(self) -> dict[str, float | int]:
        """For summary.json."""
        return {
            "since_epoch": self.since_epoch,
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "val_loss": self.val_loss,
        }


def overfitting_at(epochs: Sequence[EpochNumbers]) -> Overfitting | None:
    """The overfitting an OverfittingWatch shows after these epochs (None: none)."""
    watch = OverfittingWatch()
    for epoch in epochs:
        watch.add(epoch)
    return watch.sign


class OverfittingWatch:
    """Follows a run epoch by epoch. Overfitting shows once the best validation loss is several epochs old (at
    least MIN_STALE_EPOCHS and STALE_SHARE of the run), the validation loss is RISE above it, and the gap
    between validation and training loss is wider than at the best epoch; then it stays shown (a diverged run
    does not un-diverge by wobbling) until the validation loss reaches a new best."""

    def __init__(self) -> None:
        self.sign: Overfitting | None = None
        """The overfitting seen, or None."""
        self._best: EpochNumbers | None = None
        self._count = 0

    def add(self, epoch: EpochNumbers) -> Overfitting | None:
        """Judge one more epoch; returns the sign (kept from an earlier epoch while it holds)."""
        self._count += 1
        if not (math.isfinite(epoch.val_loss) and math.isfinite(epoch.train_loss)):
            return self.sign
        best = self._best
        if best is None or epoch.val_loss < best.val_loss:
            self._best, self.sign = epoch, None
            return None
        if self.sign is None and self._diverged(best, epoch):
            self.sign = Overfitting(epoch.epoch, best.epoch, best.val_loss, epoch.val_loss)
        return self.sign

    def _diverged(self, best: EpochNumbers, last: EpochNumbers) -> bool:
        stale = last.epoch - best.epoch
        return (
            self._count > MIN_STALE_EPOCHS
            and stale >= max(MIN_STALE_EPOCHS, STALE_SHARE * self._count)
            and last.val_loss > best.val_loss * (1 + RISE)
            and last.val_loss - last.train_loss > best.val_loss - best.train_loss
        )


def stuck_at_chance(
    epochs: Sequence[EpochNumbers], predicted_shares: Sequence[float], class_names: Sequence[str]
) -> str | None:
    """Words for a run that learns nothing: after CHANCE_EPOCHS, validation loss near ln(classes) (what
    guessing uniformly scores) and one class predicted for nearly every sample. predicted_shares: the share
    of validation samples predicted as each class in the last epoch. None when it learns."""
    classes = len(class_names)
    if len(epochs) < CHANCE_EPOCHS or classes < 2 or len(predicted_shares) != classes:
        return None
    chance = math.log(classes)
    loss = epochs[-1].val_loss
    if not (math.isfinite(loss) and abs(loss - chance) <= CHANCE_LOSS_SHARE * chance):
        return None
    top = max(range(classes), key=lambda c: predicted_shares[c])
    if predicted_shares[top] < ONE_CLASS_SHARE:
        return None
    return (
        f"stuck at chance: validation loss {loss:.2f} is ln({classes}) = {chance:.2f}, what guessing scores, and "
        f"{predicted_shares[top]:.0%} of the samples are predicted {class_names[top]!r}: lower the learning rate, "
        "try Adam, or check the data and labels"
    )


def predicted_shares(confusion: Sequence[Sequence[int]]) -> list[float]:
    """The share of samples predicted as each class (column sums of a confusion matrix over its total)."""
    total = sum(sum(row) for row in confusion)
    if not total:
        return [0.0] * len(confusion)
    return [sum(row[c] for row in confusion) / total for c in range(len(confusion))]


PEAK_DROP = 0.02
"""Validation accuracy has peaked and fallen once it is this much (absolute) below its best..."""
PEAK_EPOCHS = 2
"""...at least this many epochs after the best, while training accuracy went on rising."""


class AccuracyNumbers(Protocol):
    """What the peak rule reads of an epoch (EpochEnd has it)."""

    epoch: int
    train_accuracy: float
    val_accuracy: float


@dataclass(frozen=True)
class AccuracyPeak:
    """Validation accuracy rose, peaked and fell while training accuracy climbed: memorising (noisy) labels."""

    best_epoch: int
    best_val_accuracy: float
    val_accuracy: float
    """The validation accuracy now (the last epoch)."""
    train_accuracy: float
    """The training accuracy now."""

    def words(self) -> str:
        """One line for the dashboard and the CLI."""
        return (
            f"val accuracy peaked at {self.best_val_accuracy:.1%} (epoch {self.best_epoch}), now "
            f"{self.val_accuracy:.1%}, train {self.train_accuracy:.1%}: memorising wrong labels? early stopping "
            f"(patience) or best.pt keeps epoch {self.best_epoch}"
        )

    def as_dict(self) -> dict[str, float | int]:
        """For summary.json."""
        return {
            "best_epoch": self.best_epoch,
            "best_val_accuracy": self.best_val_accuracy,
            "val_accuracy": self.val_accuracy,
            "train_accuracy": self.train_accuracy,
        }


def best_epoch(epochs: Sequence[AccuracyNumbers]) -> AccuracyNumbers | None:
    """The first epoch with the highest validation accuracy (the one best.pt holds), or None."""
    best = None
    for epoch in epochs:
        if math.isfinite(epoch.val_accuracy) and (best is None or epoch.val_accuracy > best.val_accuracy):
            best = epoch
    return best


def accuracy_peak(epochs: Sequence[AccuracyNumbers]) -> AccuracyPeak | None:
    """The peak-then-fall of validation accuracy after these epochs: the best at least PEAK_EPOCHS epochs ago,
    the last PEAK_DROP below it, and training accuracy higher than at the best; None otherwise."""
    best = best_epoch(epochs)
    if best is None or not epochs:
        return None
    last = epochs[-1]
    if (
        last.epoch - best.epoch >= PEAK_EPOCHS
        and best.val_accuracy - last.val_accuracy >= PEAK_DROP
        and last.train_accuracy > best.train_accuracy
    ):
        return AccuracyPeak(best.epoch, best.val_accuracy, last.val_accuracy, last.train_accuracy)
    return None
