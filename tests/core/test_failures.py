"""Failures during training end the run "failed" with one line (CLI exit 1, summary.json, the event), never a
traceback and never a run left "running"; BatchNorm with a batch of one is refused before training starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from torch import nn

from tui_trainer.cli import main
from tui_trainer.core.spec.experiment import validate
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.training.failures import describe_failure, is_out_of_memory, one_line

CPU_OOM = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 17179869184 bytes. Error code 12"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "user-presets"))
    monkeypatch.chdir(tmp_path)


def train(capsys, tmp_path, *settings: str) -> tuple[int, list[str], dict]:
    """`tui-trainer train` on moons with the MLP; (exit status, stderr lines, summary.json)."""
    argv = [
        "train",
        "--dataset",
        "moons",
        "--preset",
        "mlp",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--set",
        "threads=1",
    ]
    for setting in settings:
        argv += ["--set", setting]
    status = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    run_dirs = sorted((tmp_path / "runs").glob("*"))
    summary = json.loads((run_dirs[-1] / "summary.json").read_text()) if run_dirs else {}
    return status, err.strip().splitlines(), summary


def _raise_in_forward(monkeypatch, exc: BaseException, after_calls: int = 3) -> None:
    real = nn.Linear.forward
    calls = {"n": 0}

    def forward(self, x):
        calls["n"] += 1
        if calls["n"] > after_calls:
            raise exc
        return real(self, x)

    monkeypatch.setattr(nn.Linear, "forward", forward)


def test_cpu_out_of_memory_fails_the_run_with_the_model_size(capsys, tmp_path, monkeypatch):
    _raise_in_forward(monkeypatch, RuntimeError(CPU_OOM))
    status, err, summary = train(capsys, tmp_path, "epochs=2")
    assert status == 1
    assert len(err) == 1 and err[0].startswith("error: out of memory on cpu: the model has "), err
    assert (
        "2,338 parameters and needs about " in err[0] and "KB at batch 32" in err[0] and "smaller batch size" in err[0]
    )
    assert summary["status"] == "failed" and summary["reason"].startswith("out of memory on cpu")


def test_any_exception_while_training_fails_the_run_in_one_line(capsys, tmp_path, monkeypatch):
    _raise_in_forward(monkeypatch, ValueError("something unexpected\nwith a second line"))
    status, err, summary = train(capsys, tmp_path, "epochs=2")
    assert status == 1
    assert err == ["error: ValueError: something unexpected (this looks like a bug: please report it)"]
    assert summary["status"] == "failed"  # never left "running"
    assert summary["reason"] == "ValueError: something unexpected"


def test_batchnorm_with_a_batch_of_one_is_refused_before_training(capsys, tmp_path):
    experiment = load_preset("cnn-bn").with_train(batch_size=1)
    problems = validate(experiment)
    assert [p.field for p in problems] == ["train.batch_size"]
    assert "BatchNorm" in problems[0].message
    assert validate(experiment.with_train(batch_size=2)) == []
    status = main(["train", "--dataset", "digits28", "--preset", "cnn-bn", "--set", "batch_size=1"])
    out, err = capsys.readouterr()
    assert (
        status == 2
        and err.count("\n") == 1
        and err.startswith("error: batch_size must be at least 2 with BatchNorm layers, not 1")
    )
    assert not Path("runs").exists()  # nothing was written


def test_the_failure_words():
    import torch

    from tui_trainer.core.spec.experiment import LayerSpec, TrainSpec
    from tui_trainer.core.spec.memory import estimate_memory
    from tui_trainer.core.spec.summary import summarize

    assert is_out_of_memory(RuntimeError(CPU_OOM)) and is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert one_line(KeyError("x" * 1000)).endswith("...") and len(one_line(KeyError("x" * 1000))) == 300
    estimate = estimate_memory(summarize([LayerSpec("Linear")], (10,), 10), TrainSpec())
    reason, hint = describe_failure(RuntimeError(CPU_OOM), estimate, "cpu")
    assert reason.startswith("out of memory on cpu: the model has 110 parameters and needs about ")
    assert "(weights 440 B, gradients 440 B, sgd momentum 440 B, activations " in reason and "batch" in hint
    assert describe_failure(RuntimeError(CPU_OOM), None, "cuda:0") == ("out of memory on cuda:0", hint)
