"""Inspection: the samples a model gets wrong, its filters and feature maps, live and from a saved run."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from helpers import CNN, MLP, experiment

from tui_trainer.cli import main
from tui_trainer.core.analysis.saved import inspect_or_message, inspect_run
from tui_trainer.core.data import load_dataset
from tui_trainer.core.pipeline.execute import run as run_pipeline
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import EpochEnd
from tui_trainer.core.spec.inspection import CORRECT_PER_CLASS, Inspection
from tui_trainer.core.training.model import build_model


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A small CNN trained 2 epochs on digits (8x8 images), saved: (run directory, its events)."""
    root = tmp_path_factory.mktemp("runs")
    exp = experiment(CNN, dataset="digits", epochs=2, batch_size=32, lr=0.05)
    events = []
    end = run_pipeline(
        RunRequest(exp, runs_dir=str(root), inspect=True), on_event=events.append, should_stop=lambda: False
    )
    assert end.status == "finished", end.reason
    (run_dir,) = [p for p in root.iterdir() if p.is_dir()]
    return run_dir, events


def _recomputed(run_dir, name: str):
    """Per-sample losses, probabilities and predictions of a checkpoint on its validation split, with plain torch."""
    doc = torch.load(run_dir / f"{name}.pt", weights_only=True)
    data = load_dataset(experiment(CNN, dataset="digits").data)
    model = build_model(CNN, data.input_shape, data.n_classes)
    model.load_state_dict(doc["model"])
    model.eval()
    with torch.no_grad():
        logits = model(data.val_x)
    return doc, data, F.cross_entropy(logits, data.val_y, reduction="none"), torch.softmax(logits, 1), logits.argmax(1)


@pytest.mark.parametrize("name", ["best", "last"])
def test_top_losses_equal_a_plain_torch_recomputation(digits_run, name):
    run_dir, _ = digits_run
    doc, data, losses, probs, pred = _recomputed(run_dir, name)
    ins = inspect_run(run_dir, name, top=12)
    assert ins.epoch == doc["epoch"] and ins.n_val == len(data.val_y)
    order = torch.argsort(losses, descending=True, stable=True)[:12].tolist()
    top = ins.top(12)
    assert [s.index for s in top] == order
    for s in top:
        assert s.true == int(data.val_y[s.index]) and s.pred == int(pred[s.index])
        assert s.loss == pytest.approx(float(losses[s.index]), rel=1e-5, abs=1e-6)
        assert s.probs == pytest.approx(probs[s.index].tolist(), abs=1e-6)
        assert sum(s.probs) == pytest.approx(1.0, abs=1e-5)
    assert ins.n_wrong == int((pred != data.val_y).sum())
    assert {s.index for s in ins.wrong()} == set(torch.nonzero(pred != data.val_y).flatten().tolist())


def test_a_confusion_cell_lists_exactly_its_samples(digits_run):
    run_dir, _ = digits_run
    _, data, _, _, pred = _recomputed(run_dir, "last")
    ins = inspect_run(run_dir, "last")
    names = ins.class_names
    for t in range(len(names)):
        for p in range(len(names)):
            cell = ins.cell(t, p)
            count = ins.confusion[t][p]
            assert count == int(((data.val_y == t) & (pred == p)).sum())
            assert all(s.true == t and s.pred == p for s in cell)
            assert len(cell) == (count if t != p else min(count, CORRECT_PER_CLASS))
            assert [s.loss for s in cell] == sorted((s.loss for s in cell), reverse=True)
    pairs = ins.most_confused()
    assert [c for _, _, c in pairs] == sorted((c for _, _, c in pairs), reverse=True)
    assert sum(c for _, _, c in pairs) == ins.n_wrong


def test_filters_equal_the_checkpoints_weights_and_maps_follow_each_conv_and_pool(digits_run):
    run_dir, _ = digits_run
    doc, data, _, _, _ = _recomputed(run_dir, "best")
    ins = inspect_run(run_dir, "best", sample=5)
    view = ins.layers
    weight = doc["model"]["0.weight"]
    assert view.layer == "1 Conv2d" and view.filter_shape == tuple(weight.shape)
    assert list(view.weights) == weight.flatten().tolist()
    assert view.filter(1)[0] == weight[1, 0].tolist()
    assert [m.layer for m in view.maps] == ["1 Conv2d", "4 MaxPool2d"]
    assert view.sample == 5 and [m.shape for m in view.maps] == [(4, 8, 8), (4, 4, 4)]
    conv = F.conv2d(data.val_x[5:6], weight, doc["model"]["0.bias"], padding=1)[0]
    first = view.maps[0].pixels
    for c in range(4):  # each channel stretched over its own range: its brightest pixel is the conv's largest
        channel = list(first[c * 64 : (c + 1) * 64])
        assert channel.index(255) == int(conv[c].flatten().argmax())


