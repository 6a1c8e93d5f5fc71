"""TensorBatches: every sample once per epoch, seeded shuffles, only a lone final sample dropped."""

from __future__ import annotations

import pytest
import torch

from tui_trainer.core.training.batches import TensorBatches


def ids(n: int):
    """Inputs whose first column is the sample's index, and labels equal to the index."""
    x = torch.arange(n, dtype=torch.float32).unsqueeze(1).repeat(1, 3)
    return x, torch.arange(n)


def epoch_ids(batches: TensorBatches) -> list[list[int]]:
    out = []
    for xb, yb in batches:
        assert xb.shape[0] == yb.shape[0] and xb.shape[1:] == (3,)
        assert xb[:, 0].long().tolist() == yb.tolist()  # inputs and labels stay paired
        out.append(yb.tolist())
    return out


@pytest.mark.parametrize(
    ("n", "batch_size", "dropped"),
    [(10, 3, 1), (10, 5, 0), (10, 4, 0), (9, 4, 1), (1, 4, 0), (2, 4, 0), (7, 7, 0), (7, 1, 0), (13, 6, 1), (5, 64, 0)],
)
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_sample_exactly_once_per_epoch(n, batch_size, dropped, shuffle):
    x, y = ids(n)
    batches = TensorBatches(x, y, batch_size, generator=torch.Generator().manual_seed(1), shuffle=shuffle)
    for _ in range(3):
        seen = epoch_ids(batches)
        assert len(seen) == len(batches)
        flat = [i for b in seen for i in b]
        assert len(flat) == len(set(flat)) == n - dropped
        assert all(len(b) == batch_size for b in seen[:-1])
        assert all(len(b) >= 1 for b in seen)
        if dropped:
            assert len(seen[-1]) >= 2 or batch_size == 1
        if not shuffle:
            assert flat == list(range(n - dropped))


def test_only_a_lone_final_sample_is_dropped():
    assert len(TensorBatches(*ids(9), 4)) == 2  # 4 + 4, the ninth is alone
    assert len(TensorBatches(*ids(10), 4)) == 3  # 4 + 4 + 2
    assert len(TensorBatches(*ids(1), 4)) == 1  # a single sample in all is kept
    assert len(TensorBatches(*ids(8), 1)) == 8  # batch size 1: nothing is "lone"


def test_shuffle_is_seeded_and_changes_between_epochs():
    x, y = ids(50)
    a = TensorBatches(x, y, 8, generator=torch.Generator().manual_seed(7))
    b = TensorBatches(x, y, 8, generator=torch.Generator().manual_seed(7))
    c = TensorBatches(x, y, 8, generator=torch.Generator().manual_seed(8))
    first_a, first_b, first_c = epoch_ids(a), epoch_ids(b), epoch_ids(c)
    assert first_a == first_b
    assert first_a != first_c
    second_a = epoch_ids(a)
    assert second_a == epoch_ids(b)
    assert second_a != first_a
    assert sorted(i for batch in first_a for i in batch) == list(range(50))
    assert [i for batch in first_a for i in batch] != list(range(50))


def test_batches_keep_device_and_dtype():
    x = torch.randn(12, 1, 4, 4)
    y = torch.randint(0, 3, (12,))
    for xb, yb in TensorBatches(x, y, 5, generator=torch.Generator().manual_seed(0)):
        assert xb.shape[1:] == (1, 4, 4) and xb.dtype == torch.float32 and yb.dtype == torch.int64
        assert xb.device == x.device
