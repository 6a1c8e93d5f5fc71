"""A sweep as the app's Sweep tab defines it: the searched fields' range texts and the options as typed, each
checked with the CLI's own rules (space.parse_param, spec.check_options), and the SweepSpec they make. Torch-free
and Optuna-free."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tui_trainer.core.spec.experiment import Experiment, TrainSpec, field_type, spec_fields
from tui_trainer.core.spec.layers import CATALOGUE
from tui_trainer.core.spec.numbers import number_text
from tui_trainer.core.sweep.space import (
    LAYER_TYPE,
    Param,
    SpaceError,
    check_space,
    grid_size,
    parse_param,
    value_text,
)
from tui_trainer.core.sweep.spec import OBJECTIVES, PRUNERS, SAMPLERS, SweepSpec, check_options

NOT_SEARCHED = ("device", "threads")
"""Hyperparameters a sweep cannot search (where training runs): space.py refuses them."""
ACTIVATIONS = ("ReLU", "Tanh", "GELU", "LeakyReLU", "Sigmoid")
"""What a suggested layers.N.type offers for an activation layer."""
MAX_WORKERS = 64
OPTIONS = ("trials", "sampler", "pruner", "objective", "workers")
"""The sweep's options, as the form names its rows."""
OPTION_CHOICES: dict[str, tuple[str, ...]] = {"sampler": SAMPLERS, "pruner": PRUNERS, "objective": tuple(OBJECTIVES)}


def searchable(experiment: Experiment) -> list[str]:
    """The fields a sweep of this experiment can search, as the Sweep tab offers them: the Hyperparams tab's
    fields, then each layer's arguments by position (layers.N.type first)."""
    names = [n for n in spec_fields(TrainSpec) if n not in NOT_SEARCHED]
    for position, layer in enumerate(experiment.layers, start=1):
        names.append(f"layers.{position}.{LAYER_TYPE}")
        layer_type = CATALOGUE.get(layer.type)
        names.extend(f"layers.{position}.{arg.name}" for arg in (layer_type.args if layer_type else ()))
    return names


def field_description(experiment: Experiment, name: str) -> str:
    """One line about a searchable field: what it is now (a layer's type and position)."""
    if name.startswith("layers."):
        _, position, arg = name.split(".")
        layer = experiment.layers[int(position) - 1]
        now = layer.type if arg == LAYER_TYPE else value_text(layer.args.get(arg, "default"))
        return f"layer {position} ({layer.type}): {arg}, now {now}"
    return f"now {value_text(getattr(experiment.train, name))}"


