"""Resuming a saved run: open its run directory and last.pt, check the changes, reopen its writer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_trainer.core.runs.checkpoint import CheckpointState, load_checkpoint, resume_problem
from tui_trainer.core.runs.files import LAST, SUMMARY, RunError, root_problem
from tui_trainer.core.runs.listing import read_summary, trained_now
from tui_trainer.core.runs.lock import holder, is_locked
from tui_trainer.core.runs.writer import RunWriter
from tui_trainer.core.spec.events import RunStatus
from tui_trainer.core.spec.experiment import Experiment


@dataclass(frozen=True)
class Resumable:
    """A run that can continue: its directory, the state in its last.pt and its summary so far."""

    path: Path
    state: CheckpointState
    summary: dict[str, Any] | None

    @property
    def experiment(self) -> Experiment:
        """The experiment the checkpoint was trained with (change it with resumable options only)."""
        return self.state.experiment

    def problem(self, experiment: Experiment) -> str | None:
        """Why `experiment` cannot continue this run (see state.RESUMABLE_TRAIN), or None."""
        return resume_problem(self.state, experiment)

    def writer(self, experiment: Experiment) -> RunWriter:
        """The RunWriter that continues this run directory with `experiment`; RunError when it cannot."""
        problem = self.problem(experiment) or root_problem(self.path)
        if problem:
            raise RunError(problem)
        return RunWriter.reopen(self.path, experiment, self.state, self.summary)


def open_resumable(run_dir: str | Path) -> Resumable:
    """Open a run directory to continue it from last.pt (this imports torch).

    RunError, with a message for users, when it is not a run directory, its checkpoint is missing,
    damaged or from a newer version, or its process is still running.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise RunError(f"{path} is not a run directory (it does not exist or is not a folder)")
    summary = None
    if (path / SUMMARY).exists():
        try:
            summary = read_summary(path)
        except RunError as exc:
            if "newer tui-trainer" in str(exc):
                raise
    if is_locked(path):
        raise RunError(f"{path} is being trained by {holder(path)}: wait for it to end, or stop it first")
    if summary is not None and summary.get("status") == RunStatus.RUNNING and trained_now(path, summary):
        raise RunError(
            f"{path} is still being written by process {summary.get('pid')}: wait for it to end, or stop it first"
        )
    return Resumable(path, load_checkpoint(path / LAST), summary)
