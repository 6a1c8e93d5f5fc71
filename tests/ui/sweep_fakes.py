"""A scripted sweep source for the Sweep tab's tests: the study's states are pushed by the test, never timed."""

from __future__ import annotations

import threading

from tui_trainer.core.sweep.results import StudyResult, TrialResult
from tui_trainer.core.sweep.space import parse_param
from tui_trainer.core.sweep.spec import SweepSpec


class FakeSource:
    """What the watcher reads: push() sets the study it reads next; reads counts the reads."""

    def __init__(self, spec: SweepSpec, folder: str = "sweeps/fake") -> None:
        self.spec, self.folder = spec, folder
        self._result = StudyResult(spec.study_name, spec.direction, (), {})
        self._lock = threading.Lock()
        self.reads = 0
        self.pids: list[int] = []

    def push(self, *trials: TrialResult, importances: dict[str, float] | None = None) -> None:
        """The study the next read returns."""
        with self._lock:
            self._result = StudyResult(self.spec.study_name, self.spec.direction, tuple(trials), importances or {})

    def open(self) -> tuple[SweepSpec, str]:
        return self.spec, self.folder

    def read(self) -> StudyResult:
        with self._lock:
            self.reads += 1
            return self._result

    def worker_pids(self) -> list[int]:
        return list(self.pids)


def fake_spec(experiment, name: str = "fake-sweep") -> SweepSpec:
    """A sweep of lr and batch_size over the experiment, 6 trials."""
    params = tuple(parse_param(t, experiment) for t in ("lr=1e-3..0.3:log", "batch_size=16,32,64"))
    return SweepSpec(experiment, params, trials=6, study_name=name)


def trial(
    number: int, state: str, curve: tuple[float, ...], lr: float, bs: int, run_dir: str = "", **kw
) -> TrialResult:
    """A trial with its objective per epoch (its value: the best of the curve once complete)."""
    value = max(curve) if state == "complete" and curve else (curve[-1] if state == "pruned" and curve else None)
    return TrialResult(
        number=number,
        state=state,
        params={"lr": lr, "batch_size": bs},
        value=value,
        epochs=len(curve),
        run_dir=run_dir,
        seconds=kw.get("seconds", 12.0 + number),
        curve=curve,
    )


def four_trials(run_dir: str = "") -> tuple[TrialResult, ...]:
    """Two complete (trial 1 the best), one pruned at epoch 1, one running."""
    return (
        trial(0, "complete", (0.70, 0.80, 0.85), 0.01, 32, run_dir),
        trial(1, "complete", (0.75, 0.88, 0.93), 0.05, 64, run_dir),
        trial(2, "pruned", (0.40,), 0.2, 16, run_dir),
        trial(3, "running", (0.60, 0.72), 0.002, 32, run_dir),
    )
