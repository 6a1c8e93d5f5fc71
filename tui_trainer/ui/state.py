"""Pure helpers over the edited experiment: its dataset's shape, model summary, what blocks training."""

from __future__ import annotations

import dataclasses

from tui_trainer.core.config import Experiment, validate
from tui_trainer.core.datasets import DatasetError, dataset_info
from tui_trainer.core.model import ModelSummary, summarize

Shape = tuple[int, ...]


def dataset_shape(experiment: Experiment, known: dict[str, tuple[Shape, int]]) -> tuple[Shape, int] | None:
    """(input shape, class count) of the experiment's dataset, from the registry or a previous load."""
    name = experiment.data.name
    if name in known:
        return known[name]
    try:
        info = dataset_info(name)
    except DatasetError:
        return None
    if info.input_shape is None or info.n_classes is None:
        return None
    return tuple(info.input_shape), info.n_classes


def model_summary(experiment: Experiment, known: dict[str, tuple[Shape, int]]) -> ModelSummary | None:
    """The layer table for the current dataset, or None while its shape is unknown (csv:/folder:)."""
    shape = dataset_shape(experiment, known)
    if shape is None:
        return None
    return summarize(experiment.layers, shape[0], shape[1])


def training_blockers(
    experiment: Experiment, invalid_fields: frozenset[str] | set[str], known: dict[str, tuple[Shape, int]]
) -> list[str]:
    """Every reason training cannot start now, for users; empty when it can."""
    reasons = [f"{name}: the value typed there is not valid" for name in sorted(invalid_fields)]
    reasons += [str(p) for p in validate(experiment)]
    try:
        dataset_info(experiment.data.name)
    except DatasetError as exc:
        reasons.append(f"data.name: {exc}")
        return reasons
    summary = model_summary(experiment, known)
    if summary is not None:
        reasons += [f"model: {p}" for p in summary.problems if f"model: {p}" not in reasons]
    return reasons


def settings_diff(base: Experiment, other: Experiment) -> list[str]:
    """Short "key value" texts for the settings of other that differ from base (for the runs table)."""
    diffs = []
    if base.data.name != other.data.name:
        diffs.append(f"data {other.data.name}")
    if base.name != other.name:
        diffs.append(f"preset {other.name}")
    for section in ("data", "train"):
        a, b = getattr(base, section), getattr(other, section)
        for f in dataclasses.fields(a):
            if f.name != "name" and getattr(a, f.name) != getattr(b, f.name):
                diffs.append(f"{f.name} {getattr(b, f.name)}")
    if base.layers != other.layers:
        diffs.append(f"layers ({len(other.layers)})")
    return diffs
