"""Reading past runs: list a runs root, load one run's experiment, summary and epochs; never raises for bad files."""

from __future__ import annotations

import csv
import json
import math
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_trainer.core.runs.files import (
    BEST,
    EVENTS,
    EXPERIMENT,
    LAST,
    METRICS,
    RUN_FILES,
    SUMMARY,
    RunError,
    newer_format_problem,
)
from tui_trainer.core.runs.integrity import checkpoint_problem, events_problem
from tui_trainer.core.runs.lock import is_locked
from tui_trainer.core.spec.events import METRIC_COLUMNS, EpochMetrics, RunStatus
from tui_trainer.core.spec.experiment import ConfigError, Experiment, load
from tui_trainer.core.spec.lr_change import changes_words, read_changes


@dataclass(frozen=True)
class RunRecord:
    """One run directory as a listing shows it; `problem` says why parts of it could not be read."""

    path: Path
    created: datetime | None
    dataset: str
    preset: str
    """The experiment's name (the preset it came from, or the user's)."""
    status: RunStatus | str
    """A RunStatus (INTERRUPTED: its process died while running); "unreadable" without a summary."""
    reason: str = ""
    best_val_accuracy: float | None = None
    epochs_done: int = 0
    epochs: int | None = None
    """Epochs planned."""
    seconds: float | None = None
    experiment: Experiment | None = None
    summary: dict[str, Any] | None = field(default=None, repr=False)
    has_checkpoint: bool = False
    """True when last.pt exists and looks whole (it can be resumed; load_checkpoint checks that it reads)."""
    problem: str | None = None
    overfitting_since: int | None = None
    """The epoch from which the run was overfitting, as its summary recorded (None: it was not)."""
    lr_changes: tuple[dict[str, Any], ...] = ()
    """The learning rate's changes by hand while it trained (summary.json's "lr_changes")."""

    @property
    def settings_note(self) -> str:
        """What its settings alone do not say: "lr changed by hand at epoch 3 (0.1 -> 0.05)" ("" when nothing)."""
        return changes_words(self.lr_changes)

    @property
    def status_text(self) -> str:
        """The status as listings show it, with the epoch it started overfitting from ("finished, overfit@14")."""
        since = self.overfitting_since
        return f"{self.status}, overfit@{since}" if since else str(self.status)

    @property
    def name(self) -> str:
        """The directory name."""
        return self.path.name


def read_experiment(run_dir: str | Path) -> Experiment:
    """The run's experiment.toml; RunError when missing or not a valid experiment."""
    try:
        return load(Path(run_dir) / EXPERIMENT)
    except ConfigError as exc:
        raise RunError(str(exc)) from None


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """The run's summary.json as a dict; RunError when missing, damaged or from a newer version."""
    path = Path(run_dir) / SUMMARY
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path} is missing") from None
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise RunError(f"{path} is damaged (not valid JSON: {exc})") from None
    if not isinstance(doc, dict):
        raise RunError(f"{path} is damaged (not a JSON object)")
    problem = newer_format_problem(str(path), doc.get("format"))
    if problem:
        raise RunError(problem)
    return doc


def read_epochs(run_dir: str | Path) -> list[EpochMetrics]:
    """The rows of the run's metrics.csv ([] when it has none yet); RunError when damaged."""
    path = Path(run_dir) / METRICS
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RunError(f"{path} is damaged: {exc}") from None
    if not rows or tuple(rows[0]) != METRIC_COLUMNS:
        raise RunError(f"{path} is damaged: its header is not {','.join(METRIC_COLUMNS)}")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        try:
            if len(row) != len(METRIC_COLUMNS):
                raise ValueError(f"{len(row)} values")
            out.append(EpochMetrics(int(row[0]), *(float(v) for v in row[1:])))
        except ValueError as exc:
            raise RunError(f"{path} is damaged at line {number} ({exc})") from None
    return out


def _created(path: Path, summary: dict[str, Any] | None) -> datetime | None:
    for text in ((summary or {}).get("created"), path.name[:19]):
        try:
            return (
                datetime.fromisoformat(text) if "T" in str(text) else datetime.strptime(str(text), "%Y-%m-%d_%H-%M-%S")
            )
        except (TypeError, ValueError):
            continue
    return None


def trained_now(path: Path, summary: dict[str, Any]) -> bool:
    """Whether a process trains the run now: by its lock; for runs without one (older versions), by the pid."""
    locked = is_locked(path)
    return _alive(summary) if locked is None else locked