def test_images_are_carried_as_bytes_and_tabular_samples_as_features(digits_run, tmp_path):
    run_dir, _ = digits_run
    ins = inspect_run(run_dir)
    assert ins.image_shape == (1, 8, 8)
    assert all(len(s.pixels) == 64 and not s.features for s in ins.samples)
    exp = experiment(MLP, dataset="iris", epochs=1)
    run_pipeline(RunRequest(exp, runs_dir=str(tmp_path)), on_event=lambda e: None, should_stop=lambda: False)
    (iris_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    tab = inspect_run(iris_dir, "last")
    assert tab.image_shape == () and tab.layers is None
    assert all(len(s.features) == 4 and not s.pixels for s in tab.samples)


def test_the_live_run_sends_an_inspection_after_each_epoch(digits_run):
    run_dir, events = digits_run
    kinds = [type(e).__name__ for e in events if isinstance(e, (EpochEnd, Inspection))]
    assert kinds == ["EpochEnd", "Inspection"] * 2
    for epoch, ins in zip(
        (e for e in events if isinstance(e, EpochEnd)), (e for e in events if isinstance(e, Inspection)), strict=True
    ):
        assert ins.epoch == epoch.epoch and ins.confusion == epoch.report.confusion
    assert "Inspection" not in (run_dir / "events.jsonl").read_text()  # never logged
    last = [e for e in events if isinstance(e, Inspection)][-1]
    assert last.layers is not None and last.layers.sample == 0
    saved = inspect_run(run_dir, "last")
    assert [s.index for s in saved.wrong()] == [s.index for s in last.wrong()]


def test_without_inspect_a_run_sends_no_inspection(tiny_bundle):
    events = []
    run_pipeline(
        RunRequest(experiment(epochs=1), runs_dir=None),
        on_event=events.append,
        should_stop=lambda: False,
        data=tiny_bundle(),
    )
    assert not [e for e in events if isinstance(e, Inspection)]


def test_inspect_command_prints_the_top_losses_and_json(digits_run, capsys):
    run_dir, _ = digits_run
    assert main(["inspect", str(run_dir), "--top", "3", "--json", "--checkpoint", "last"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    doc = json.loads(out[-1])
    _, data, losses, probs, pred = _recomputed(run_dir, "last")
    order = torch.argsort(losses, descending=True, stable=True)[:3].tolist()
    assert [s["index"] for s in doc["samples"]] == order
    assert [s["pred"] for s in doc["samples"]] == [int(pred[i]) for i in order]
    assert set(doc["samples"][0]) >= {"index", "true", "pred", "loss", "probs"}
    assert all(set(p) == {"true", "pred", "count"} for p in doc["most_confused"])
    assert "highest loss" in "\n".join(out) and "most confused" in "\n".join(out)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["inspect", "no-such-run"], "there is no run directory"),
        (["inspect", "RUN", "--top", "0"], "--top must be at least 1"),
        (["inspect", "RUN", "--checkpoint", "middle"], "invalid choice"),
    ],
)
def test_inspect_command_refuses_bad_input_in_one_line(digits_run, capsys, argv, words):
    run_dir, _ = digits_run
    argv = [str(run_dir) if a == "RUN" else a for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and words in captured.err


def test_a_run_without_checkpoints_is_a_message(tmp_path):
    (tmp_path / "r").mkdir()
    assert "there is no checkpoint" in inspect_or_message(str(tmp_path / "r"))


def test_a_failing_inspection_is_said_once_and_training_goes_on(tiny_bundle):
    from tui_trainer.core.spec.events import RunPhase
    from tui_trainer.core.training.engine import fit

    calls = []

    def broken(model, logits, val_x, val_y, epoch):
        calls.append(epoch)
        raise ValueError("no")

    events = []
    end = fit(experiment(epochs=3), tiny_bundle(), on_event=events.append, should_stop=lambda: False, inspect=broken)
    assert end.status == "finished" and end.epochs_done == 3
    assert calls == [1]
    notes = [e.message for e in events if isinstance(e, RunPhase)]
    assert notes == ["note: the inspection of epoch 1 failed (ValueError: no); no more this run"]


def test_the_live_inspection_leaves_the_training_unchanged(tiny_bundle):
    """The same run with and without inspect=True: the same epochs (the hook reads the model in eval mode)."""
    from tui_trainer.core.training.engine import fit

    exp = experiment(CNN, epochs=2)
    data = tiny_bundle((1, 8, 8), 3, n_train=48, n_val=16)
    from tui_trainer.core.analysis.live import LiveInspector

    plain = fit(exp, data, on_event=lambda e: None, should_stop=lambda: False)
    seen = []
    inspected = fit(exp, data, on_event=seen.append, should_stop=lambda: False, inspect=LiveInspector(data))
    assert [vars(e.metrics) | {"seconds": 0} for e in plain.history] == [
        vars(e.metrics) | {"seconds": 0} for e in inspected.history
    ]
    assert len([e for e in seen if isinstance(e, Inspection)]) == 2


def test_a_live_run_is_inspected_at_most_every_interval_and_at_its_last_epoch(tiny_bundle):
    """Simulated seconds: 0.9 s per epoch and a 2 s interval inspect epochs 1 and 4, then the last (5)."""
    from tui_trainer.core.analysis.live import LiveInspector
    from tui_trainer.core.training.engine import fit

    exp = experiment(CNN, epochs=5)
    data = tiny_bundle((1, 8, 8), 3, n_train=48, n_val=16)
    ticks = iter(0.9 * k for k in range(100))
    inspector = LiveInspector(data, epochs=5, interval=2.0, clock=lambda: next(ticks))
    seen = []
    fit(exp, data, on_event=seen.append, should_stop=lambda: False, inspect=inspector)
    assert [e.epoch for e in seen if isinstance(e, Inspection)] == [1, 4, 5]
