"""Watching a sweep from outside its workers (the app's Sweep tab): a study read at the watcher's pace, its
importances recomputed only when the number of complete trials changed, and best-so-far as plain values.
Optuna is imported only when the source is opened (on the watcher's thread, never at the app's start)."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui_trainer.core.sweep.results import StudyResult
from tui_trainer.core.sweep.spec import SweepSpec
from tui_trainer.core.sweep.study import SweepError

if TYPE_CHECKING:
    import optuna


class SweepSource(Protocol):
    """Where a watcher reads a sweep: opened once, then read at the watcher's pace."""

    def open(self) -> tuple[SweepSpec, str]:
        """The sweep and its folder ("" when it has none here); SweepError when the target is not a sweep."""
        ...

    def read(self) -> StudyResult:
        """The study now, as plain values."""
        ...

    def worker_pids(self) -> list[int]:
        """The processes on this host that train the study's running trials (what stopping it signals)."""
        ...


class StudySource:
    """A sweep folder (its sweep.toml and storage) or a storage URL (the study's own sweep.toml), read with
    Optuna. Trials whose worker died become failed, as the `sweep` command does while it waits."""

    def __init__(self, target: str | Path, study_name: str | None = None) -> None:
        self.target = str(target)
        self.study_name = study_name
        self._study: optuna.Study | None = None
        self._complete = -1
        self._importances: dict[str, float] = {}
        self.importance_runs = 0
        """How often the importances were computed (the evaluator costs; tests count it)."""

    def open(self) -> tuple[SweepSpec, str]:
        """Open the storage and the study; SweepError with one line when it cannot."""
        from tui_trainer.core.sweep.folder import open_folder
        from tui_trainer.core.sweep.study import load_study, quiet_optuna, spec_of_study, storage_for, url_storage

        quiet_optuna()
        if "://" in self.target:
            storage = url_storage(self.target)
            spec = dataclasses.replace(spec_of_study(storage, self.study_name), storage=self.target)
            folder = ""
        else:
            opened = open_folder(self.target)
            spec, folder = opened.spec, str(opened.path)
            storage = storage_for(spec, opened.path)
        self._study = load_study(spec, storage, with_pruner=False)
        return spec, folder

    def read(self) -> StudyResult:
        """The study's trials now; importances again only when another trial completed."""
        from tui_trainer.core.sweep.results import importances, study_result
        from tui_trainer.core.sweep.stale import fail_stale

        if self._study is None:
            raise SweepError("the sweep is not open")
        fail_stale(self._study)
        result = study_result(self._study, with_importances=False)
        complete = result.count("complete")
        if complete != self._complete:
            self._complete = complete
            self._importances = importances(self._study) if complete >= 2 else {}
            self.importance_runs += 1
        return dataclasses.replace(result, importances=dict(self._importances))

    def worker_pids(self) -> list[int]:
        """The pids of this host's workers of running trials."""
        from optuna.trial import TrialState

        if self._study is None:
            return []
        host = socket.gethostname()
        pids = set()
        for trial in self._study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            worker = trial.user_attrs.get("worker")
            if isinstance(worker, dict) and worker.get("host") == host and isinstance(worker.get("pid"), int):
                if worker["pid"] != os.getpid():
                    pids.add(worker["pid"])
        return sorted(pids)


SourceFactory = Callable[[str], SweepSource]
"""Makes a source for a typed target (a folder or a URL): the app's default is StudySource; tests pass fakes."""


def best_so_far(result: StudyResult) -> tuple[list[int], list[float]]:
    """(trial numbers, the best objective of the complete trials up to each) in number order: the curve that
    shows the search getting better."""
    maximize = result.direction == "maximize"
    xs: list[int] = []
    ys: list[float] = []
    best: float | None = None
    for trial in sorted(result.trials, key=lambda t: t.number):
        if trial.state != "complete" or trial.value is None:
            continue
        if best is None or (trial.value > best if maximize else trial.value < best):
            best = trial.value
        xs.append(trial.number)
        ys.append(best)
    return xs, ys


def progress_line(result: StudyResult, budget: int) -> str:
    """ "7/12 trials: 2 running, 3 complete, 2 pruned": the count by state, in the table's words."""
    finished = sum(result.count(s) for s in ("complete", "pruned", "failed"))
    parts = [f"{result.count(s)} {s}" for s in ("running", "complete", "pruned", "failed") if result.count(s)]
    return f"{finished}/{budget} trials" + (": " + ", ".join(parts) if parts else "")
