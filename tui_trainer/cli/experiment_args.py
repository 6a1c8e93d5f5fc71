"""The experiment a command trains or shows: preset, then --config, then --dataset / --data-dir / --download, then --set."""

from __future__ import annotations

import argparse
from typing import Any

from tui_trainer.cli.parser import UsageError
from tui_trainer.core.spec.experiment import (
    ConfigError,
    Experiment,
    Problem,
    with_config_file,
    with_data_and_settings,
    with_setting,
)
from tui_trainer.core.spec.poisoning import POISONING_FIELDS


def with_settings(experiment: Experiment, assignments: list[str]) -> Experiment:
    """Each --set KEY=VALUE applied in order; UsageError for a bad one."""
    try:
        for assignment in assignments:
            experiment = with_setting(experiment, assignment)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return experiment


def experiment_from_args(args: argparse.Namespace) -> Experiment:
    """Preset, then --config, then --dataset/--data-dir/--download, then each --set; validated."""
    from tui_trainer.core.spec.presets import load_preset

    try:
        experiment = load_preset(args.preset or "mlp")
        if args.config:
            experiment = with_config_file(experiment, args.config)
    except (ConfigError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    return with_data_args(experiment, args)


def with_data_args(experiment: Experiment, args: argparse.Namespace) -> Experiment:
    """--dataset / --data-dir / --download, then each --set, validated; UsageError for the first problem."""
    changes: dict[str, Any] = {}
    if args.dataset:
        changes["name"] = args.dataset
    if args.data_dir:
        changes["data_dir"] = args.data_dir
    if args.download:
        changes["download"] = True
    try:
        return with_data_and_settings(experiment, changes, args.set)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def problem_line(problem: Problem, experiment: Experiment) -> str:
    """A pipeline Problem as the CLI's one error line: its message (the settings were validated before, so
    the field adds nothing; a noise or backdoor option against the data's classes is named), a layer problem
    naming the preset and the dataset."""
    if problem.field == "model":
        return f"preset {experiment.name} does not fit {experiment.data.name}: {problem.message}"
    if problem.field in POISONING_FIELDS:  # a setting against the data (a class it lacks): named
        return str(problem)
    return problem.message
