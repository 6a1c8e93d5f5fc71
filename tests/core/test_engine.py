"""The training engine on tiny bundles: event order, determinism, schedules, stopping, failures."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from helpers import CNN, SimulatedClock, experiment

from tui_trainer.core.pipeline.execute import run as run_pipeline
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunPhase, RunStarted, RunStatus
from tui_trainer.core.spec.experiment import DataSpec, Experiment, LayerSpec, TrainSpec
from tui_trainer.core.spec.metrics import Averages, ClassReport
from tui_trainer.core.training import devices, engine, optim
from tui_trainer.core.training import model as model_module
from tui_trainer.core.training.engine import fit, init_weights

L = LayerSpec


def run_unsaved(exp: Experiment, *, on_event, should_stop, data=None) -> RunEnded:
    """The pipeline's run of an unsaved request (what engine.run_experiment was)."""
    return run_pipeline(RunRequest(exp, runs_dir=None), on_event=on_event, should_stop=should_stop, data=data)


def run(exp: Experiment, data, should_stop=lambda: False):
    events = []
    end = fit(exp, data, on_event=events.append, should_stop=should_stop)
    return end, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


@pytest.fixture
def every_batch(monkeypatch):
    """Emit a BatchEnd after every batch."""
    monkeypatch.setattr(engine, "EMIT_INTERVAL_S", 0.0)


@pytest.fixture
def forwards(monkeypatch):
    """Counts forward passes of the model fit() builds: {"train": n, "eval": m}."""
    counts = {"train": 0, "eval": 0}
    real = model_module.build_model

    def counting_build_model(*args, **kwargs):
        model = real(*args, **kwargs)

        def hook(module, inputs, output):
            counts["train" if module.training else "eval"] += 1

        model.register_forward_hook(hook)
        return model

    monkeypatch.setattr(model_module, "build_model", counting_build_model)
    return counts


# ---------------------------------------------------------------- events


def test_event_order(tiny_bundle, every_batch):
    data = tiny_bundle((4,), 3, n_train=40, n_val=10)
    end, events = run(experiment(epochs=3), data)
    assert isinstance(events[0], RunStarted)
    assert events[-1] is end and isinstance(end, RunEnded)
    assert len(of(events, RunEnded)) == 1
    started = events[0]
    assert (started.n_train, started.n_val, started.n_test, started.epochs, started.batch_size) == (40, 10, 16, 3, 16)
    assert started.batches_per_epoch == 3  # 16 + 16 + 8
    assert started.device == "cpu" and started.class_names == ("c0", "c1", "c2") and started.input_shape == (4,)
    assert started.params == 4 * 16 + 16 + 16 * 3 + 3
    body = events[1:-1]
    step = 0
    for epoch in range(1, 4):
        chunk, body = body[:4], body[4:]
        assert [type(e) for e in chunk] == [BatchEnd, BatchEnd, BatchEnd, EpochEnd]
        for batch, e in enumerate(chunk[:3], start=1):
            step += 1
            assert (e.epoch, e.batch, e.batches, e.step) == (epoch, batch, 3, step)
            assert math.isfinite(e.loss) and e.lr == 0.05 and e.samples_per_s > 0 and e.elapsed_s >= 0
        assert chunk[3].epoch == epoch and chunk[3].epochs == 3
    assert body == []
    assert end.status == "finished" and end.epochs_done == 3 and end.reason == "trained 3 epochs"
    assert end.history == tuple(of(events, EpochEnd))
    assert end.test_accuracy is not None and end.test_report is not None
    assert sum(end.test_report.support) == 16
    assert end.best_val_accuracy == max(e.val_accuracy for e in end.history)
    elapsed = [e.elapsed_s for e in of(events, BatchEnd)]
    assert elapsed == sorted(elapsed)


def test_epoch_end_metrics_are_consistent(tiny_bundle):
    data = tiny_bundle((4,), 3, n_train=64, n_val=30)
    end, events = run(experiment(epochs=4, optimizer="adam", lr=0.02), data)
    best = -1.0
    for e in end.history:
        assert sum(e.report.support) == 30
        assert e.val_accuracy == e.report.accuracy
        assert 0.0 <= e.train_accuracy <= 1.0 and e.train_loss > 0 and e.val_loss > 0
        assert e.is_best == (e.val_accuracy > best)
        best = max(best, e.val_accuracy)
    # a separable problem is learnt
    assert end.history[-1].train_loss < end.history[0].train_loss
    assert end.history[-1].val_accuracy > 0.6


