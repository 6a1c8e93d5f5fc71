"""Tensor-resident mini-batches: one permutation per epoch, one gather per epoch, slices as views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

WHOLE_EPOCH_GATHER_MAX_BYTES = 1 << 30
"""Largest training set (inputs + labels) that is gathered into one shuffled copy per epoch.

Gathering the whole epoch at once and slicing views out of it costs one kernel per epoch instead
of two per batch: measured on 2 CPU cores, the MLP 784-256-128-10 at batch 32 went from 0.90-0.92
to 0.97-1.00 of a loop over pre-made batches. Larger sets fall back to gathering batch by batch so
that the copy never doubles a big dataset's memory.
"""


class TensorBatches:
    """Shuffled mini-batches over tensors that already live on the training device.

    Every epoch draws a new permutation from `generator`, so the batches hold different samples
    each epoch; the order does not depend on how the batches are gathered. A final batch of a
    single sample is dropped when training (BatchNorm cannot normalise one value).
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        *,
        generator: torch.Generator | None = None,
        shuffle: bool = True,
        gather_max_bytes: int = WHOLE_EPOCH_GATHER_MAX_BYTES,
    ) -> None:
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.generator = generator
        self.shuffle = shuffle
        self.gather_whole_epoch = _nbytes(x) + _nbytes(y) <= gather_max_bytes
        n = x.shape[0]
        full, rest = divmod(n, batch_size)
        self._n_batches = full + (1 if rest > 1 or (rest == 1 and full == 0) else 0)

    def __len__(self) -> int:
        return self._n_batches

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        import torch

        if not self.shuffle:
            yield from self._slices(self.x, self.y)
            return
        order = torch.randperm(self.x.shape[0], generator=self.generator).to(self.x.device, non_blocking=True)
        if self.gather_whole_epoch:
            yield from self._slices(self.x.index_select(0, order), self.y.index_select(0, order))
            return
        for i in range(self._n_batches):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            yield self.x.index_select(0, idx), self.y.index_select(0, idx)

    def _slices(self, x: torch.Tensor, y: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for i in range(self._n_batches):
            sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
            yield x[sl], y[sl]


def _nbytes(t: torch.Tensor) -> int:
    return t.element_size() * t.nelement()
