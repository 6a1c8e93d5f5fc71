"""Opt-in speed-ups (mixed precision, channels-last, torch.compile): on CPU they train, announce
themselves, and channels-last changes numbers only by float rounding; off, the step is the plain one."""

from __future__ import annotations

import pytest
import torch
from helpers import MLP
from helpers import experiment as base_experiment

from tui_trainer.core.spec.events import RunPhase, RunStarted
from tui_trainer.core.spec.experiment import LayerSpec, TrainSpec
from tui_trainer.core.training.engine import fit
from tui_trainer.core.training.speedups import SpeedUps

L = LayerSpec
CNN = (  # this file's own stack, without helpers.CNN's BatchNorm and Dropout: the tolerances below are for it
    L("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
    L("ReLU"),
    L("MaxPool2d"),
    L("Flatten"),
    L("Linear"),
)


def experiment(layers, **train):
    return base_experiment(layers, name="speed", **{"epochs": 3, **train})


def run(exp, data):
    events: list = []
    end = fit(exp, data, on_event=events.append, should_stop=lambda: False)
    assert end.status == "finished", end.reason
    phases = [e.message for e in events if isinstance(e, RunPhase)]
    phases += [f"speed-ups on: {e.speedups}" for e in events if isinstance(e, RunStarted) and e.speedups]
    return [(e.train_loss, e.val_loss, e.val_accuracy) for e in end.history], phases


@pytest.fixture
def images(tiny_bundle):
    return tiny_bundle((1, 8, 8), 3, n_train=64)


def test_channels_last_gives_the_same_numbers_up_to_float_rounding(images):
    plain, phases = run(experiment(CNN), images)
    fast, fast_phases = run(experiment(CNN, channels_last=True), images)
    for a, b in zip(plain, fast, strict=True):
        assert b == pytest.approx(a, rel=1e-5)  # NHWC convolutions sum in another order
    assert not any("speed-ups" in p for p in phases)
    assert "speed-ups on: channels-last" in fast_phases


def test_mixed_precision_trains_close_to_float32(images):
    plain, _ = run(experiment(CNN, grad_clip=1.0), images)
    mixed, phases = run(experiment(CNN, mixed_precision=True, grad_clip=1.0), images)
    assert mixed != plain  # bfloat16 really was used
    for (a, b, _), (c, d, _) in zip(plain, mixed, strict=True):
        assert c == pytest.approx(a, rel=0.1) and d == pytest.approx(b, rel=0.1)
    assert "speed-ups on: mixed precision (bfloat16)" in phases


def test_a_failing_compile_falls_back_to_the_plain_model(tiny_bundle, monkeypatch):
    def broken_compile(model, **kwargs):
        def compiled(x):
            raise RuntimeError("no compiler here\nmore details")

        return compiled

    monkeypatch.setattr(torch, "compile", broken_compile)
    data = tiny_bundle((4,), 3)
    plain, _ = run(experiment(MLP), data)
    fallback, phases = run(experiment(MLP, compile=True), data)
    assert fallback == plain
    assert any(
        p.startswith("torch.compile failed (RuntimeError: no compiler here); training without it") for p in phases
    )


def test_compile_trains_as_the_plain_model(tiny_bundle):
    data = tiny_bundle((4,), 3)
    plain, _ = run(experiment(MLP, epochs=2), data)
    compiled, phases = run(experiment(MLP, epochs=2, compile=True), data)
    assert "speed-ups on: torch.compile" in phases
    if any("torch.compile failed" in p for p in phases):
        pytest.skip(f"torch.compile cannot run here: {phases}")
    for a, b in zip(plain, compiled, strict=True):
        assert b == pytest.approx(a, rel=1e-4, abs=1e-5)


def test_the_float16_path_scales_unscales_clips_and_steps():
    """The GradScaler path (CUDA float16 in real runs) driven on the CPU: finite, clipped, stepped."""
    model = torch.nn.Linear(4, 3)
    step = SpeedUps(model, TrainSpec(mixed_precision=True), "cpu")
    step.scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    loss = torch.nn.functional.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 3, (8,)))
    step.backward_step(loss, optimizer, grad_clip=0.01)
    moved = (model.weight.detach() - before).norm()
    assert 0 < moved <= 0.1 * 0.01 + 1e-6  # one step of lr 0.1 on a gradient clipped to norm 0.01 (unscaled)


def test_the_speed_ups_in_use_travel_in_run_started_and_print_in_the_cli(images, capsys):
    from tui_trainer.cli.report import EventPrinter

    exp = experiment(CNN, mixed_precision=True, channels_last=True)
    events: list = []
    fit(exp, images, on_event=events.append, should_stop=lambda: False)
    (started,) = [e for e in events if isinstance(e, RunStarted)]
    assert started.speedups == "mixed precision (bfloat16), channels-last"
    printer = EventPrinter(exp, tty=False)
    for event in events:
        printer(event)
    printer(RunPhase("torch.compile failed (X); training without it"))  # a note while training prints
    out = capsys.readouterr().out
    assert "device cpu with mixed precision (bfloat16), channels-last" in out
    assert "torch.compile failed (X); training without it" in out
    assert "loading" not in out and "building the model" not in out  # start-up phases stay quiet
