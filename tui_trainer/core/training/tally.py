"""The epoch's running training loss, accuracy and first non-finite batch, kept on the training device and folded
in groups: a batch costs two small tensor ops (detach, argmax), a group a handful, and nothing syncs the device
until the engine reads a window's loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

FOLD_EVERY = 64
"""Batches held before they are folded into the totals (bounds the memory held: two small tensors each)."""


class EpochTally:
    """What one epoch of training adds up: every batch's mean loss and its correct predictions.

    `add` keeps references to a batch's detached loss, its predicted classes and its targets; `_fold` turns up to
    FOLD_EVERY of them into the totals with one stack, one concatenation and a comparison. `read_window` returns
    the mean loss of the batches since the previous read (one device sync); `first_bad` names the first batch
    whose loss was not finite; `epoch_result` gives the epoch's mean loss and accuracy over its samples.
    """

    def __init__(self, device: torch.device | str, batch_count: int) -> None:
        """batch_count: the epoch's batches (a first_bad of batch_count + 1 means every loss was finite)."""
        import torch

        self._torch = torch
        self.no_bad_batch = batch_count + 1
        self._loss_total = torch.zeros((), device=device)
        self._correct_total = torch.zeros((), dtype=torch.long, device=device)
        self._window_loss = torch.zeros((), device=device)
        self._first_bad = torch.full((), self.no_bad_batch, dtype=torch.long, device=device)
        self._losses: list[torch.Tensor] = []
        self._predicted: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []
        self._sizes: list[int] = []
        self._next_batch = 1
        """The 1-based number of the first batch not folded yet."""
        self.window_batches = 0
        """Batches since the last read_window."""
        self.window_samples = 0
        """Samples since the last read_window."""
        self.seen = 0
        """Samples this epoch."""

    def add(self, loss: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> None:
        """Count one batch: its mean loss (a scalar), its raw scores and its labels."""
        self._losses.append(loss.detach())
        self._predicted.append(logits.argmax(1))  # integer: carries no autograd graph
        self._targets.append(targets)
        n = targets.shape[0]
        self._sizes.append(n)
        self.window_batches += 1
        self.window_samples += n
        self.seen += n
        if len(self._losses) >= FOLD_EVERY:
            self._fold()

    def _fold(self) -> None:
        if not self._losses:
            return
        torch = self._torch
        losses = torch.stack(self._losses)
        total = losses.sum()
        self._window_loss += total
        sizes = self._sizes
        if all(n == sizes[0] for n in sizes):
            self._loss_total += total * sizes[0]
        else:
            self._loss_total += (losses * torch.tensor(sizes, dtype=losses.dtype, device=losses.device)).sum()
        numbers = torch.arange(self._next_batch, self._next_batch + len(sizes), device=losses.device)
        bad = torch.where(torch.isfinite(losses), self.no_bad_batch, numbers).min()
        self._first_bad = torch.minimum(self._first_bad, bad)
        self._correct_total += (torch.cat(self._predicted) == torch.cat(self._targets)).sum()
        self._next_batch += len(sizes)
        self._losses, self._predicted, self._targets, self._sizes = [], [], [], []

    def read_window(self) -> float:
        """The mean loss of the batches since the previous read (a device sync), and a new window begun."""
        self._fold()
        mean = self._window_loss.item() / max(1, self.window_batches)
        self._window_loss.zero_()
        self.window_batches = self.window_samples = 0
        return mean

    def first_bad(self) -> int:
        """The first batch of the epoch (1-based) whose loss was not finite, among those folded or added."""
        self._fold()
        return int(self._first_bad.item())

    def epoch_result(self) -> tuple[float, float]:
        """(mean loss, accuracy) over the epoch's samples."""
        self._fold()
        seen = max(1, self.seen)
        return self._loss_total.item() / seen, self._correct_total.item() / seen
