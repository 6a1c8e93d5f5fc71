"""execute: train a prepared run, its events going to the caller and its run directory; run: prepare + execute."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trainer.core.data.bundle import DataBundle
from tui_trainer.core.pipeline.prepare import EventSink, PreparedRun, prepare
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import RunEnded, RunPhase, RunStarted, RunStatus, TrainingEvent
from tui_trainer.core.spec.experiment import Problem
from tui_trainer.core.spec.memory import estimate_memory

if TYPE_CHECKING:
    from tui_trainer.core.training.distributed import Distributed

StopFlag = Callable[[], bool | str]
"""True (or the stopped run's reason, e.g. "pruned at epoch 3") to stop."""


def with_notes(sink: EventSink, notes: tuple[str, ...]) -> EventSink:
    """sink, followed by a RunPhase for each note right after RunStarted (the CLI prints a RunPhase after
    the start line, the app shows it as a warning)."""
    if not notes:
        return sink

    def forward(event: TrainingEvent) -> None:
        sink(event)
        if isinstance(event, RunStarted):
            for note in notes:
                sink(RunPhase(note))

    return forward


def execute(
    prepared: PreparedRun, *, on_event: EventSink, should_stop: StopFlag, distributed: Distributed | None = None
) -> RunEnded:
    """Fit the prepared run; every event goes to on_event and, when saved, into its run directory.

    Returns the RunEnded that was also the last event (as the run directory passed it on: "failed" when the
    disk filled up). The run directory is closed however it ends. The prepared run's notes follow its
    RunStarted. distributed: this process's rank in a torchrun job (see training.engine.fit); rank 0 alone
    should have a run directory.
    """
    from tui_trainer.core.training.engine import fit

    writer = prepared.writer
    sink = with_notes(writer.wrap(on_event) if writer else on_event, prepared.notes)
    inspect = None
    if prepared.inspect:
        from tui_trainer.core.analysis.live import LiveInspector

        inspect = LiveInspector(prepared.data, epochs=prepared.experiment.train.epochs)
    try:
        end = fit(
            prepared.experiment,
            prepared.data,
            on_event=sink,
            should_stop=should_stop,
            checkpoint=writer.checkpoint if writer else None,
            resume=prepared.resume,
            device=prepared.device,
            distributed=distributed,
            inspect=inspect,
        )
    except Exception as exc:  # e.g. out of memory while the model moves to its device: "failed", never a traceback
        from tui_trainer.core.training.failures import describe_failure

        estimate = estimate_memory(prepared.summary, prepared.experiment.train, prepared.data.evaluated_samples)
        end = RunEnded(RunStatus.FAILED, *describe_failure(exc, estimate, prepared.device))
        sink(end)
    finally:
        prepared.release()
    return _as_passed_on(prepared, end)


def _discard_if_empty(prepared: PreparedRun, end: RunEnded) -> None:
    """A new run stopped before training started (an instant stop) holds nothing: its run directory goes (a
    resumed run's directory stays; a run stopped once training began keeps its directory and its "stopped")."""
    writer = prepared.writer
    if writer is None or prepared.resume is not None or end.status != RunStatus.STOPPED or end.epochs_done:
        return
    from tui_trainer.core.runs.delete import delete_run
    from tui_trainer.core.runs.files import RunError

    try:
        delete_run(writer.path)
    except RunError:
        pass  # not ours to judge (e.g. the user put a file there): it stays


def _as_passed_on(prepared: PreparedRun, end: RunEnded) -> RunEnded:
    """The end the run's writer passed on in place of `end` (made "failed" by a full disk), else `end`."""
    writer = prepared.writer
    return writer.ended if writer is not None and writer.ended is not None else end


def failed(problem: Problem, on_event: EventSink) -> RunEnded:
    """The RunEnded of a run that could not start, sent to on_event."""
    reason = problem.message if problem.field == "model" else str(problem)
    end = RunEnded(RunStatus.FAILED, reason, problem.hint)
    on_event(end)
    return end


def run(request: RunRequest, *, on_event: EventSink, should_stop: StopFlag, data: DataBundle | None = None) -> RunEnded:
    """Prepare and execute one run: what the training process and the thread backend call per run.

    A problem found while preparing ends the run "failed" with it; a stop asked for while the data
    loaded ends it "stopped" before training. Never raises for bad input. A request with a review reviews
    that run's labels instead (pipeline/review.py run_review).
    """
    if request.review is not None:
        from tui_trainer.core.pipeline.review import run_review

        return run_review(request.review, on_event=on_event, should_stop=should_stop)
    prepared = prepare(request, on_event=on_event, data=data)
    if isinstance(prepared, Problem):
        return failed(prepared, on_event)
    if should_stop():
        writer = prepared.writer
        end = RunEnded(RunStatus.STOPPED, "stopped before training started")
        (writer.wrap(on_event) if writer else on_event)(end)
        prepared.release()
        end = _as_passed_on(prepared, end)
        _discard_if_empty(prepared, end)
        return end
    return execute(prepared, on_event=on_event, should_stop=should_stop)
