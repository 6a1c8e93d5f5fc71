"""The memory estimate (core/spec/memory.py) against hand arithmetic and torch's real tensors, and the refusal
or note before a start: `tui-trainer summary` shows it, `tui-trainer train` refuses a model that cannot fit."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import MLP
from torch import nn

from tui_trainer.cli import main
from tui_trainer.core.data.registry import shape_of
from tui_trainer.core.pipeline import checks
from tui_trainer.core.pipeline.checks import machine_memory, start_problems, training_device
from tui_trainer.core.pipeline.execute import execute
from tui_trainer.core.pipeline.prepare import PreparedRun, prepare
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import RunPhase, RunStarted
from tui_trainer.core.spec.experiment import DataSpec, Experiment, LayerSpec, Problem, TrainSpec
from tui_trainer.core.spec.memory import (
    AvailableMemory,
    MemoryEstimate,
    estimate_memory,
    format_bytes,
    memory_note,
    memory_problem,
)
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.spec.summary import summarize
from tui_trainer.core.training.model import build_model
from tui_trainer.core.training.optim import make_optimizer

L = LayerSpec
GIB = 2**30
WIDE_CNN = (
    L("Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": 1}),
    L("ReLU"),
    L("MaxPool2d"),
    L("Conv2d", {"out_channels": 128, "kernel_size": 3, "padding": 1}),
    L("BatchNorm"),
    L("ReLU"),
    L("MaxPool2d"),
    L("Flatten"),
    L("Dropout"),
    L("Linear", {"out_features": 256}),
    L("GELU"),
    L("Linear"),
)
"""A wide CNN for 3x32x32 images: every kind of layer that keeps something for the backward pass."""
HUGE = """
[[model.layers]]
type = "Linear"
out_features = 65536

[[model.layers]]
type = "ReLU"

[[model.layers]]
type = "Linear"
out_features = 65536

[[model.layers]]
type = "ReLU"

[[model.layers]]
type = "Linear"
"""
"""4,295,360,514 parameters on moons: a 65536 x 65536 Linear between two wide ones."""


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No user presets from the real home, and a scratch working directory."""
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "user-presets"))
    monkeypatch.chdir(tmp_path)


def machine_with(monkeypatch, size: int) -> None:
    """This process's checks read a machine with `size` bytes free (the real machine's memory never counts)."""
    monkeypatch.setattr(checks, "machine_memory", lambda: AvailableMemory(size, "free on this machine"))


def mlp_estimate(**train) -> MemoryEstimate:
    """The estimate of helpers.MLP (Flatten, Linear 16, ReLU, Linear) on 2 features and 3 classes."""
    return estimate_memory(summarize(MLP, (2,), 3), TrainSpec(**train), eval_samples=100)


def test_the_estimate_of_a_small_mlp_by_hand():
    params = (2 * 16 + 16) + (16 * 3 + 3)  # 99
    e = mlp_estimate(optimizer="sgd", momentum=0.9, batch_size=8)
    assert (e.params, e.weights, e.gradients, e.optimizer_state) == (params, 4 * params, 4 * params, 4 * params)
    # kept for backward per sample: the input (2, the first Linear's), the ReLU's output (16, kept by the ReLU
    # and the second Linear: once), the logits and their log-softmax (3 + 3)
    assert e.activations == 8 * (2 + 16 + 3 + 3) * 4
    # evaluation: the largest input + output of one layer (the ReLU: 16 + 16) for a chunk of the 100 samples
    assert (e.evaluation, e.eval_chunk) == (100 * 32 * 4, 100)
    assert e.total == 3 * 4 * params + max(e.activations, e.evaluation)
    assert mlp_estimate(optimizer="sgd", momentum=0.0).optimizer_state == 0
    assert mlp_estimate(optimizer="adam").optimizer_state == mlp_estimate(optimizer="adamw").optimizer_state == 8 * 99
    assert mlp_estimate(optimizer="rmsprop", momentum=0.0).optimizer_state == 4 * 99
    assert mlp_estimate(optimizer="rmsprop", momentum=0.9).optimizer_state == 8 * 99
    half = mlp_estimate(batch_size=8, mixed_precision=True)  # 2-byte activations and a 2-byte copy of the weights
    assert (half.weights, half.activations, half.evaluation) == (4 * 99, 8 * 24 * 2 + 2 * 99, 100 * 32 * 2)
    assert estimate_memory(summarize(MLP, (2,), 3), TrainSpec()).eval_chunk == 2048  # no data: a full chunk


