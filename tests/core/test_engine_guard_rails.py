"""Guard rails of the hot loop: no DataLoader, and event traffic bounded per second whatever the batch size."""

from __future__ import annotations

import pytest
import torch.utils.data
from helpers import SimulatedClock, experiment

from tui_trainer.core.spec.events import BatchEnd, EpochEnd
from tui_trainer.core.training import engine
from tui_trainer.core.training.engine import fit


def test_in_memory_data_never_goes_through_a_dataloader(tiny_bundle, monkeypatch):
    """Batches come from tensors on the device (TensorBatches): no DataLoader, so no worker processes."""

    def refuse(*args, **kwargs):
        raise AssertionError("the engine built a DataLoader")

    monkeypatch.setattr(torch.utils.data, "DataLoader", refuse)
    monkeypatch.setattr(torch.utils.data.dataloader, "DataLoader", refuse)
    events: list = []
    end = fit(
        experiment(name="guard", epochs=2, batch_size=4),
        tiny_bundle((4,), 3, n_train=64),
        on_event=events.append,
        should_stop=lambda: False,
    )
    assert end.status == "finished" and len([e for e in events if isinstance(e, EpochEnd)]) == 2


@pytest.mark.parametrize("batch_size", [1, 16, 256])
def test_batch_events_per_second_are_bounded_whatever_the_batch_size(tiny_bundle, batch_size):
    """At most one BatchEnd per EMIT_INTERVAL_S (plus the closing one of each epoch), however fast batches go:
    counted in simulated seconds (the clock moves 1/1024 s at every reading, ~1000 batches a second)."""
    data = tiny_bundle((4,), 3, n_train=4000, n_val=16)
    events: list = []
    clock = SimulatedClock(step=1 / 1024)
    end = fit(
        experiment(name="guard", epochs=3, batch_size=batch_size),
        data,
        on_event=events.append,
        should_stop=lambda: False,
        clock=clock,
    )
    elapsed = clock.now  # simulated seconds of the whole run
    assert end.status == "finished"
    batch_ends = [e for e in events if isinstance(e, BatchEnd)]
    assert len(batch_ends) <= elapsed / engine.EMIT_INTERVAL_S + 3 + 1
    assert all(b.batch == b.batches for b in batch_ends[-1:])  # each epoch's last batch is always reported
    for epoch in (1, 2, 3):
        last = [b for b in batch_ends if b.epoch == epoch][-1]
        assert last.batch == last.batches
    if batch_size == 1:  # 12,000 steps: far more batches than events
        assert batch_ends[-1].step == 12_000 and len(batch_ends) < 12_000 / 10
