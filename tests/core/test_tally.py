"""EpochTally folds batches in groups: its sums, accuracy and first non-finite batch equal a per-batch count."""

from __future__ import annotations

import math

import pytest
import torch

from tui_trainer.core.training import tally as tally_module
from tui_trainer.core.training.tally import FOLD_EVERY, EpochTally


def _batches(count: int, last: int, bad: int | None = None):
    g = torch.Generator().manual_seed(0)
    for b in range(1, count + 1):
        n = last if b == count else 8
        logits = torch.randn(n, 5, generator=g, requires_grad=True)
        targets = torch.randint(0, 5, (n,), generator=g)
        loss = torch.nn.functional.cross_entropy(logits, targets)
        if b == bad:
            loss = loss * float("nan")
        yield loss, logits, targets


@pytest.mark.parametrize("count", [1, FOLD_EVERY - 1, FOLD_EVERY, FOLD_EVERY + 1, 3 * FOLD_EVERY + 7])
@pytest.mark.parametrize("last", [8, 3])
def test_the_tally_equals_a_per_batch_count(count, last):
    tally = EpochTally("cpu", count)
    loss_sum = correct = seen = 0.0
    window = []
    for loss, logits, targets in _batches(count, last):
        tally.add(loss, logits, targets)
        loss_sum += loss.item() * targets.shape[0]
        correct += (logits.argmax(1) == targets).sum().item()
        seen += targets.shape[0]
        window.append(loss.item())
        if len(window) == 10:  # a read in the middle of a fold group
            assert tally.read_window() == pytest.approx(sum(window) / 10, rel=1e-6)
            window = []
    assert tally.seen == seen
    if window:
        assert tally.read_window() == pytest.approx(sum(window) / len(window), rel=1e-6)
    mean_loss, accuracy = tally.epoch_result()
    assert mean_loss == pytest.approx(loss_sum / seen, rel=1e-6)
    assert accuracy == correct / seen
    assert tally.first_bad() == count + 1


@pytest.mark.parametrize("bad", [1, FOLD_EVERY, FOLD_EVERY + 2, 2 * FOLD_EVERY + 5])
def test_the_first_non_finite_batch_is_named_across_fold_groups(bad):
    count = 3 * FOLD_EVERY
    tally = EpochTally("cpu", count)
    for loss, logits, targets in _batches(count, 8, bad=bad):
        tally.add(loss, logits, targets)
    assert math.isnan(tally.read_window())
    assert tally.first_bad() == bad


def test_a_batch_holds_no_autograd_graph_and_groups_are_bounded(monkeypatch):
    monkeypatch.setattr(tally_module, "FOLD_EVERY", 4)
    tally = EpochTally("cpu", 10)
    for loss, logits, targets in _batches(10, 8):
        tally.add(loss, logits, targets)
        assert len(tally._losses) < 4
        assert all(t.grad_fn is None for t in tally._losses + tally._predicted)
