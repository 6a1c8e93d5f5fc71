"""One training run that saves itself: a new run directory, or a resumed one, around run_experiment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.config import Experiment
from tui_trainer.core.events import RunEnded, RunPhase

if TYPE_CHECKING:
    from tui_trainer.core.engine import EventSink, StopFlag


def train_and_save(
    experiment: Experiment,
    *,
    on_event: EventSink,
    should_stop: StopFlag,
    runs_dir: str | Path | None,
    resume: str | Path | None = None,
) -> RunEnded:
    """Train `experiment`, saving it in a new run directory under runs_dir (None: not saved), or,
    with resume, continue that run directory from its last.pt.

    A run folder that cannot be created only costs the saving (a RunPhase says why); a run that
    cannot be resumed ends "failed" with the reason, without training.
    """
    from tui_trainer.core.engine import run_experiment
    from tui_trainer.core.runs import RunError, RunWriter, open_resumable

    writer, state = None, None
    try:
        if resume is not None:
            resumable = open_resumable(resume)
            if resumable.problem(experiment):  # shown from experiment.toml; the checkpoint's own is the truth
                experiment = resumable.experiment
            writer, state = resumable.writer(experiment), resumable.state
        elif runs_dir is not None:
            writer = RunWriter.create(runs_dir, experiment)
    except RunError as exc:
        if resume is not None:
            end = RunEnded("failed", str(exc), "pick another run to resume")
            on_event(end)
            return end
        on_event(RunPhase(f"not saving this run: {exc}"))
    try:
        return run_experiment(
            experiment,
            on_event=writer.wrap(on_event) if writer else on_event,
            should_stop=should_stop,
            checkpoint=writer.checkpoint if writer else None,
            resume=state,
        )
    finally:
        if writer is not None:
            writer.close()
