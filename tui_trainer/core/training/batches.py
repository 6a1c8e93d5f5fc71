"""Tensor-resident mini-batches: one permutation per epoch, slices by index_select, no DataLoader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class TensorBatches:
    """Shuffled mini-batches over tensors that already live on the training device.

    Every epoch is a fresh permutation and every batch a gather (index_select) of its rows: the
    batches hold different samples each epoch, as the lecture's SGD wants. The labels (a few bytes a
    sample) are gathered once per epoch and sliced per batch. Why a gather per batch
    and not one per epoch: docs/architecture.md, "Data on the device".

    A final batch of a single sample is dropped when training (BatchNorm cannot normalise one value).
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        *,
        generator: torch.Generator | None = None,
        shuffle: bool = True,
        shard: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        """shard: this process's part of each global batch's indices (a distributed run: each rank draws the
        same permutation and trains on its shard of every batch; None: the whole batch)."""
        self.x, self.y = x, y
        self.shard = shard
        self.batch_size = batch_size
        self.generator = generator
        self.shuffle = shuffle
        n = x.shape[0]
        full, rest = divmod(n, batch_size)
        self._n_batches = full + (1 if rest > 1 or (rest == 1 and full == 0) else 0)

    def __len__(self) -> int:
        return self._n_batches

    def global_size(self, batch: int) -> int:
        """Samples in the global batch `batch` (0-based) of every rank together: batch_size, or fewer for the last."""
        return min(self.batch_size, self.x.shape[0] - batch * self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        import torch

        n = self.x.shape[0]
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.x.device, non_blocking=True)
            if self.shard is None:  # the labels of the whole epoch in one gather (small): a batch slices them
                labels = self.y.index_select(0, order)
                for i in range(self._n_batches):
                    sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
                    yield self.x.index_select(0, order[sl]), labels[sl]
                return
            for i in range(self._n_batches):
                idx = self.shard(order[i * self.batch_size : (i + 1) * self.batch_size])
                yield self.x.index_select(0, idx), self.y.index_select(0, idx)
        else:
            for i in range(self._n_batches):
                sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
                yield self.x[sl], self.y[sl]
