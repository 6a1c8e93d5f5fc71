"""The checks before a run that need no torch and no data: settings, dataset name, layers against its shape."""

from __future__ import annotations

from collections.abc import Mapping

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.registry import DataShape, dataset_info, shape_of
from tui_trainer.core.spec.experiment import Experiment, Problem, validate
from tui_trainer.core.spec.summary import ModelSummary, summarize

FIT_HINT = "edit the layers so they fit the data"
SETTING_HINT = "fix the setting and start again"
DATASET_HINT = "check the dataset options"


def model_summary(experiment: Experiment, known: Mapping[str, DataShape] | None = None) -> ModelSummary | None:
    """The layer table on the experiment's dataset, or None while its shape is unknown (csv:/folder: unloaded)."""
    shape = shape_of(experiment.data, known)
    if shape is None:
        return None
    return summarize(experiment.layers, shape[0], shape[1])


def fit_problems(summary: ModelSummary) -> list[Problem]:
    """The layer stack's problems on a dataset, as Problems of the field "model"."""
    return [Problem("model", message, FIT_HINT) for message in summary.problems]


def setting_problems(experiment: Experiment) -> list[Problem]:
    """validate()'s problems, each with a hint."""
    return [Problem(p.field, p.message, p.hint or SETTING_HINT) for p in validate(experiment)]


def start_problems(experiment: Experiment, known: Mapping[str, DataShape] | None = None) -> list[Problem]:
    """Every reason the experiment cannot train that shows without loading data; empty when none does."""
    problems = setting_problems(experiment)
    try:
        dataset_info(experiment.data.name)
    except DatasetError as exc:
        return [*problems, Problem("data.name", str(exc), DATASET_HINT)]
    summary = model_summary(experiment, known)
    if summary is not None:
        problems += [p for p in fit_problems(summary) if p not in problems]
    return problems
