"""Run directories: write a run's files while it trains, list and load past runs, follow and resume them.

A run directory (under a runs root, default ./runs) holds experiment.toml, metrics.csv, events.jsonl,
summary.json, last.pt and best.pt (docs/architecture.md, "The run directory"). The pipeline opens a
RunWriter for each saved run; this package never imports the training code.

Reading never raises for damaged files: list_runs / load_run put the reason in RunRecord.problem.
Importing this package does not import torch (checkpoints import it when they are read or written).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_trainer.core.runs.checkpoint import (
        RESUMABLE_DATA,
        RESUMABLE_TRAIN,
        CheckpointState,
        load_checkpoint,
        resume_problem,
        save_checkpoint,
    )
    from tui_trainer.core.runs.delete import delete_run
    from tui_trainer.core.runs.files import DEFAULT_ROOT, FORMAT_VERSION, RunError, root_problem
    from tui_trainer.core.runs.follow import EventFollower, current_events, read_new_lines
    from tui_trainer.core.runs.listing import (
        RunRecord,
        list_runs,
        listing_problem,
        load_run,
        read_epochs,
        read_experiment,
        read_summary,
    )
    from tui_trainer.core.runs.resume import Resumable, open_resumable
    from tui_trainer.core.runs.writer import RunWriter

_WHERE = {
    "delete_run": "delete",
    "DEFAULT_ROOT": "files",
    "FORMAT_VERSION": "files",
    "RunError": "files",
    "root_problem": "files",
    "EventFollower": "follow",
    "current_events": "follow",
    "read_new_lines": "follow",
    "RunRecord": "listing",
    "list_runs": "listing",
    "listing_problem": "listing",
    "load_run": "listing",
    "read_epochs": "listing",
    "read_experiment": "listing",
    "read_summary": "listing",
    "Resumable": "resume",
    "open_resumable": "resume",
    "RESUMABLE_DATA": "checkpoint",
    "RESUMABLE_TRAIN": "checkpoint",
    "CheckpointState": "checkpoint",
    "load_checkpoint": "checkpoint",
    "resume_problem": "checkpoint",
    "save_checkpoint": "checkpoint",
    "RunWriter": "writer",
}
"""Where each public name lives: the submodules are imported when a name is first used (PEP 562),
so `from tui_trainer.core.runs import DEFAULT_ROOT` does not import the writer, resume and checkpoint code."""


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "DEFAULT_ROOT",
    "FORMAT_VERSION",
    "RESUMABLE_DATA",
    "RESUMABLE_TRAIN",
    "CheckpointState",
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