def test_the_memory_line_and_its_units():
    assert [format_bytes(n) for n in (0, 512, 1536, 250 * 2**20, int(17.2 * GIB))] == [
        "0 B",
        "512 B",
        "1.5 KB",
        "250 MB",
        "17.2 GB",
    ]
    line = mlp_estimate(optimizer="adam", batch_size=8).line()  # 4 x 396 B + the evaluation's 12800 B = 14384 B
    assert line == (
        "memory to train: ~14.0 KB (weights 396 B, gradients 396 B, adam state 792 B, activations 768 B at batch 8, "
        "evaluation 12.5 KB in chunks of 100)"
    )
    assert "sgd momentum" not in mlp_estimate(optimizer="sgd", momentum=0.0).line()


@pytest.mark.parametrize(
    ("optimizer", "momentum"),
    [("sgd", 0.0), ("sgd", 0.9), ("adam", 0.0), ("adamw", 0.0), ("rmsprop", 0.0), ("rmsprop", 0.9)],
)
def test_weights_gradients_and_optimizer_state_are_what_torch_keeps(optimizer, momentum):
    layers, shape = load_preset("lenet5").layers, (1, 28, 28)
    train = TrainSpec(optimizer=optimizer, momentum=momentum, batch_size=4)
    estimate = estimate_memory(summarize(layers, shape, 10), train)
    model = build_model(layers, shape, 10)
    opt = make_optimizer(model.parameters(), train)
    F.cross_entropy(model(torch.randn(4, *shape)), torch.randint(0, 10, (4,))).backward()
    opt.step()
    params = list(model.parameters())
    assert sum(p.nbytes for p in params) == estimate.weights
    assert sum(p.grad.nbytes for p in params) == estimate.gradients
    state = [
        t for s in opt.state.values() for t in s.values() if torch.is_tensor(t) and t.dim() > 0
    ]  # no step counters
    assert sum(t.nbytes for t in state) == estimate.optimizer_state


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """Bytes of the distinct tensors autograd saves for one training step's backward pass (the weights
    excluded: the estimate counts them apart), plus the logits the step holds."""
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
    saved[logits.untyped_storage().data_ptr()] = logits.nbytes
    loss.backward()
    return sum(saved.values())


@pytest.mark.parametrize(
    ("layers", "dataset"),
    [
        (load_preset("mlp").layers, "moons"),
        (load_preset("lenet5").layers, "digits28"),
        (load_preset("cnn-bn").layers, "digits28"),
        (WIDE_CNN, "cifar10"),
    ],
    ids=["mlp", "lenet5", "cnn-bn", "wide-cnn"],
)
def test_the_activations_come_close_to_what_autograd_saves(layers, dataset):
    """Measured 0.98-1.00 (torch 2.14, CPU); the bound leaves room for torch's own changes but not for
    a layer kind counted twice or forgotten."""
    shape, n_classes = shape_of(DataSpec(name=dataset))
    estimate = estimate_memory(summarize(layers, shape, n_classes), TrainSpec(batch_size=64))
    torch.manual_seed(0)
    real = saved_tensor_bytes(
        build_model(layers, shape, n_classes), torch.randn(64, *shape), torch.randint(0, 2, (64,))
    )
    assert 0.75 <= estimate.activations / real <= 1.33, (estimate.activations, real)


def test_the_refusal_and_the_note():
    estimate = mlp_estimate(batch_size=8)
    room = AvailableMemory(estimate.total, "free on this machine")
    assert memory_problem(estimate, room) is None and memory_problem(estimate, None) is None
    problem = memory_problem(estimate, AvailableMemory(estimate.total - 1, "free on this machine"))
    assert problem is not None and problem.field == "" and problem.hint
    assert problem.message.startswith(f"the model needs about {format_bytes(estimate.total)} to train with batch 8, ")
    assert "free on this machine: use a smaller batch size or fewer or smaller layers" in problem.message
    note = memory_note(estimate, room)
    assert note is not None and note.startswith("note: the model needs about") and "more than half" in note
    assert memory_note(estimate, AvailableMemory(2 * estimate.total, "free on this machine")) is None
    assert memory_note(estimate, AvailableMemory(estimate.total - 1, "free on this machine")) is None  # refused


def test_start_problems_check_the_cpu_memory_where_the_run_trains_on_the_cpu():
    experiment = load_preset("mlp").with_train(device="cpu")
    tiny = lambda: AvailableMemory(1000, "free on this machine")  # noqa: E731
    training_alone = estimate_memory(summarize(experiment.layers, (2,), 2), experiment.train, eval_samples=0)
    assert training_alone.evaluation == 0  # the data's size is not known before loading: a lower bound
    assert [p.message.split(",")[0] for p in start_problems(experiment, memory=tiny)] == [
        f"the model needs about {format_bytes(training_alone.total)} to train with batch 32"
    ]
    assert start_problems(experiment, memory=lambda: None) == []  # unknown memory: not checked
    auto = experiment.with_train(device="auto")
    assert start_problems(auto, memory=tiny) == []  # where "auto" trains is not known yet: prepare checks
    assert start_problems(auto, device=training_device("auto", ("auto", "cpu")), memory=tiny) != []
    assert start_problems(auto, device=training_device("auto", ("auto", "cpu", "cuda:0")), memory=tiny) == []
    assert training_device("auto", ("auto", "cpu", "mps")) == "mps" and training_device("auto", None) == "auto"
    assert training_device("cuda:1", ("auto", "cpu")) == "cuda:1"


