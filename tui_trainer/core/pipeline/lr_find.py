"""The learning-rate finder through the pipeline's checks: the same data and model a run would get, no files."""

from __future__ import annotations

from collections.abc import Callable

from tui_trainer.core.pipeline.prepare import prepare
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.experiment import Experiment, Problem
from tui_trainer.core.spec.lr_finding import LrFinding


def find_lr(
    experiment: Experiment, *, rule: str = "valley", should_stop: Callable[[], bool] = lambda: False
) -> LrFinding | Problem:
    """Sweep the learning rate on the experiment's fresh model (core.training.lr_find) after the checks a run
    passes (settings, dataset, layers, memory); a Problem when one fails. Writes nothing."""
    from tui_trainer.core.training import lr_find

    prepared = prepare(RunRequest(experiment, runs_dir=None))
    if isinstance(prepared, Problem):
        return prepared
    try:
        return lr_find.find_lr(prepared.experiment, prepared.data, prepared.device, rule=rule, should_stop=should_stop)
    finally:
        prepared.release()
