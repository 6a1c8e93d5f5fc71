"""prepare: every check before training, cheap ones first, files written last; a Problem, never an exception."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.pipeline.checks import (
    DATASET_HINT,
    MemoryProbe,
    cpu_memory,
    fit_problems,
    setting_problems,
    start_problems,
)
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.runs.files import RunError, root_problem
from tui_trainer.core.runs.lock import RunLock
from tui_trainer.core.spec.events import RunPhase, TrainingEvent
from tui_trainer.core.spec.experiment import Experiment, Problem
from tui_trainer.core.spec.memory import AvailableMemory, estimate_memory, memory_note, memory_problem
from tui_trainer.core.spec.summary import ModelSummary, summarize

if TYPE_CHECKING:
    from tui_trainer.core.data.bundle import DataBundle
    from tui_trainer.core.runs.checkpoint import CheckpointState
    from tui_trainer.core.runs.resume import Resumable
    from tui_trainer.core.runs.writer import RunWriter

EventSink = Callable[[TrainingEvent], None]
RESUME_HINT = "pick another run to resume, or start a new run to change that"


def _ignore(event: TrainingEvent) -> None:
    pass


@dataclass
class PreparedRun:
    """A run that passed every check: its data loaded, its run directory open; execute() trains it."""

    experiment: Experiment
    data: DataBundle
    summary: ModelSummary
    device: str
    writer: RunWriter | None
    """None: the run is not saved."""
    resume: CheckpointState | None
    """The checkpoint a resumed run continues from."""
    lock: RunLock | None = None
    """The run directory's lock, held until execute() ends (None: not saved, or no locks here)."""
    notes: tuple[str, ...] = ()
    """Warnings that do not stop the run (it needs more than half the memory it may use): execute sends
    each as a RunPhase once training has started."""

    def release(self) -> None:
        """Close the run directory and give its lock back (execute does it; call it if you do not execute)."""
        if self.writer is not None:
            self.writer.close()
        if self.lock is not None:
            self.lock.release()


def device_memory(device: str, memory: MemoryProbe | None = None) -> AvailableMemory | None:
    """The memory a run may use where it trains: this machine's on the CPU (memory: see cpu_memory), a CUDA
    device's free memory, None (unknown, not checked) on MPS and others."""
    if device == "cpu":
        return cpu_memory(memory)
    if device.startswith("cuda"):
        from tui_trainer.core.training.devices import cuda_free_memory

        return cuda_free_memory(device)
    return None


def prepare(
    request: RunRequest,
    *,
    on_event: EventSink = _ignore,
    data: DataBundle | None = None,
    resumable: Resumable | None = None,
    memory: MemoryProbe | None = None,
    write: bool = True,
) -> PreparedRun | Problem:
    """Check the request (settings, dataset, layers, device, memory, runs folder, resume), load its data and
    open its run directory; the first problem found is returned, nothing is raised for bad input.

    on_event gets a RunPhase for each slow step (and for a run that trains unsaved); data skips loading
    (tests, benchmarks); resumable is the request's resume run already opened (the CLI opens it first);
    memory reads what a CPU run may use (None: this machine's; tests pass their own); write=False opens no
    run directory and takes no lock (the ranks but 0 of a distributed run: they read a resumed run's checkpoint
    and train, rank 0 writes).
    """
    from tui_trainer.core.runs.resume import open_resumable
    from tui_trainer.core.training.devices import resolve_device

    experiment = request.experiment
    if request.resume is not None and resumable is None:
        try:
            resumable = open_resumable(request.resume)
        except RunError as exc:
            return Problem("", str(exc), RESUME_HINT)
    if resumable is not None:
        experiment = experiment or resumable.experiment
        if problem := resumable.problem(experiment):
            return Problem("", problem, RESUME_HINT)
    if experiment is None:
        return Problem("", "nothing to train: the request has no experiment and resumes no run")
    if data is None:
        problems = start_problems(experiment, memory=memory)
    else:  # the caller's bundle (tests, benchmarks): its name need not be registered; layers are checked on it below
        problems = setting_problems(experiment)
    if problems:
        return problems[0]
    if request.tensorboard and (request.runs_dir is not None or request.resume is not None):
        from tui_trainer.core.runs.tensorboard import tensorboard_available

        if not tensorboard_available():
            return Problem("", "tensorboard is not installed", "pip install 'tui-trainer[tensorboard]'")
    try:
        device = resolve_device(experiment.train.device)
    except ValueError as exc:
        return Problem("train.device", str(exc), "choose device auto or cpu")
    if data is None:
        from tui_trainer.core.data.loading import load_dataset

        on_event(RunPhase(f"loading {experiment.data.name}"))
        try:
            data = load_dataset(experiment.data)
        except DatasetError as exc:
            return Problem("", str(exc), DATASET_HINT)
    summary = summarize(experiment.layers, data.input_shape, data.n_classes)
    if not summary.ok:
        return fit_problems(summary)[0]
    if resumable is not None:
        from tui_trainer.core.runs.checkpoint import resume_problem

        if problem := resume_problem(resumable.state, experiment, data):
            return Problem("", problem, RESUME_HINT)
    estimate = estimate_memory(summary, experiment.train, data.evaluated_samples)
    available = device_memory(device, memory)
    if problem := memory_problem(estimate, available):
        return problem
    note = memory_note(estimate, available)
    # after the data and the layers passed: root_problem creates the runs folder, and bad input writes nothing
    save_to = None if resumable is not None or request.runs_dir is None or not write else Path(request.runs_dir)
    if save_to is not None and (problem := root_problem(save_to)):
        if request.must_save:
            return Problem("", problem)
        on_event(RunPhase(f"not saving this run: {problem}"))
        save_to = None
    writer, lock = None, None
    try:
        if resumable is not None and not write:
            pass
        elif resumable is not None:
            lock = RunLock.acquire(resumable.path)  # before anything is rewritten: one trainer per run
            writer = resumable.writer(experiment)
        elif save_to is not None:
            from tui_trainer.core.runs.writer import RunWriter

            writer = RunWriter.create(save_to, experiment)
            lock = RunLock.acquire(writer.path)
            writer.record_tampering(data.tampering)
    except RunError as exc:
        if lock is not None:
            lock.release()
        if resumable is not None or request.must_save:
            return Problem("", str(exc), RESUME_HINT if resumable is not None else "")
        on_event(RunPhase(f"not saving this run: {exc}"))
        writer = None
    if writer is not None:
        writer.tensorboard = request.tensorboard
    on_event(RunPhase("building the model"))
    return PreparedRun(
        experiment,
        data,
        summary,
        device,
        writer,
        resumable.state if resumable else None,
        lock,
        notes=(note,) if note else (),
    )