def test_without_a_test_split(tiny_bundle):
    end, events = run(experiment(), tiny_bundle(n_test=None))
    assert end.status == "finished" and end.test_accuracy is None and end.test_report is None
    assert events[0].n_test == 0


def _walk_plain(value, path="event"):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _walk_plain(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            _walk_plain(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            _walk_plain(k, f"{path} key")
            _walk_plain(item, f"{path}[{k!r}]")
    else:
        # RunStatus is a StrEnum: a str equal to its plain value ("finished"), written as that string
        plain = (int, float, str, bool, RunStatus)
        assert value is None or type(value) in plain, f"{path} is {type(value).__name__}"


def test_events_hold_only_plain_values(tiny_bundle, every_batch):
    data = tiny_bundle((1, 8, 8), 4, n_train=40, n_val=12)
    end, events = run(experiment(CNN, epochs=2), data)
    assert end.status == "finished"
    kinds = {type(e) for e in events}
    assert {RunStarted, BatchEnd, EpochEnd, RunEnded} <= kinds
    for event in events:
        _walk_plain(event)
    assert isinstance(end.history[0].report, ClassReport) and isinstance(end.history[0].report.macro, Averages)
    with pytest.raises(AssertionError):  # the walker does catch a tensor
        _walk_plain(dataclasses.replace(end, seconds=torch.tensor(1.0)))


def test_batch_end_is_rate_limited(tiny_bundle, monkeypatch):
    monkeypatch.setattr(engine, "EMIT_INTERVAL_S", 1e9)
    data = tiny_bundle((4,), 3, n_train=100)
    end, events = run(experiment(epochs=3, batch_size=8), data)
    batch_ends = of(events, BatchEnd)
    assert [(b.epoch, b.batch, b.batches) for b in batch_ends] == [(1, 13, 13), (2, 13, 13), (3, 13, 13)]
    assert [b.step for b in batch_ends] == [13, 26, 39]
    # the one BatchEnd per epoch carries the mean loss of the epoch's batches (all full but the last)
    for b, e in zip(batch_ends, end.history, strict=True):
        assert b.loss == pytest.approx(e.train_loss, rel=0.2)


# The clock advances `step` simulated seconds at every reading; fit() reads it once per batch (after
# the step), and before the batches: once at the start of the run and twice at the start of an epoch
# (fit's epoch timer, then _train_epoch's, which the BatchEnd window starts from). So batch i of the
# epoch is read i steps after the window opened, and with EMIT_INTERVAL_S = 0.1 a BatchEnd goes out
# every k batches, k the fewest steps that make >= 0.1 s, plus at the epoch's last batch. Steps are
# powers of two, so the sums are exact. Each run is 2 simulated seconds of batches (2 / step batches
# of one sample); the counts are per simulated second of the epoch (BatchEnd.elapsed_s in (0, 1], (1, 2]).
EMIT_CAP_TABLE = [
    # (clock step per reading, BatchEnds in second 1, in second 2)
    (1 / 2, 2, 2),  # 0.5 s a batch: every batch is >= 0.1 s after the last BatchEnd
    (1 / 8, 8, 8),  # 0.125 s: still every batch
    (1 / 16, 8, 8),  # 0.0625 s: every 2nd batch (0.125 s), the cap starts to bind
    (1 / 32, 8, 8),  # every 4th (3 steps = 0.094 s < 0.1)
    (1 / 64, 9, 10),  # every 7th (6 steps = 0.094 s, 7 = 0.109 s): 9 a second, plus the epoch's last batch
]


@pytest.mark.parametrize(("step", "first", "second"), EMIT_CAP_TABLE)
def test_batch_end_cap_counts_per_simulated_second(tiny_bundle, step, first, second):
    assert engine.EMIT_INTERVAL_S == 0.1
    batches = round(2 / step)
    data = tiny_bundle((4,), 3, n_train=batches, n_val=4, n_test=None)
    clock = SimulatedClock(step=step)
    events: list = []
    end = fit(experiment(epochs=1, batch_size=1), data, on_event=events.append, should_stop=lambda: False, clock=clock)
    assert end.status == "finished", end.reason
    batch_ends = of(events, BatchEnd)
    per_second = [sum(math.ceil(b.elapsed_s) == s for b in batch_ends) for s in (1, 2)]
    assert per_second == [first, second]
    assert len(batch_ends) == first + second
    assert batch_ends[-1].batch == batch_ends[-1].batches == batches  # the epoch's last batch always reports
    every = math.ceil(engine.EMIT_INTERVAL_S / step - 1e-9)  # the rule, for the batches in between
    assert [b.batch for b in batch_ends[:-1]] == list(range(every, batches, every))
    assert [b.elapsed_s for b in batch_ends] == [b.batch * step for b in batch_ends]  # simulated, exact


# ---------------------------------------------------------------- determinism


def _history(end: RunEnded):
    return [(e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy, e.lr, e.report.confusion) for e in end.history]


def test_same_seed_same_run_different_seed_different_run(tiny_bundle):
    data = tiny_bundle((1, 8, 8), 3, n_train=48, n_val=16)
    exp = experiment(CNN, epochs=2, seed=3)
    a, _ = run(exp, data)
    b, _ = run(exp, data)
    c, _ = run(dataclasses.replace(exp, train=dataclasses.replace(exp.train, seed=4)), data)
    assert _history(a) == _history(b)
    assert a.test_report == b.test_report
    assert [e.train_loss for e in a.history] != [e.train_loss for e in c.history]


# ---------------------------------------------------------------- optimizers, schedules, init


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_each_optimizer_trains(tiny_bundle, optimizer):
    lr = {"sgd": 0.1, "adam": 0.02, "adamw": 0.02, "rmsprop": 0.005}[optimizer]
    data = tiny_bundle((4,), 3, n_train=64, n_val=24)
    end, _ = run(experiment(optimizer=optimizer, lr=lr, epochs=4, weight_decay=1e-4), data)
    assert end.status == "finished", end.reason
    assert end.history[-1].train_loss < end.history[0].train_loss


def test_nesterov_runs(tiny_bundle):
    end, _ = run(experiment(nesterov=True, momentum=0.9), tiny_bundle())
    assert end.status == "finished"


def test_optimizers_are_built_as_named():
    params = [torch.nn.Parameter(torch.zeros(2))]
    t = TrainSpec(lr=0.3, momentum=0.7, weight_decay=0.01, nesterov=True)
    sgd = optim.make_optimizer(params, t)
    assert isinstance(sgd, torch.optim.SGD)
    group = sgd.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"], group["weight_decay"]) == (0.3, 0.7, True, 0.01)
    kinds = {
        name: type(optim.make_optimizer(params, dataclasses.replace(t, optimizer=name, nesterov=False)))
        for name in ("adam", "adamw", "rmsprop")
    }
    assert kinds == {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}


def _lrs(end: RunEnded):
    return [e.lr for e in end.history]


def test_no_schedule_keeps_the_lr(tiny_bundle):
    end, _ = run(experiment(epochs=3, lr=0.04), tiny_bundle())
    assert _lrs(end) == [0.04, 0.04, 0.04]


def test_step_schedule_cuts_every_step_size_epochs(tiny_bundle):
    end, _ = run(experiment(epochs=5, lr=0.08, schedule="step", step_size=2, gamma=0.5), tiny_bundle())
    assert _lrs(end) == pytest.approx([0.08, 0.08, 0.04, 0.04, 0.02])


def test_exponential_schedule(tiny_bundle):
    end, _ = run(experiment(epochs=4, lr=0.08, schedule="exponential", gamma=0.5), tiny_bundle())
    assert _lrs(end) == pytest.approx([0.08, 0.04, 0.02, 0.01])


def test_cosine_schedule_anneals_per_batch(tiny_bundle, every_batch):
    data = tiny_bundle((4,), 3, n_train=48)  # 3 batches of 16
    end, events = run(experiment(epochs=4, lr=0.1, schedule="cosine"), data)
    total = 4 * 3
    expected = [0.1 * (1 + math.cos(math.pi * (e * 3) / total)) / 2 for e in range(4)]
    assert _lrs(end) == pytest.approx(expected, rel=1e-6)
    # each BatchEnd shows the lr after that step; the last one reaches 0
    batch_lrs = [b.lr for b in of(events, BatchEnd)]
    assert batch_lrs == pytest.approx(
        [0.1 * (1 + math.cos(math.pi * s / total)) / 2 for s in range(1, total + 1)], abs=1e-9
    )


def test_onecycle_schedule_warms_up_then_anneals(tiny_bundle, every_batch):
    data = tiny_bundle((4,), 3, n_train=48)
    end, events = run(experiment(epochs=5, lr=0.1, schedule="onecycle"), data)
    assert end.status == "finished"
    # the lr used by each of the 15 steps (the last BatchEnd shows the lr after the final step: not used)
    lrs = [end.history[0].lr] + [b.lr for b in of(events, BatchEnd)][:-1]
    assert len(lrs) == 15
    assert lrs[0] == pytest.approx(0.1 / 25)  # OneCycleLR starts at max_lr / div_factor
    peak = lrs.index(max(lrs))
    assert max(lrs) == pytest.approx(0.1, rel=0.05)
    assert 0 < peak < len(lrs) - 1
    assert lrs[: peak + 1] == sorted(lrs[: peak + 1])
    assert lrs[peak:] == sorted(lrs[peak:], reverse=True)
    assert lrs[-1] < 0.1 / 1000  # annealed to max_lr / (div_factor * final_div_factor)


def test_plateau_schedule_cuts_when_val_loss_stalls(tiny_bundle):
    # a learning rate this small cannot move the val loss by ReduceLROnPlateau's threshold (1e-4 relative)
    end, _ = run(experiment(epochs=6, lr=1e-6, momentum=0.0, schedule="plateau", step_size=1, gamma=0.5), tiny_bundle())
    assert _lrs(end) == pytest.approx([1e-6, 1e-6, 1e-6, 5e-7, 5e-7, 2.5e-7])


def _fresh(init: str, std: float = 0.01):
    torch.manual_seed(0)
    model = model_module.build_model(
        [
            L("Conv2d", {"out_channels": 8, "kernel_size": 3}),
            L("Flatten"),
            L("Linear", {"out_features": 300}),
            L("Linear"),
        ],
        (2, 6, 6),
        4,
    )
    init_weights(model, init, std)
    return model


def test_init_schemes():
    default = _fresh("default")
    torch.manual_seed(0)
    again = model_module.build_model(
        [
            L("Conv2d", {"out_channels": 8, "kernel_size": 3}),
            L("Flatten"),
            L("Linear", {"out_features": 300}),
            L("Linear"),
        ],
        (2, 6, 6),
        4,
    )
    assert all(torch.equal(p, q) for p, q in zip(default.parameters(), again.parameters(), strict=True))
    assert any(torch.count_nonzero(m.bias) for m in default if hasattr(m, "bias") and m.bias is not None)

    normal = _fresh("normal", 0.01)
    lin = normal[2]  # 128 inputs -> 300 outputs
    assert lin.weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert lin.weight.mean().abs().item() < 0.002
    for model in (normal, _fresh("xavier"), _fresh("kaiming")):
        for m in model:
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
                assert torch.count_nonzero(m.bias) == 0
    xavier = _fresh("xavier")[2]
    bound = math.sqrt(6 / (128 + 300))
    assert xavier.weight.abs().max().item() <= bound
    assert xavier.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    kaiming = _fresh("kaiming")[2]
    assert kaiming.weight.std().item() == pytest.approx(math.sqrt(2 / 128), rel=0.05)
    assert _fresh("normal", 0.5)[2].weight.std().item() == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize("init", ["default", "normal", "xavier", "kaiming"])
def test_each_init_scheme_trains(tiny_bundle, init):
    end, _ = run(experiment(CNN, init=init, init_std=0.05, epochs=2), tiny_bundle((1, 8, 8), 3))
    assert end.status == "finished", end.reason
    assert all(math.isfinite(e.train_loss) for e in end.history)


def test_first_batch_loss_uses_label_smoothing(tiny_bundle, every_batch):
    """Replays the engine's seeding: same model init, same first batch, cross-entropy with smoothing."""
    data = tiny_bundle((4,), 3, n_train=40)
    for smoothing in (0.0, 0.3):
        exp = experiment(seed=5, label_smoothing=smoothing, init="normal", init_std=0.5)
        _, events = run(exp, data)
        torch.manual_seed(5)
        model = model_module.build_model(exp.layers, data.input_shape, data.n_classes)
        init_weights(model, "normal", 0.5)
        order = torch.randperm(40, generator=torch.Generator().manual_seed(5))[:16]
        expected = F.cross_entropy(model(data.train_x[order]), data.train_y[order], label_smoothing=smoothing)
        assert of(events, BatchEnd)[0].loss == pytest.approx(expected.item(), rel=1e-5)
    with_ls, _ = run(experiment(label_smoothing=0.5), data)
    without, _ = run(experiment(label_smoothing=0.0), data)
    assert with_ls.history[0].train_loss != without.history[0].train_loss


def test_grad_clip_is_applied_every_step(tiny_bundle, monkeypatch):
    calls = []
    real = torch.nn.utils.clip_grad_norm_

    def spy(params, max_norm, *args, **kwargs):
        calls.append(max_norm)
        return real(params, max_norm, *args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    data = tiny_bundle((4,), 3, n_train=48)
    end, _ = run(experiment(epochs=2, grad_clip=0.25), data)
    assert end.status == "finished"
    assert calls == [0.25] * 6
    calls.clear()
    run(experiment(epochs=2, grad_clip=0.0), data)
    assert calls == []


def test_grad_clip_tames_a_huge_learning_rate(tiny_bundle):
    data = tiny_bundle((4,), 3, n_train=48)
    clipped, _ = run(experiment(lr=1e6, momentum=0.0, grad_clip=1e-6, epochs=2), data)
    assert clipped.status == "finished"
    unclipped, _ = run(experiment(lr=1e6, momentum=0.0, epochs=2), data)
    assert unclipped.status == "failed"


# ---------------------------------------------------------------- early stopping and failures


def test_early_stopping(tiny_bundle):
    data = tiny_bundle((4,), 3, n_train=64, n_val=32)
    # validation labels are the training labels shifted: learning the training set makes val loss worse
    shifted = dataclasses.replace(data, val_x=data.train_x[:32], val_y=(data.train_y[:32] + 1) % 3)
    end, events = run(experiment(epochs=30, patience=2, optimizer="adam", lr=0.02), shifted)
    assert end.status == "finished"
    assert "early stopping" in end.reason and "2 epochs" in end.reason
    assert end.epochs_done < 30 and end is events[-1]
    losses = [e.val_loss for e in end.history]
    best = losses.index(min(losses))
    assert best == len(losses) - 3  # stopped after exactly `patience` epochs without a better val loss
    assert end.test_accuracy is not None  # the test split is still evaluated


def test_patience_zero_never_stops_early(tiny_bundle):
    data = tiny_bundle((4,), 3, n_train=64, n_val=32)
    shifted = dataclasses.replace(data, val_x=data.train_x[:32], val_y=(data.train_y[:32] + 1) % 3)
    end, _ = run(experiment(epochs=6, patience=0, optimizer="adam", lr=0.02), shifted)
    assert end.epochs_done == 6 and end.reason == "trained 6 epochs"


def test_divergence_fails_with_a_hint(tiny_bundle, every_batch):
    data = tiny_bundle((4,), 3, n_train=48)
    end, events = run(experiment(lr=1e6, momentum=0.0, epochs=3), data)
    assert end.status == "failed"
    assert "nan" in end.reason.lower() or "inf" in end.reason.lower()
    assert "learning rate" in end.hint
    assert events[-1] is end and len(of(events, RunEnded)) == 1
    epoch_ends = of(events, EpochEnd)
    assert end.history == tuple(epoch_ends) and end.epochs_done == len(epoch_ends) < 3
    assert all(math.isfinite(e.train_loss) and math.isfinite(e.val_loss) for e in epoch_ends)
    # nothing after the failure but the RunEnded
    last_epoch_end = max((i for i, e in enumerate(events) if isinstance(e, EpochEnd)), default=0)
    assert all(not isinstance(e, EpochEnd) for e in events[last_epoch_end + 1 :])


def test_divergence_inside_training_is_caught(tiny_bundle):
    # lr 100 grows the training loss until it is NaN; the failure names where
    data = tiny_bundle((4,), 3, n_train=64)
    end, events = run(experiment(lr=100.0, momentum=0.0, epochs=10), data)
    assert end.status == "failed" and "epoch" in end.reason
    assert "nan" in end.reason.lower() or "inf" in end.reason.lower()


# ---------------------------------------------------------------- stopping


@pytest.mark.parametrize("k", [1, 2, 4])
def test_stop_after_kth_batch_end(tiny_bundle, every_batch, forwards, k):
    data = tiny_bundle((4,), 3, n_train=80)  # 5 batches per epoch
    stop = []

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.step == k:
            stop.append(True)

    events = []
    end = fit(experiment(epochs=3), data, on_event=on_event, should_stop=lambda: bool(stop))
    assert end.status == "stopped" and "stopped" in end.reason
    assert events[-1] is end and len(of(events, RunEnded)) == 1
    assert max(b.step for b in of(events, BatchEnd)) == k
    assert forwards["train"] <= k + 1  # at most one more step after the flag
    assert forwards["train"] == k  # in fact none: the flag is checked before each batch
    assert of(events, EpochEnd) == []


def test_stop_counted_by_polls(tiny_bundle, forwards):
    data = tiny_bundle((4,), 3, n_train=80)
    polls = []

    def should_stop():
        polls.append(1)
        return len(polls) > 7

    end, events = run(experiment(epochs=3), data, should_stop=should_stop)
    assert end.status == "stopped"
    assert forwards["train"] <= 7


def test_stop_during_evaluation(tiny_bundle, every_batch, forwards):
    data = tiny_bundle((4,), 3, n_train=32)  # 2 batches per epoch
    stop = []

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.batch == event.batches:
            stop.append(True)

    events = []
    end = fit(experiment(epochs=3), data, on_event=on_event, should_stop=lambda: bool(stop))
    assert end.status == "stopped"
    assert of(events, EpochEnd) == [] and forwards["train"] == 2 and forwards["eval"] == 0


def test_stop_from_the_start_takes_no_step(tiny_bundle, forwards):
    end, events = run(experiment(), tiny_bundle(), should_stop=lambda: True)
    assert end.status == "stopped"
    assert forwards["train"] == 0
    assert [type(e) for e in events] == [RunStarted, RunEnded]
    assert end.epochs_done == 0 and end.history == ()


def test_pipeline_run_stop_before_training(tiny_bundle, forwards):
    events = []
    end = run_unsaved(experiment(), on_event=events.append, should_stop=lambda: True, data=tiny_bundle())
    assert end.status == "stopped" and events[-1] is end
    assert forwards["train"] == 0 and not of(events, RunStarted)


# ---------------------------------------------------------------- the pipeline's run never raises


def test_pipeline_run_trains_given_data(tiny_bundle):
    events = []
    end = run_unsaved(experiment(), on_event=events.append, should_stop=lambda: False, data=tiny_bundle())
    assert end.status == "finished"
    assert isinstance(events[0], RunPhase) and events[-1] is end and len(of(events, RunEnded)) == 1


@pytest.mark.parametrize(
    ("exp", "words"),
    [
        (experiment(lr=-1.0), "learning rate (lr)"),
        (experiment(optimizer="lbfgs"), "optimizer must be one of"),
        (experiment(device="gpu"), "device must be"),
        (experiment(layers=()), "no layers"),
        (experiment(layers=(L("Linear", {"out_features": 0}),)), "out_features"),
        (dataclasses.replace(experiment(), data=DataSpec(name="no-such-dataset")), "unknown dataset"),
        (dataclasses.replace(experiment(), data=DataSpec(name="csv:/nonexistent/file.csv")), "file.csv"),
        (
            dataclasses.replace(
                experiment(layers=(L("Conv2d"), L("Flatten"), L("Linear"))), data=DataSpec(name="iris")
            ),
            "layer 1 Conv2d",
        ),
        (dataclasses.replace(experiment(layers=(L("Flatten"),)), data=DataSpec(name="moons")), "no weights"),
    ],
)
def test_pipeline_run_fails_cleanly(exp, words):
    events = []
    end = run_unsaved(exp, on_event=events.append, should_stop=lambda: False)
    assert end.status == "failed"
    assert words in end.reason
    assert events[-1] is end and len(of(events, RunEnded)) == 1
    assert not of(events, EpochEnd)


def test_pipeline_run_with_a_stack_that_does_not_fit_given_data(tiny_bundle):
    events = []
    end = run_unsaved(
        experiment(layers=(L("Linear"),)),
        on_event=events.append,
        should_stop=lambda: False,
        data=tiny_bundle((1, 8, 8), 3),
    )
    assert end.status == "failed" and "add a Flatten" in end.reason and end.hint


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_missing_cuda_fails_cleanly(tiny_bundle, device, forwards):
    end, events = run(experiment(device=device), tiny_bundle())
    assert end.status == "failed"
    assert "not available" in end.reason and device in end.reason
    assert "cpu" in end.hint
    assert [type(e) for e in events] == [RunEnded] and forwards["train"] == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda(tiny_bundle):
    data = tiny_bundle((1, 8, 8), 3, n_train=48, n_val=16)
    end, events = run(experiment(CNN, device="cuda", epochs=2), data)
    assert end.status == "finished", end.reason
    assert events[0].device == "cuda:0" and devices.resolve_device("auto") == "cuda:0"
    for event in events:
        _walk_plain(event)  # nothing from the GPU crosses the boundary
    assert sum(end.test_report.support) == 16
    again, _ = run(experiment(CNN, device="cuda", epochs=2), data)
    assert len(again.history) == 2


def test_device_resolution():
    assert devices.resolve_device("cpu") == "cpu"
    assert devices.resolve_device("auto") in devices.available_devices()
    assert devices.available_devices()[0] == "cpu"
    with pytest.raises(ValueError, match="not available"):
        devices.resolve_device("cuda:99")


def test_divergence_names_the_first_batch_whose_loss_is_not_finite_whatever_the_emit_rate(tiny_bundle):
    """The loss is read back only at emits, but the failure names the exact first bad batch: the same one
    whether BatchEnd is emitted after every batch (clock step 1 s) or only at the epoch's end (step 0)."""
    from helpers import SimulatedClock

    from tui_trainer.core.training.engine import fit

    data = tiny_bundle((4,), 3, n_train=256)
    exp = experiment(lr=100.0, momentum=0.0, epochs=10, batch_size=4)
    reasons = []
    for step in (1.0, 0.0, 0.0):
        events = []
        end = fit(exp, data, on_event=events.append, should_stop=lambda: False, clock=SimulatedClock(step=step))
        assert end.status == "failed"
        reasons.append(end.reason)
        if step:  # every batch emitted: the last BatchEnd is the batch before the bad one
            last = [e for e in events if isinstance(e, BatchEnd)][-1]
            assert f"epoch {last.epoch}, batch {last.batch + 1}" in end.reason or (
                last.batch == last.batches and f"epoch {last.epoch + 1}, batch 1" in end.reason
            )
    assert reasons[0] == reasons[1] == reasons[2], reasons


def test_a_saved_run_stopped_before_its_first_epoch_leaves_no_run_directory(tiny_bundle, tmp_path):
    from tui_trainer.core.pipeline.execute import run
    from tui_trainer.core.pipeline.request import RunRequest

    request = RunRequest(experiment(), runs_dir=str(tmp_path / "runs"))
    end = run(request, on_event=lambda e: None, should_stop=lambda: True, data=tiny_bundle())
    assert end.status == "stopped" and list((tmp_path / "runs").iterdir()) == []
    kept = run(request, on_event=lambda e: None, should_stop=lambda: False, data=tiny_bundle())
    assert kept.status == "finished" and len(list((tmp_path / "runs").iterdir())) == 1