def test_machine_memory_reads_mem_available_else_the_physical_ram(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:   12000000 kB\n")
    monkeypatch.setattr(checks, "MEMINFO", meminfo)
    assert machine_memory() == AvailableMemory(12000000 * 1024, "free on this machine")
    monkeypatch.setattr(checks, "MEMINFO", tmp_path / "missing")
    pages = {"SC_PHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(checks.os, "sysconf", lambda name: pages[name])
    assert machine_memory() == AvailableMemory(4096000, "this machine has")


def test_prepare_checks_the_memory_on_the_loaded_data_and_writes_nothing(tmp_path, tiny_bundle):
    """The caller's bundle skips the catalogue checks: the refusal comes from the check after loading."""
    experiment = Experiment(data=DataSpec(name="tiny"), layers=MLP, train=TrainSpec(device="cpu", batch_size=16))
    data = tiny_bundle()
    estimate = estimate_memory(summarize(MLP, (4,), 3), experiment.train, data.evaluated_samples)
    request = RunRequest(experiment, runs_dir=str(tmp_path / "runs"))
    refused = prepare(request, data=data, memory=lambda: AvailableMemory(estimate.total - 1, "free on this machine"))
    assert isinstance(refused, Problem) and refused.message.startswith("the model needs about")
    assert not (tmp_path / "runs").exists()
    noted = prepare(request, data=data, memory=lambda: AvailableMemory(estimate.total, "free on this machine"))
    assert isinstance(noted, PreparedRun) and len(noted.notes) == 1
    events: list = []
    execute(noted, on_event=events.append, should_stop=lambda: False)
    started = next(i for i, e in enumerate(events) if isinstance(e, RunStarted))
    assert events[started + 1] == RunPhase(noted.notes[0])  # the note follows the start, as the engine's do


def test_train_refuses_a_model_too_big_for_the_machine(capsys, tmp_path, monkeypatch):
    machine_with(monkeypatch, 1000)
    argv = ["train", "--dataset", "moons", "--set", "device=cpu", "--runs-dir", str(tmp_path / "runs")]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("error: the model needs about "), err
    assert "more than the 1000 B free on this machine: use a smaller batch size" in err
    assert "Traceback" not in out + err and not (tmp_path / "runs").exists()


def test_train_with_more_than_half_the_memory_prints_a_note_and_trains(capsys, tmp_path, monkeypatch):
    from tui_trainer.core.data.loading import load_dataset

    experiment = load_preset("mlp")
    data = load_dataset(experiment.data)
    estimate = estimate_memory(
        summarize(experiment.layers, data.input_shape, 2), experiment.train, data.evaluated_samples
    )
    machine_with(monkeypatch, int(estimate.total * 1.5))
    settings = ["--set", "epochs=1", "--set", "threads=1", "--set", "device=cpu"]
    assert main(["train", "--dataset", "moons", *settings, "--runs-dir", str(tmp_path / "runs")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("training mlp on moons") and lines[1].startswith("run directory")
    assert lines[2].startswith(f"note: the model needs about {format_bytes(estimate.total)} to train with batch 32, ")
    assert "more than half of the" in lines[2]


def test_a_four_billion_parameter_model_is_estimated_and_refused_without_allocating(capsys, tmp_path, monkeypatch):
    config = tmp_path / "huge.toml"
    config.write_text(HUGE)
    assert main(["summary", "--dataset", "moons", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "total parameters: 4,295,360,514" in out
    # 16.0 GB of weights, of gradients and of momentum; activations at batch 32; a 2048-sample evaluation chunk
    assert "memory to train: ~49.0 GB (weights 16.0 GB, gradients 16.0 GB, sgd momentum 16.0 GB, " in out
    assert "evaluation 1.0 GB in chunks of 2048)" in out

    def no_allocation(*args, **kwargs):
        raise AssertionError("a refused run built its model")

    monkeypatch.setattr(nn.Linear, "__init__", no_allocation)
    machine_with(monkeypatch, 16 * GIB)
    argv = ["train", "--dataset", "moons", "--config", str(config), "--runs-dir", str(tmp_path / "runs")]
    assert main([*argv, "--set", "device=cpu"]) == 2  # refused before the data loads: training alone, 48 GB
    _, err = capsys.readouterr()
    assert err == (
        "error: the model needs about 48.0 GB to train with batch 32, more than the 16.0 GB free on this machine: "
        "use a smaller batch size or fewer or smaller layers\n"
    )
    assert not (tmp_path / "runs").exists()