def suggest(experiment: Experiment, name: str) -> str:
    """A first range for a field (around its value now): what the form fills in when the field is added."""
    if name.startswith("layers."):
        _, position, arg = name.split(".")
        layer = experiment.layers[int(position) - 1]
        if arg == LAYER_TYPE:
            if layer.type in ACTIVATIONS:
                return ",".join(dict.fromkeys([layer.type, *ACTIVATIONS[:3]]))
            return layer.type
        spec = CATALOGUE[layer.type].arg(arg)
        value = layer.args.get(arg, spec.default)
        if spec.type is bool:
            return "true,false"
        if spec.type is int:
            value = int(value) if isinstance(value, (int, float)) else 64
            return f"{max(spec.min or 1, value // 4)}..{max(value * 4, (spec.min or 1) + 1)}:log"
        value = float(value) if isinstance(value, (int, float)) else 0.5
        return f"{number_text(value / 2)}..{number_text(min(value * 2, spec.max or value * 2))}"
    meta = spec_fields(TrainSpec)[name].metadata
    value = getattr(experiment.train, name)
    choices = meta.get("choices")
    if choices:
        return ",".join(dict.fromkeys([str(value), *choices[:2]]))
    tp = field_type(TrainSpec, name)
    if tp is bool:
        return "true,false"
    high_limit = meta.get("max")
    if tp is int:
        value = int(value)
        if name == "batch_size":
            return ",".join(str(v) for v in (max(1, value // 2), value, value * 2))
        low = max(int(meta.get("min") or 0), value // 2)
        high = max(low + 1, value * 2)
        return f"{low}..{min(high, int(high_limit)) if high_limit is not None else high}"
    if value > 0:
        high = value * 10
        if high_limit is not None and high > high_limit:
            high = float(high_limit)
        return f"{number_text(value / 10)}..{number_text(high)}:log"
    return f"0..{number_text(min(0.1, float(high_limit))) if high_limit is not None else '0.1'}"


@dataclass(frozen=True)
class SweepDraft:
    """The Sweep tab's form as typed: each searched field's range text and the options' texts."""

    params: tuple[tuple[str, str], ...] = ()
    """(field name, range text such as "1e-4..1e-1:log" or "16,32,64"), in the form's order."""
    trials: str = "20"
    sampler: str = "tpe"
    pruner: str = "median"
    objective: str = "best_val_accuracy"
    workers: str = "1"

    def with_param(self, name: str, text: str) -> SweepDraft:
        """The draft with this field's range text set (added at the end when it is new)."""
        params = dict(self.params)
        params[name] = text
        return dataclasses.replace(self, params=tuple(params.items()))

    def without_param(self, name: str) -> SweepDraft:
        """The draft without this field."""
        return dataclasses.replace(self, params=tuple(p for p in self.params if p[0] != name))

    def with_option(self, name: str, text: str) -> SweepDraft:
        """The draft with an option's text set (trials, sampler, pruner, objective, workers)."""
        return dataclasses.replace(self, **{name: text})


@dataclass(frozen=True)
class DraftCheck:
    """What a draft makes: the sweep (None while anything is wrong), its workers, and the errors by row key
    ("param:lr", "trials", ...; "space": the space as a whole)."""

    spec: SweepSpec | None
    workers: int
    errors: dict[str, str]


def param_key(name: str) -> str:
    """The error key of a searched field's row."""
    return f"param:{name}"


def check_param(name: str, text: str, experiment: Experiment) -> tuple[Param | None, str | None]:
    """(the parameter, None), or (None, why) in the CLI's words."""
    if not text.strip():
        return None, f"{name}: give a range (LOW..HIGH, :log for a log scale) or choices (A,B,C)"
    try:
        return parse_param(f"{name}={text}", experiment), None
    except SpaceError as exc:
        return None, str(exc)


def check_workers(text: str) -> tuple[int, str | None]:
    """(workers, None) or (0, why)."""
    try:
        workers = int(text.strip())
    except ValueError:
        return 0, f"workers must be a whole number, not {text.strip()!r}"
    if not 1 <= workers <= MAX_WORKERS:
        return 0, f"workers must be 1 to {MAX_WORKERS}, not {workers}"
    return workers, None


def check_draft(draft: SweepDraft, experiment: Experiment) -> DraftCheck:
    """Every error of the draft against the experiment, each at its row, and the sweep when there is none."""
    errors: dict[str, str] = {}
    params: list[Param] = []
    for name, text in draft.params:
        param, error = check_param(name, text, experiment)
        if error is not None:
            errors[param_key(name)] = error
        elif param is not None:
            params.append(param)
    try:
        trials = int(draft.trials.strip())
    except ValueError:
        trials = 0
        errors["trials"] = f"trials must be a whole number, not {draft.trials.strip()!r}"
    if "trials" not in errors:
        try:
            check_options(trials, draft.sampler, draft.pruner, draft.objective)
        except SpaceError as exc:
            key = next((k for k in ("sampler", "pruner", "objective") if k in str(exc)), "trials")
            errors[key] = str(exc).replace("--trials", "trials")
    workers, error = check_workers(draft.workers)
    if error:
        errors["workers"] = error
    if not draft.params:
        errors["space"] = "nothing to search: add a field (its range, or its choices)"
    elif len(params) == len(draft.params):
        try:
            check_space(tuple(params), draft.sampler)
        except SpaceError as exc:
            errors["space"] = str(exc)
    if errors:
        return DraftCheck(None, workers, errors)
    if draft.sampler == "grid":
        trials = min(trials, grid_size(tuple(params)))
    spec = SweepSpec(
        experiment, tuple(params), trials=trials, sampler=draft.sampler, pruner=draft.pruner, objective=draft.objective
    )
    return DraftCheck(spec, workers, {})


def corner_problems(spec: SweepSpec) -> dict[str, str]:
    """Each parameter whose end (a range's low or high, a choice) the pipeline's start checks refuse, as the
    CLI's `sweep` checks them before it writes anything: {row key: "lr=...: why"}."""
    from tui_trainer.core.pipeline.checks import start_problems
    from tui_trainer.core.sweep.space import apply, corners

    found: dict[str, str] = {}
    for values in corners(spec.params):
        name, value = next(iter(values.items()))
        if param_key(name) in found:
            continue
        problems = start_problems(apply(spec.experiment, values))
        if problems:
            found[param_key(name)] = f"{name}={value_text(value)}: {problems[0]}"
    return found


def draft_from_spec(spec: SweepSpec, workers: int = 1) -> SweepDraft:
    """The form's texts for a sweep read from sweep.toml."""
    return SweepDraft(
        params=tuple((p.name, p.value_text) for p in spec.params),
        trials=str(spec.trials),
        sampler=spec.sampler,
        pruner=spec.pruner,
        objective=spec.objective,
        workers=str(workers),
    )
