"""The learning-rate finder: the sweep leaves the model as it was, its rules, its suggestion trains well, the
command, and both backends computing it where training runs."""

from __future__ import annotations

import json
import math
import os
import threading

import numpy as np
import pytest
import torch

from tui_trainer.cli import main
from tui_trainer.core.backend.base import BUSY
from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.data import load_dataset
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.lr_find import find_lr
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.lr_finding import LrFinding, steep, suggest, sweep_rates, valley
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.training.batches import TensorBatches
from tui_trainer.core.training.lr_find import sweep
from tui_trainer.core.training.model import build_model
from tui_trainer.core.training.optim import make_optimizer


def moons_mlp(**train):
    return load_preset("mlp").with_data(name="moons").with_train(**{"threads": 1, "device": "cpu", **train})


def test_the_rates_rise_exponentially_from_1e_7_to_10():
    rates = sweep_rates()
    assert len(rates) == 100 and rates[0] == pytest.approx(1e-7) and rates[-1] == pytest.approx(10.0)
    ratios = np.diff(np.log10(rates))
    assert np.allclose(ratios, ratios[0])


def test_the_sweep_puts_the_model_and_the_optimizer_back():
    exp = moons_mlp()
    data = load_dataset(exp.data)
    torch.manual_seed(0)
    model = build_model(exp.layers, data.input_shape, data.n_classes)
    optimizer = make_optimizer(model.parameters(), exp.train)  # SGD with momentum: it has state
    batches = TensorBatches(data.train_x, data.train_y, 32, generator=torch.Generator().manual_seed(0))
    xb, yb = next(iter(batches))
    torch.nn.functional.cross_entropy(model(xb), yb).backward()
    optimizer.step()
    model.eval()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    momentum = {k: v["momentum_buffer"].clone() for k, v in optimizer.state_dict()["state"].items()}
    lrs, losses, stopped = sweep(model, optimizer, batches)
    assert len(lrs) == len(losses) > 50
    assert abs(losses[-1] - min(losses)) > 0.1  # the weights did move during the sweep
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    state = optimizer.state_dict()
    assert all(torch.equal(momentum[k], v["momentum_buffer"]) for k, v in state["state"].items())
    assert state["param_groups"][0]["lr"] == exp.train.lr
    assert not model.training  # its mode too


def test_losses_are_the_bias_corrected_moving_average():
    exp = moons_mlp()
    data = load_dataset(exp.data)
    torch.manual_seed(0)
    model = build_model(exp.layers, data.input_shape, data.n_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = TensorBatches(data.train_x, data.train_y, 32, generator=torch.Generator().manual_seed(0))
    lrs, losses, _ = sweep(model, optimizer, batches, steps=5, start=1e-3, end=1e-2)
    # recomputed with plain torch: the same batches and rates on a copy of the model
    torch.manual_seed(0)
    twin = build_model(exp.layers, data.input_shape, data.n_classes)
    opt = torch.optim.SGD(twin.parameters(), lr=0.1)
    again = TensorBatches(data.train_x, data.train_y, 32, generator=torch.Generator().manual_seed(0))
    avg, expected = 0.0, []
    for i, (xb, yb) in zip(range(5), again, strict=False):
        for g in opt.param_groups:
            g["lr"] = lrs[i]
        loss = torch.nn.functional.cross_entropy(twin(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg = 0.98 * avg + 0.02 * loss.item()
        expected.append(avg / (1 - 0.98 ** (i + 1)))
    assert losses == pytest.approx(expected, rel=1e-6)


def test_valley_and_steepest_descent_on_a_known_curve():
    lrs = sweep_rates(1e-4, 1.0, 41)
    x = np.log10(lrs)  # -4 .. 0
    losses = list(1.0 - 0.5 * np.tanh(2 * (x + 2)) + np.where(x > -0.5, 10 * (x + 0.5) ** 2, 0.0))
    rate, why = steep(lrs, losses)
    slopes = np.gradient(losses, x)[1:-1]  # central differences, as the rule's
    assert rate == pytest.approx(lrs[int(np.argmin(slopes)) + 1])
    assert math.log10(rate) == pytest.approx(-2.0, abs=0.1)
    assert "falls fastest" in why
    rate, why = valley(lrs, losses)
    assert -2.6 < math.log10(rate) < -1.0 and "longest fall" in why  # inside the fall, before the minimum
    finding = suggest(lrs, losses)
    assert finding.rule == "valley" and finding.steepest is not None


def test_a_sweep_too_short_suggests_nothing():
    finding = suggest([1e-3, 1e-2], [1.0, 0.9])
    assert finding.suggestion is None and "too short" in finding.why


def test_the_suggestion_on_moons_mlp_trains_to_the_presets_accuracy():
    exp = moons_mlp()
    finding = find_lr(exp)
    assert isinstance(finding, LrFinding), finding
    assert finding.rule == "valley" and 1e-7 < finding.suggestion < 10
    assert len(finding.lrs) == len(finding.losses) <= 100

    def final(experiment) -> float:
        """The validation accuracy the run ends with (what `train` reports as its result)."""
        end = run(RunRequest(experiment, runs_dir=None), on_event=lambda e: None, should_stop=lambda: False)
        assert end.status == "finished", end.reason
        return end.history[-1].val_accuracy

    assert final(exp.with_train(lr=finding.suggestion)) >= final(exp)


def test_the_command_prints_the_suggestion_and_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["lr-find", "--dataset", "moons", "--preset", "perceptron", "--set", "threads=1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(doc) >= {"lrs", "losses", "suggestion", "rule"} and doc["rule"] == "valley"
    assert len(doc["lrs"]) == len(doc["losses"]) and doc["suggestion"] > 0
    assert main(["lr-find", "--dataset", "moons", "--set", "lr=-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "lr" in err[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_thread_backend_refuses_while_a_run_trains():
    gate = threading.Event()

    def held(request, *, on_event, should_stop):
        gate.wait(60)

    backend = ThreadBackend(held, devices=("auto", "cpu"), lr_finder=lambda exp: "computed")
    handle = backend.start(RunRequest(moons_mlp(), runs_dir=None))
    assert backend.find_lr(moons_mlp()) == BUSY
    gate.set()
    list(handle.events())
    assert backend.find_lr(moons_mlp()) == "computed"
    backend.close()


@pytest.mark.process
@pytest.mark.skipif(os.name != "posix", reason="the training process needs POSIX")
def test_the_child_computes_the_same_finding_as_this_process():
    from tui_trainer.core.backend.process import ProcessBackend

    exp = moons_mlp(epochs=1)
    backend = ProcessBackend(threads=1)
    try:
        there = backend.find_lr(exp)
        bad = backend.find_lr(exp.with_data(name="no-such-set"))
    finally:
        backend.close()
    here = find_lr(exp)
    assert isinstance(there, LrFinding) and there == here
    assert isinstance(bad, str) and "no-such-set" in bad
