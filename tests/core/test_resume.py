"""Resuming a run from its checkpoint: same result as an uninterrupted run, counters continue, bad changes refused."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import socket

import pytest
import torch
from helpers import SimulatedClock, cnn
from helpers import experiment as base_experiment

from tui_trainer.cli import main
from tui_trainer.core.runs import CheckpointState, read_epochs, read_summary, resume_problem
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunStarted
from tui_trainer.core.training import engine, optim
from tui_trainer.core.training.engine import fit

CNN = cnn(dropout=0.3)


def experiment(**train):
    return base_experiment(CNN, name="t", **{"epochs": 4, **train})


@pytest.fixture
def data(tiny_bundle):
    return tiny_bundle((1, 8, 8), 3, n_train=48, n_val=24)  # 3 batches per epoch


def _clone(tree: dict) -> dict:
    """A copy of a state_dict whose tensors no longer change with the model."""
    return {k: _clone(v) if isinstance(v, dict) else v.clone() if torch.is_tensor(v) else v for k, v in tree.items()}


def train(exp, data, *, stop_after: int | None = None, resume: CheckpointState | None = None, **fit_options):
    """fit() keeping every checkpoint (copied) and event; stop_after=k stops the run after epoch k's checkpoint;
    fit_options: e.g. clock."""
    states: list[CheckpointState] = []
    events: list = []

    def keep(state: CheckpointState) -> None:
        states.append(dataclasses.replace(state, model=_clone(state.model), optimizer=_clone(state.optimizer)))

    end = fit(
        exp,
        data,
        on_event=events.append,
        checkpoint=keep,
        resume=resume,
        should_stop=lambda: stop_after is not None and bool(states) and states[-1].epoch >= stop_after,
        **fit_options,
    )
    return end, states, events


def metrics(end):
    return [(e.epoch, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy, e.lr, e.report) for e in end.history]


def same_weights(a: CheckpointState, b: CheckpointState) -> bool:
    return a.model.keys() == b.model.keys() and all(torch.equal(a.model[k], b.model[k]) for k in a.model)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"schedule": "cosine"},
        {"schedule": "onecycle"},
        {"schedule": "plateau", "step_size": 1},
        {"schedule": "step", "step_size": 1},
        {"optimizer": "adam", "lr": 0.01, "patience": 3, "label_smoothing": 0.1},
    ],
    ids=lambda o: "-".join(str(v) for v in o.values()) or "plain",
)
def test_a_stopped_and_resumed_run_equals_an_uninterrupted_one(data, options):
    exp = experiment(**options)
    full, full_states, _ = train(exp, data)
    stopped, states, _ = train(exp, data, stop_after=2)
    assert stopped.status == "stopped" and stopped.epochs_done == 2 and states[-1].epoch == 2
    resumed, resumed_states, events = train(exp, data, resume=states[-1])
    assert resumed.status == "finished" and resumed.epochs_done == 4
    assert metrics(resumed) == metrics(full)  # exact: same weights, optimizer, schedule and random streams
    assert same_weights(resumed_states[-1], full_states[-1])
    assert resumed.test_report == full.test_report
    assert resumed_states[-1].optimizer["state"].keys() == full_states[-1].optimizer["state"].keys()


def test_counters_continue(data):
    step = 0.25  # simulated seconds per clock reading: >= EMIT_INTERVAL_S, so a BatchEnd after every batch
    exp = experiment()
    first, states, _ = train(exp, data, stop_after=2, clock=SimulatedClock(step=step))
    resumed, _, events = train(exp, data, resume=states[-1], clock=SimulatedClock(step=step))
    started = events[0]
    assert isinstance(started, RunStarted) and started.start_epoch == 3 and started.epochs == 4
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert [b.step for b in batches] == list(range(7, 13))  # 2 epochs x 3 batches done before
    assert batches[0].elapsed_s > states[-1].train_seconds
    assert batches[0].elapsed_s == states[-1].train_seconds + step  # one reading into the resumed epoch
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [3, 4]
    assert [e.epoch for e in resumed.history] == [1, 2, 3, 4]
    best_before = max(e.val_accuracy for e in first.history)
    for e in (e for e in events if isinstance(e, EpochEnd)):
        assert e.is_best == (e.val_accuracy > best_before)
        best_before = max(best_before, e.val_accuracy)


@pytest.mark.parametrize("schedule", ["none", "step", "plateau"])
def test_more_epochs_equal_a_longer_run(data, schedule):
    short, states, _ = train(experiment(epochs=2, schedule=schedule, step_size=1), data)
    longer = experiment(epochs=4, schedule=schedule, step_size=1)
    full, full_states, _ = train(longer, data)
    resumed, resumed_states, _ = train(longer, data, resume=states[-1])
    assert [m[:-1] for m in metrics(resumed)][2:] == [m[:-1] for m in metrics(full)][2:]
    assert same_weights(resumed_states[-1], full_states[-1])


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_whole_run_schedules_are_replanned_for_more_epochs(data, schedule, monkeypatch):
    monkeypatch.setattr(engine, "EMIT_INTERVAL_S", 0.0)
    short, states, _ = train(experiment(epochs=2, schedule=schedule), data)
    resumed, _, events = train(experiment(epochs=4, schedule=schedule), data, resume=states[-1])
    # the lr after each resumed step is where a 4-epoch plan is at that step
    params = [torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)
    scheduler, _ = optim.make_schedule(optimizer, experiment(epochs=4, schedule=schedule).train, 3)
    planned = []
    for step in range(1, 13):
        optimizer.step()
        if schedule != "onecycle" or step < 12:
            scheduler.step()
        planned.append(optimizer.param_groups[0]["lr"])
    assert [b.lr for b in events if isinstance(b, BatchEnd)] == pytest.approx(planned[6:], rel=1e-6)
    assert resumed.status == "finished" and not math.isnan(resumed.history[-1].train_loss)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda e: e.replace_layers(e.layers[:-2] + e.layers[-1:]), "layers differ"),
        (lambda e: e.with_data(name="digits"), "the dataset cannot change"),
        (lambda e: e.with_data(val_fraction=0.3), "data.val_fraction cannot change"),
        (lambda e: e.with_train(lr=0.5), "train.lr cannot change"),
        (lambda e: e.with_train(batch_size=8), "train.batch_size cannot change"),
        (lambda e: e.with_train(epochs=2), "already trained 2 of its 4 epochs"),
    ],
)
def test_changes_that_cannot_continue_the_run_are_refused(data, change, words):
    _, states, _ = train(experiment(), data, stop_after=2)
    changed = change(experiment())
    assert words in resume_problem(states[-1], changed)
    end, _, events = train(changed, data, resume=states[-1])
    assert end.status == "failed" and words in end.reason and len(events) == 1  # nothing trained


def test_allowed_changes_and_changed_data(data, tiny_bundle):
    _, states, _ = train(experiment(), data, stop_after=2)
    allowed = experiment(epochs=6, patience=2, grad_clip=1.0, label_smoothing=0.1, threads=2).with_data(data_dir="/x")
    assert resume_problem(states[-1], allowed) is None
    other = tiny_bundle((1, 8, 8), 4)
    assert "the data changed" in resume_problem(states[-1], experiment(), other)


# ---------------------------------------------------------------- the command line


ARGS = ["--dataset", "moons", "--preset", "mlp", "--set", "threads=1", "--set", "n_samples=200"]


def test_cli_resume_extends_a_finished_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *ARGS, "--set", "epochs=2", "--runs-dir", "runs"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--set", "epochs=4", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("training mlp on moons from epoch 3:")
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch")] == ["3/4", "4/4"]
    doc = json.loads(out.splitlines()[-1])
    assert [e["epoch"] for e in doc["epochs"]] == [1, 2, 3, 4] and doc["run_dir"] == str(run)
    summary = read_summary(run)
    assert summary["status"] == "finished" and summary["epochs_done"] == 4 and summary["epochs"] == 4
    assert summary["resumed"][0]["from_epoch"] == 2 and summary["resumed"][0]["epochs"] == [2, 4]
    assert "epochs = 4" in (run / "experiment.toml").read_text()
    # the same as training 4 epochs in one go
    assert main(["train", *ARGS, "--set", "epochs=4", "--runs-dir", "fresh"]) == 0
    (fresh,) = (tmp_path / "fresh").iterdir()
    strip = lambda rows: [dataclasses.replace(r, seconds=0.0) for r in rows]  # noqa: E731
    assert strip(read_epochs(run)) == strip(read_epochs(fresh))


def _error(capsys, argv, *words):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in out + err, err
    for w in words:
        assert w in lines[0], lines[0]


def test_cli_resume_refusals(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", *ARGS, "--set", "epochs=2", "--runs-dir", str(runs)]) == 0
    (run,) = runs.iterdir()
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    resume = ["train", "--resume", str(run)]
    _error(capsys, resume, "already trained 2 of its 2 epochs", "--set epochs=")
    _error(capsys, [*resume, "--preset", "lenet5"], "--preset cannot be used with --resume")
    _error(capsys, [*resume, "--dataset", "digits"], "--dataset cannot be used with --resume")
    _error(capsys, [*resume, "--set", "epochs=5", "--set", "lr=0.5"], "train.lr cannot change", "0.05 -> 0.5")
    _error(capsys, [*resume, "--set", "epochs=5", "--set", "n_samples=300"], "data.n_samples cannot change")
    _error(capsys, [*resume, "--set", "epochs=5", "--no-save"], "drop --no-save")
    _error(capsys, ["train", "--resume", str(tmp_path / "nope")], "not a run directory")
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before  # refusals change nothing

    summary = json.loads((run / "summary.json").read_text())
    from tui_trainer.core.runs.lock import LOCK, RunLock

    held = RunLock.acquire(run)  # another trainer holds the run's lock (here: another open file of this process)
    _error(capsys, [*resume, "--set", "epochs=5"], f"is being trained by process {os.getpid()}")
    held.release()
    running = json.dumps({**summary, "status": "running", "pid": os.getpid(), "host": socket.gethostname()})
    (run / "summary.json").write_text(running)
    lock_text = (run / LOCK).read_bytes()
    (run / LOCK).unlink()  # a run of an older version (no lock file): its live pid says it is being written
    _error(capsys, [*resume, "--set", "epochs=5"], "still being written by process")
    (run / LOCK).write_bytes(lock_text)
    (run / "summary.json").write_text(json.dumps({**summary, "format": 2}))
    _error(capsys, [*resume, "--set", "epochs=5"], "newer tui-trainer")
    (run / "summary.json").write_text(json.dumps(summary))
    (run / "last.pt").write_bytes(before["last.pt"][:100])
    _error(capsys, [*resume, "--set", "epochs=5"], "last.pt is damaged or truncated")
    (run / "last.pt").unlink()
    _error(capsys, [*resume, "--set", "epochs=5"], "no checkpoint")
