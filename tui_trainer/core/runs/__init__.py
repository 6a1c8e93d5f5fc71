"""Run directories: write a run's files while it trains, list and load past runs, follow and resume them.

A run directory (under a runs root, default ./runs) holds experiment.toml, metrics.csv, events.jsonl,
summary.json, last.pt and best.pt. Training with one::

    writer = RunWriter.create(root, experiment)
    run_experiment(experiment, on_event=writer.wrap(sink), should_stop=..., checkpoint=writer.checkpoint)

Reading never raises for damaged files: list_runs / load_run put the reason in RunRecord.problem.
Importing this package does not import torch (checkpoints import it when they are read or written).
"""

from __future__ import annotations

from tui_trainer.core.runs.delete import delete_run
from tui_trainer.core.runs.files import DEFAULT_ROOT, FORMAT_VERSION, RunError, root_problem
from tui_trainer.core.runs.follow import EventFollower, current_events, read_new_lines
from tui_trainer.core.runs.listing import (
    EpochRow,
    RunRecord,
    list_runs,
    listing_problem,
    load_run,
    read_epochs,
    read_experiment,
    read_summary,
)
from tui_trainer.core.runs.resume import Resumable, open_resumable
from tui_trainer.core.runs.state import (
    RESUMABLE_DATA,
    RESUMABLE_TRAIN,
    CheckpointState,
    load_checkpoint,
    load_model,
    resume_problem,
    save_checkpoint,
)
from tui_trainer.core.runs.writer import RunWriter

__all__ = [
    "DEFAULT_ROOT",
    "FORMAT_VERSION",
    "RESUMABLE_DATA",
    "RESUMABLE_TRAIN",
    "CheckpointState",
    "EpochRow",
    "EventFollower",
    "Resumable",
    "RunError",
    "RunRecord",
    "RunWriter",
    "current_events",
    "delete_run",
    "list_runs",
    "listing_problem",
    "load_checkpoint",
    "load_model",
    "load_run",
    "open_resumable",
    "read_epochs",
    "read_experiment",
    "read_new_lines",
    "read_summary",
    "resume_problem",
    "root_problem",
    "save_checkpoint",
]
