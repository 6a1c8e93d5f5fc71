"""One trial: its parameters suggested, the experiment they make trained as a normal run through the one run
pipeline (pipeline.execute.run), each epoch's validation metric reported for pruning."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import EpochEnd, RunEnded, RunStatus, TrainingEvent
from tui_trainer.core.spec.experiment import Experiment, validate
from tui_trainer.core.sweep.space import Param, SpaceError, apply
from tui_trainer.core.sweep.spec import SweepSpec

if TYPE_CHECKING:
    import optuna

HEARTBEAT_S = 10.0
"""How often a running trial writes its heartbeat (user attribute "heartbeat", epoch seconds)."""


class TrialFailed(Exception):
    """The trial's run could not train or ended failed (or stopped): the trial is FAIL, the sweep goes on."""


def suggest(trial: optuna.Trial, params: tuple[Param, ...]) -> dict:
    """Each parameter's value for this trial, from the sampler."""
    values: dict = {}
    for p in params:
        if p.kind == "float":
            values[p.name] = trial.suggest_float(p.name, float(p.low), float(p.high), log=p.log)  # type: ignore[arg-type]
        elif p.kind == "int":
            values[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)  # type: ignore[arg-type]
        else:
            values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
    return values


def trial_experiment(spec: SweepSpec, values: dict, threads: int = 0, device: str | None = None) -> Experiment:
    """The base experiment with the trial's values; threads/device: the worker's share of the machine (threads
    only where the experiment leaves them automatic)."""
    experiment = apply(spec.experiment, values)
    changes: dict = {}
    if threads and not experiment.train.threads:
        changes["threads"] = threads
    if device:
        changes["device"] = device
    return experiment.with_train(**changes) if changes else experiment


def metric(objective: str, history: list[EpochEnd]) -> float:
    """The objective's value after the epochs so far (best_*: the best epoch, final_*: the last)."""
    if objective == "best_val_accuracy":
        return max(e.val_accuracy for e in history)
    if objective == "best_val_loss":
        return min(e.val_loss for e in history)
    last = history[-1]
    return last.val_accuracy if objective == "final_val_accuracy" else last.val_loss


def run_dir_of(runs: Path) -> Path | None:
    """The run directory a trial's runs folder holds (None before it was made)."""
    dirs = sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []
    return dirs[-1] if dirs else None


class _Heartbeat:
    """A thread writing the trial's heartbeat every HEARTBEAT_S until stopped (stale.py reads it)."""

    def __init__(self, trial: optuna.Trial) -> None:
        self._trial = trial
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="sweep-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._done.wait(HEARTBEAT_S):
            try:
                self._trial.set_user_attr("heartbeat", time.time())
            except Exception:  # the storage went away: the trial's own end reports it
                return

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def objective(
    trial: optuna.Trial,
    spec: SweepSpec,
    runs: Callable[[int], Path],
    *,
    threads: int = 0,
    device: str | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_event: Callable[[TrainingEvent], None] | None = None,
) -> float:
    """Train one trial and return its objective; raises optuna.TrialPruned ("pruned at epoch E") or TrialFailed.

    runs(number) is the trial's runs folder; should_stop ends the run (the trial fails "stopped")."""
    import optuna

    trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid()})
    trial.set_user_attr("heartbeat", time.time())
    try:
        experiment = trial_experiment(spec, suggest(trial, spec.params), threads, device)
    except SpaceError as exc:  # e.g. a layer's type swapped for one without the argument another parameter sets
        trial.set_user_attr("reason", str(exc))
        raise TrialFailed(str(exc)) from None
    problems = validate(experiment)
    if problems:
        trial.set_user_attr("reason", str(problems[0]))
        raise TrialFailed(str(problems[0]))
    folder = runs(trial.number)
    history: list[EpochEnd] = []
    pruned: list[int] = []
    epochs = experiment.train.epochs

    def sink(event: TrainingEvent) -> None:
        if on_event is not None:
            on_event(event)
        if not isinstance(event, EpochEnd):
            return
        history.append(event)
        trial.report(metric(spec.objective, history), event.epoch)
        if event.epoch < epochs and trial.should_prune():
            pruned.append(event.epoch)

    def stop() -> bool | str:
        if pruned:
            return f"pruned at epoch {pruned[0]}"
        return should_stop()

    beat = _Heartbeat(trial)
    try:
        end: RunEnded = run(
            RunRequest(experiment, runs_dir=str(folder), must_save=True), on_event=sink, should_stop=stop
        )
    finally:
        beat.stop()
    run_dir = run_dir_of(folder)
    trial.set_user_attr("run_dir", str(run_dir) if run_dir else "")
    trial.set_user_attr("epochs", end.epochs_done)
    trial.set_user_attr("seconds", round(end.seconds, 3))
    trial.set_user_attr("reason", end.reason)
    trial.set_user_attr("val_accuracy", [e.val_accuracy for e in history])
    trial.set_user_attr("val_loss", [e.val_loss for e in history])
    if pruned:
        raise optuna.TrialPruned(end.reason)
    if end.status != RunStatus.FINISHED or not history:
        raise TrialFailed(end.headline)
    return metric(spec.objective, history)
