"""A study's state as plain values: each trial (state, parameters, objective, epochs, run directory), the best,
the parameters' importances (Optuna's evaluator) — what the CLI prints and the app draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial


@dataclass(frozen=True)
class TrialResult:
    """One trial as the sweep reports it."""

    number: int
    state: str
    """running, complete, pruned or failed."""
    params: dict[str, Any]
    value: float | None
    """The objective (a pruned trial: its last reported value; None for failed and running ones)."""
    epochs: int
    run_dir: str
    reason: str = ""
    """How its run ended ("pruned at epoch 2", "failed: the validation loss became nan ...")."""
    seconds: float | None = None
    curve: tuple[float, ...] = field(default=(), repr=False)
    """The objective reported after each epoch (what the pruner compared)."""

    def to_json(self) -> dict[str, Any]:
        """The --json form: number, state, params, value, epochs, run_dir."""
        return {
            "number": self.number,
            "state": self.state,
            "params": self.params,
            "value": self.value,
            "epochs": self.epochs,
            "run_dir": self.run_dir,
        }


@dataclass(frozen=True)
class StudyResult:
    """The whole study."""

    study_name: str
    direction: str
    trials: tuple[TrialResult, ...]
    importances: dict[str, float]

    @property
    def best(self) -> TrialResult | None:
        """The complete trial with the best objective (None while none is complete)."""
        complete = [t for t in self.trials if t.state == "complete" and t.value is not None]
        if not complete:
            return None
        pick = max if self.direction == "maximize" else min
        return pick(complete, key=lambda t: (t.value, -t.number))

    def ranked(self) -> list[TrialResult]:
        """Complete trials best first, then pruned (by their last value), then the rest by number."""
        sign = -1.0 if self.direction == "maximize" else 1.0

        def key(t: TrialResult) -> tuple:
            if t.state == "complete" and t.value is not None:
                return (0, sign * t.value, t.number)
            if t.state == "pruned" and t.curve:
                return (1, sign * t.curve[-1], t.number)
            return (2, 0.0, t.number)

        return sorted(self.trials, key=key)

    def count(self, state: str) -> int:
        """How many trials are in state."""
        return sum(t.state == state for t in self.trials)


def trial_result(trial: FrozenTrial) -> TrialResult:
    """One FrozenTrial as plain values."""
    attrs = trial.user_attrs
    curve = tuple(float(trial.intermediate_values[k]) for k in sorted(trial.intermediate_values))
    seconds = attrs.get("seconds")
    if seconds is None and trial.datetime_start and trial.datetime_complete:
        seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
    return TrialResult(
        number=trial.number,
        state=trial.state.name.lower().replace("fail", "failed"),
        params=dict(trial.params),
        value=float(trial.value) if trial.value is not None else None,
        epochs=int(attrs.get("epochs", len(curve))),
        run_dir=str(attrs.get("run_dir", "")),
        reason=str(attrs.get("reason", "")),
        seconds=float(seconds) if seconds is not None else None,
        curve=curve,
    )


def importances(study: optuna.Study) -> dict[str, float]:
    """Each parameter's importance (Optuna's default evaluator, summing to 1); {} until two trials completed with
    different values."""
    import optuna

    try:
        return {k: float(v) for k, v in optuna.importance.get_param_importances(study).items()}
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}


def study_result(study: optuna.Study, with_importances: bool = True) -> StudyResult:
    """The study as plain values: its trials but the waiting ones (the budget's tickets no worker has taken yet)."""
    from optuna.trial import TrialState

    trials = tuple(trial_result(t) for t in study.get_trials(deepcopy=False) if t.state != TrialState.WAITING)
    direction = "maximize" if study.direction.name == "MAXIMIZE" else "minimize"
    complete = sum(t.state == "complete" for t in trials)
    found = importances(study) if with_importances and complete >= 2 else {}
    return StudyResult(study.study_name, direction, trials, found)