def _alive(summary: dict[str, Any]) -> bool:
    """Whether the process that wrote a "running" summary still runs (assumed so on another host)."""
    if summary.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(summary.get("pid")), 0)
    except (TypeError, ValueError, OverflowError, ProcessLookupError):
        return False
    except OSError:  # e.g. PermissionError: it exists, as another user
        return True
    return True


def _status(value: Any) -> RunStatus | str:
    """The run's status as a RunStatus; a text no RunStatus has (a newer writer's) as it is; "unreadable"."""
    try:
        return RunStatus(value)
    except ValueError:
        return str(value or "unreadable")


def _number(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        else None
    )


def load_run(run_dir: str | Path) -> RunRecord:
    """One run directory as a RunRecord; whatever cannot be read goes into `problem` (never raises)."""
    path = Path(run_dir)
    problems: list[str] = []
    experiment = summary = None
    try:
        summary = read_summary(path)
    except RunError as exc:
        problems.append(str(exc))
    if summary is not None or not any("newer tui-trainer" in p for p in problems):
        try:
            experiment = read_experiment(path)
        except RunError as exc:
            problems.append(str(exc))
    epochs: list[EpochMetrics] = []
    try:
        epochs = read_epochs(path)
    except RunError as exc:
        problems.append(str(exc))
    status = _status((summary or {}).get("status"))
    if status == RunStatus.RUNNING and summary is not None and not trained_now(path, summary):
        status = RunStatus.INTERRUPTED
    damage = file_problems(path, being_written=status == RunStatus.RUNNING)
    problems.extend(damage.values())
    best = _number((summary or {}).get("best_val_accuracy"))
    if best is None and epochs:
        best = max(e.val_accuracy for e in epochs)
    return RunRecord(
        path=path,
        created=_created(path, summary),
        dataset=experiment.data.name if experiment else str((summary or {}).get("dataset") or "?"),
        preset=experiment.name if experiment else str((summary or {}).get("name") or "?"),
        status=status,
        reason=str((summary or {}).get("reason") or ""),
        best_val_accuracy=best,
        epochs_done=int(_number((summary or {}).get("epochs_done")) or len(epochs)),
        epochs=experiment.train.epochs if experiment else None,
        seconds=_number((summary or {}).get("seconds")),
        experiment=experiment,
        summary=summary,
        has_checkpoint=(path / LAST).is_file() and LAST not in damage,
        problem="; ".join(problems) or None,
        overfitting_since=_overfitting_since(summary),
        lr_changes=tuple(read_changes(summary)),
    )


def _overfitting_since(summary: dict[str, Any] | None) -> int | None:
    """summary.json's overfitting.since_epoch (None when absent or not a number)."""
    sign = (summary or {}).get("overfitting")
    try:
        return int(sign["since_epoch"]) if sign else None
    except (KeyError, TypeError, ValueError):
        return None


def file_problems(run_dir: Path, *, being_written: bool) -> dict[str, str]:
    """The damaged ones of a run's checkpoints and event log, by file name, with why (torch-free, cheap:
    integrity.py). being_written: a trainer holds the run now (its log's last line may be half-way)."""
    problems = {name: checkpoint_problem(run_dir / name) for name in (LAST, BEST)}
    problems[EVENTS] = events_problem(run_dir / EVENTS, being_written=being_written)
    return {name: problem for name, problem in problems.items() if problem is not None}


def listing_problem(root: str | Path) -> str | None:
    """Why the runs root cannot be listed (missing, not a folder, unreadable), or None."""
    root = Path(root)
    if not root.exists():
        return f"there are no runs yet: {root} does not exist"
    if not root.is_dir():
        return f"{root} is not a folder"
    try:
        next(root.iterdir(), None)
    except OSError as exc:
        return f"cannot read the runs folder {root}: {exc.strerror or exc}"
    return None


def list_runs(root: str | Path) -> list[RunRecord]:
    """Every run directory under root, newest first; unreadable ones are listed with a problem.

    Folders holding none of a run's files are skipped; a missing or unreadable root gives []
    (listing_problem says why). Nothing is ever deleted or changed.
    """
    root = Path(root)
    try:
        entries = [p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir()]
    except OSError:
        return []
    records = []
    for entry in entries:
        try:
            if not any((entry / name).exists() for name in RUN_FILES):
                continue
            records.append(load_run(entry))
        except OSError as exc:
            records.append(
                RunRecord(entry, None, "?", "?", "unreadable", problem=f"cannot read {entry}: {exc.strerror or exc}")
            )
    return sorted(records, key=lambda r: (r.created or datetime.min, r.name), reverse=True)
