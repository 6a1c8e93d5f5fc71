"""restore_best: a run whose validation gets worse ends with its best epoch's weights, and says so."""

from __future__ import annotations

import dataclasses
import json

import torch
from helpers import MLP, experiment

from tui_trainer.cli.report import final_report, run_json
from tui_trainer.core.pipeline.execute import run as run_pipeline
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.training.model import build_model


def _worsening(tiny_bundle):
    """Validation labels are the training labels shifted: learning the training set makes validation worse."""
    data = tiny_bundle((4,), 3, n_train=64, n_val=32, n_test=32)
    return dataclasses.replace(data, val_x=data.train_x[:32], val_y=(data.train_y[:32] + 1) % 3)


def _train(tmp_path, data, **options):
    exp = experiment(epochs=8, optimizer="adam", lr=0.02, **options)
    events = []
    end = run_pipeline(RunRequest(exp, runs_dir=tmp_path), on_event=events.append, should_stop=lambda: False, data=data)
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return end, run_dir


def _test_accuracy(state_dict, data) -> float:
    """The test accuracy of these weights, with plain torch."""
    model = build_model(MLP, data.input_shape, data.n_classes)
    model.load_state_dict(state_dict)
    model.eval()
    with torch.no_grad():
        return float((model(data.test_x).argmax(1) == data.test_y).float().mean())


def test_restore_best_ends_with_the_best_epochs_weights(tmp_path, tiny_bundle):
    data = _worsening(tiny_bundle)
    end, run_dir = _train(tmp_path, data, restore_best=True)
    accuracies = [e.val_accuracy for e in end.history]
    losses = [e.val_loss for e in end.history]
    best = accuracies.index(max(accuracies)) + 1
    assert losses[-1] > min(losses)  # the validation loss rose: the run's last epoch is not its best
    assert best < len(accuracies)
    assert end.status == "finished" and end.restored_epoch == best
    assert end.final_epoch.epoch == best
    best_pt = torch.load(run_dir / "best.pt", weights_only=True)
    assert best_pt["epoch"] == best
    assert end.test_accuracy == _test_accuracy(best_pt["model"], data)

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["restored_epoch"] == best
    assert summary["final"]["epoch"] == best
    assert summary["final"]["val_accuracy"] == max(accuracies)
    assert summary["val_report"]["confusion_matrix"] == [list(r) for r in end.history[best - 1].report.confusion]
    text = final_report(end)
    assert f"restored the weights of epoch {best}" in text
    assert f"at epoch {best}" in text
    assert run_json(end, None, None)["restored_epoch"] == best
    assert run_json(end, None, None)["val_accuracy"] == max(accuracies)


def test_without_restore_best_the_run_ends_with_its_last_epoch(tmp_path, tiny_bundle):
    data = _worsening(tiny_bundle)
    end, run_dir = _train(tmp_path, data)
    last_pt = torch.load(run_dir / "last.pt", weights_only=True)
    assert end.restored_epoch is None and end.final_epoch is end.history[-1]
    assert end.test_accuracy == _test_accuracy(last_pt["model"], data)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["restored_epoch"] is None and summary["final"]["epoch"] == len(end.history)
    assert "restored" not in final_report(end)


def test_restore_best_is_a_setting_of_the_forms_and_set():
    from tui_trainer.core.spec.experiment import with_setting

    exp = with_setting(experiment(), "restore_best=true")
    assert exp.train.restore_best is True


def test_the_exported_script_restores_the_same_epoch(tmp_path, capsys):
    import importlib.util

    from tui_trainer.core.data import load_dataset
    from tui_trainer.core.export import ExportSource, export_script

    exp = experiment(dataset="iris", epochs=6, batch_size=16, lr=0.5, restore_best=True)
    bundle = load_dataset(exp.data)
    path = tmp_path / "train.py"
    path.write_text(export_script(ExportSource(exp, bundle.input_shape, bundle.n_classes, "a test"), "train.py"))
    spec = importlib.util.spec_from_file_location("exported_restore", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    printed = capsys.readouterr().out
    end = run_pipeline(RunRequest(exp, runs_dir=None), on_event=lambda e: None, should_stop=lambda: False)
    assert f"restored the weights of epoch {end.restored_epoch} " in printed
    assert f"final validation accuracy {end.final_epoch.val_accuracy:.2%}" in printed
