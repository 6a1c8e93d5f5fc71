"""Saved run directories for the UI tests, written torch-free with the real RunWriter (a fake last.pt that looks whole)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

from fakes import CLASSES, scripted_report
from helpers import SimulatedClock

from tui_trainer.core.runs.files import make_run_dir
from tui_trainer.core.runs.lock import RunLock
from tui_trainer.core.runs.writer import RunWriter
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunStarted, RunStatus
from tui_trainer.core.spec.experiment import Experiment, dumps

BATCHES = 4
"""Batches per epoch of a saved run."""


def epoch_end(epoch: int, epochs: int) -> EpochEnd:
    """A scripted epoch: losses fall with the epoch."""
    report = scripted_report(min(epoch, 5))
    return EpochEnd(epoch, epochs, 1.0 / epoch, 0.5, 1.0 / epoch, report.accuracy, 0.01, 0.2, report)


def fake_checkpoint(path: Path) -> None:
    """A last.pt that the listing's torch-free check takes for a whole torch.save archive (the UI tests' fake
    engines never load it)."""
    with zipfile.ZipFile(path / "last.pt", "w") as archive:
        archive.writestr("last/data.pkl", b"not a real pickle")


def saved_run(
    root: Path,
    experiment: Experiment,
    *,
    epochs_done: int,
    status: RunStatus | None = RunStatus.FINISHED,
    when: datetime = datetime(2026, 3, 14, 15, 9, 26),
    seconds: float = 0.0,
    batch_points: int = 0,
) -> tuple[Path, RunWriter]:
    """A run directory under root of `experiment`, created at `when`, with epochs_done epochs (of the
    experiment's), each with batch_points BatchEnds in events.jsonl, then ended with status (None: it goes
    on: the caller writes more and ends it). seconds: its time before these epochs (a resumed run's)."""
    path = make_run_dir(root, experiment.name, experiment.data.name, when)
    (path / "experiment.toml").write_text(dumps(experiment), encoding="utf-8")
    summary = {"created": when.isoformat(timespec="seconds"), "seconds": seconds, "resumed": []}
    writer = RunWriter(path, experiment, summary=summary, clock=SimulatedClock(step=1.0))
    epochs = experiment.train.epochs
    writer.on_event(RunStarted("cpu", 1234, 300, 60, 0, epochs, BATCHES, 32, CLASSES, (2,)))
    step = 0
    for epoch in range(1, epochs_done + 1):
        for batch in range(1, batch_points + 1):
            step += 1
            writer.on_event(BatchEnd(epoch, batch, batch_points, step, 1.0 / step, 0.01, 1000.0, 0.1 * step))
        writer.on_event(epoch_end(epoch, epochs))
    if epochs_done:
        fake_checkpoint(path)
    if status is not None:
        writer.on_event(RunEnded(status, f"{status} for the test", epochs_done=epochs_done))
    return path, writer


def trained_by_this_process(
    root: Path, experiment: Experiment, *, epochs_done: int, **options
) -> tuple[Path, RunWriter, RunLock]:
    """A run that goes on: its lock held by this process (as another process holds it), not ended."""
    path, writer = saved_run(root, experiment, epochs_done=epochs_done, status=None, **options)
    return path, writer, RunLock.acquire(path)
