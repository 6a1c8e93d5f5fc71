"""A scripted robustness evaluation for the UI tests (no torch): progress, then a result with small images."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from fakes import DEVICES, nothing

from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.spec.robustness import (
    SEVERITIES,
    AdversarialSample,
    AttackPoint,
    CorruptionPoint,
    Prediction,
    RobustnessProgress,
    RobustnessResult,
    SampleViews,
    corruptions_for,
)
from tui_trainer.ui.app import TrainerApp

CLASSES = tuple(str(d) for d in range(10))


def image(level: int, side: int = 8):
    """A side x side grey image: a bright cross whose brightness and thickness follow level."""
    grey = min(255, 80 + 30 * level)
    rows = []
    for y in range(side):
        row = []
        for x in range(side):
            on = abs(x - side // 2) <= level % 3 or abs(y - side // 2) <= level % 2
            value = grey if on else (level * 11) % 60
            row.append((value, value, value))
        rows.append(tuple(row))
    return tuple(rows)


def accuracy(name: str, eps: float) -> float:
    return max(0.0, 0.95 - eps * (3.0 if name == "fgsm" else 3.5))


class FakeEvaluation:
    """An evaluate function for ThreadBackend(evaluate=...): scripted results; hold() parks it before its result."""

    def __init__(self) -> None:
        self.requests: list = []
        self._released = threading.Event()
        self._released.set()
        self.waiting = threading.Event()

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def __call__(self, request, on_progress, should_stop) -> RobustnessResult:
        self.requests.append(request)
        corruptions = corruptions_for("image") if request.corruptions is None else request.corruptions
        steps = 1 + len(request.attacks) * len(request.eps) + len(corruptions) * len(SEVERITIES)
        on_progress(RobustnessProgress(1, steps, "clean"))
        self.waiting.set()
        while not self._released.wait(0.01):
            if should_stop():
                return RobustnessResult(request.run_dir, clean_accuracy=0.95, class_names=CLASSES, stopped=True)
        self.waiting.clear()
        on_progress(RobustnessProgress(steps, steps, "done"))
        attacks = tuple(AttackPoint(a, e, accuracy(a, e)) for a in request.attacks for e in request.eps)
        broken = tuple(
            CorruptionPoint(n, s, max(0.0, 0.95 - 0.04 * s * (i % 4)))
            for i, n in enumerate(corruptions)
            for s in SEVERITIES
        )
        index = request.sample
        adversarial = tuple(
            AdversarialSample(
                a, e, image(1, 14), image(2, 14), image(3, 14),
                Prediction(7, 0.97, 0.97), Prediction(3 if e else 7, 0.6 if e else 0.97, 0.1 if e else 0.97),
            )
            for a in request.attacks
            for e in request.eps
        )  # fmt: skip
        corrupted = tuple((n, s, image(i + s)) for i, n in enumerate(corruptions) for s in SEVERITIES)
        sample = SampleViews(index, 7, image(0), corrupted, adversarial)
        return RobustnessResult(
            request.run_dir, "best", "digits28", "image", CLASSES, 359, 0.95, attacks, broken, sample, "cpu", 1.5,
            notes=("best.pt: epoch 8, validation accuracy 95.00% (best so far) when saved",),
        )  # fmt: skip


def robustness_app(evaluation: FakeEvaluation, runs_dir: str | Path | None = None) -> TrainerApp:
    """The app with a fake training run and this fake evaluation in the thread backend."""
    backend = ThreadBackend(run=nothing, devices=DEVICES, evaluate=evaluation)
    return TrainerApp(backend=backend, runs_dir=runs_dir)


def with_best(path: Path) -> Path:
    """Give a saved run (saved_runs.saved_run) a best.pt beside its fake last.pt."""
    shutil.copy(path / "last.pt", path / "best.pt")
    return path
