"""One run across two processes (torchrun, gloo on the CPU): the same numbers as one process with the same global
batch, rank 0 alone writing the run directory, checkpoints a plain model loads, --resume."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import wait_for

from tui_trainer.cli.distributed import torchrun_command, without_nproc
from tui_trainer.core.backend.follow import FollowRun
from tui_trainer.core.runs import read_summary
from tui_trainer.core.spec.events import EpochEnd, RunEnded, RunStatus
from tui_trainer.core.training.batches import TensorBatches
from tui_trainer.core.training.distributed import Distributed
from tui_trainer.core.training.state import load_model

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(), reason="no gloo in this torch"
)

# batch 25: digits' 1,438 training samples end in a batch of 13, split 7 / 6 between the ranks
SETTINGS = ["--dataset", "digits", "--preset", "mlp", "--set", "batch_size=25", "--set", "threads=1"]


def start(tmp_path: Path, runs: str, *extra: str, settings: list[str] = SETTINGS) -> subprocess.Popen:
    """`tui-trainer train` with the settings and extra options, its output captured."""
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(PYTHONPATH=os.pathsep.join(sys.path), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "tui_trainer", "train", *settings, "--runs-dir", str(tmp_path / runs), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)


def finish(process: subprocess.Popen) -> str:
    """Wait for the command; its standard output (it must have exited 0)."""
    out, err = process.communicate(timeout=280)
    assert process.returncode == 0, out + err
    return out


def train(tmp_path: Path, runs: str, *extra: str, settings: list[str] = SETTINGS) -> str:
    return finish(start(tmp_path, runs, *extra, settings=settings))


def metrics(run_dir: Path) -> np.ndarray:
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    columns = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")
    return np.array([[float(r[c]) for c in columns] for r in rows])


def epoch_confusion(run_dir: Path, epoch: int) -> list[list[int]]:
    """The validation confusion matrix of one epoch, from the run's events.jsonl."""
    for line in (run_dir / "events.jsonl").read_text().splitlines():
        doc = json.loads(line)
        if doc["type"] == "EpochEnd" and doc["epoch"] == epoch:
            return doc["report"]["confusion_matrix"]
    raise AssertionError(f"no epoch {epoch} in {run_dir}")


def the_run(tmp_path: Path, runs: str) -> Path:
    (run_dir,) = (tmp_path / runs).iterdir()  # one run directory: rank 0's
    return run_dir


def test_the_ranks_shard_every_global_batch():
    x = torch.arange(13).float().unsqueeze(1)
    y = torch.arange(13)
    whole = TensorBatches(x, y, 5, generator=torch.Generator().manual_seed(0))
    parts = [
        TensorBatches(x, y, 5, generator=torch.Generator().manual_seed(0), shard=Distributed(r, 2).shard)
        for r in range(2)
    ]
    for batch, (full, a, b) in enumerate(zip(whole, *parts)):
        assert sorted(full[1].tolist()) == sorted(a[1].tolist() + b[1].tolist())  # together: the global batch
        assert not set(a[1].tolist()) & set(b[1].tolist())
        assert whole.global_size(batch) == full[1].shape[0]
    assert [whole.global_size(i) for i in range(len(whole))] == [5, 5, 3]


def test_the_launcher_runs_the_same_command_under_torchrun():
    argv = ["train", "--dataset", "digits", "--nproc", "2", "--nproc=3", "--set", "epochs=2"]
    assert without_nproc(argv) == ["train", "--dataset", "digits", "--set", "epochs=2"]
    command = torchrun_command(2, argv)
    assert command[:7] == [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m"]
    assert command[7:] == ["tui_trainer", *without_nproc(argv)]


@pytest.mark.process
def test_two_processes_train_the_run_of_one(tmp_path):
    single = train(tmp_path, "one", "--set", "epochs=3")
    running = start(tmp_path, "two", "--set", "epochs=2", "--nproc", "2", "--json")
    try:
        wait_for(lambda: (tmp_path / "two").is_dir() and any((tmp_path / "two").iterdir()), 240, "the run directory")
        two = the_run(tmp_path, "two")
        wait_for(lambda: (two / "events.jsonl").exists(), 240, "the run's first event")
        followed = list(FollowRun(two, poll_s=0.05).events())  # what `tui-trainer watch` shows, live
    finally:
        double = finish(running)
    one = the_run(tmp_path, "one")
    assert [e.epoch for e in followed if isinstance(e, EpochEnd)] == [1, 2]
    assert isinstance(followed[-1], RunEnded) and followed[-1].status == RunStatus.FINISHED
    # the loss curve (and accuracies, lr) of one process with the same global batch, to float rounding
    np.testing.assert_allclose(metrics(two), metrics(one)[:2], rtol=1e-5, atol=1e-6)
    # rank 0 alone printed: one line per epoch, one final JSON object
    assert double.count("epoch 1/2 ") == 1 and double.count("epoch 2/2 ") == 1, double
    result = json.loads(double.strip().splitlines()[-1])
    assert result["status"] == "finished"
    summary = read_summary(two)
    assert summary["status"] == "finished" and summary["epochs_done"] == 2
    # the gathered validation counts are exactly those of a one-process evaluation
    assert summary["val_report"]["confusion_matrix"] == epoch_confusion(one, 2)
    # the checkpoint is a plain model's (no DistributedDataParallel "module." prefix)
    model = load_model(two / "last.pt")
    assert not any(name.startswith("module.") for name in model.state_dict())

    # --resume in two processes continues it: epoch 3 as the one process trained it
    train(tmp_path, "two", "--resume", str(two), "--set", "epochs=3", "--nproc", "2", settings=[])
    np.testing.assert_allclose(metrics(two), metrics(one), rtol=1e-5, atol=1e-6)
    assert read_summary(two)["status"] == "finished"
    assert read_summary(two)["test_accuracy"] == pytest.approx(read_summary(one)["test_accuracy"])
    assert "epoch 3/3 " in single


@pytest.mark.process
def test_sigterm_stops_every_rank_and_the_run_stays_resumable(tmp_path):
    """SIGTERM to `train --nproc 2` is passed to every rank; they stop at the same sync, rank 0 ends the run
    "stopped" with whole files, and no rank is left holding the run."""
    import signal

    from tui_trainer.core.runs import open_resumable
    from tui_trainer.core.runs.lock import is_locked

    running = start(tmp_path, "runs", "--set", "epochs=10000", "--nproc", "2")
    try:
        wait_for(lambda: (tmp_path / "runs").is_dir() and any((tmp_path / "runs").iterdir()), 240, "the run directory")
        run_dir = the_run(tmp_path, "runs")
        wait_for(lambda: len(metrics_rows(run_dir)) >= 1, 240, "an epoch")
        running.send_signal(signal.SIGTERM)
        out, err = running.communicate(timeout=120)
        assert running.returncode == 130, out + err  # stopped, as one process says it
        assert "Traceback" not in err and "stopped by the user" in out
    finally:
        if running.poll() is None:
            running.kill()
            running.communicate()
    wait_for(lambda: not is_locked(run_dir), 60, "rank 0 let go of the run")
    assert read_summary(run_dir)["status"] == "stopped"
    assert open_resumable(run_dir).state.epoch >= 1


def metrics_rows(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.csv"
    return list(csv.DictReader(path.open())) if path.exists() else []
