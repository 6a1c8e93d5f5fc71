"""The search space: parameters (float/int ranges, choices) over experiment fields and layer arguments, parsed,
checked against each field's own limits, and applied to an experiment (torch-free and Optuna-free)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui_trainer.core.spec.experiment import (
    DataSpec,
    Experiment,
    TrainSpec,
    check_field,
    field_type,
    parse_value,
    spec_fields,
)
from tui_trainer.core.spec.layers import CATALOGUE, LayerSpec, Value
from tui_trainer.core.spec.numbers import number_text

GRID_LIMIT = 1000
"""The most points a grid sampler may try (the product of every parameter's values)."""
LAYER_TYPE = "type"
"""The layer "argument" that swaps the layer's type (layers.N.type=ReLU,Tanh)."""


class SpaceError(ValueError):
    """A parameter that cannot be searched: the message names it and says why, in one line."""


@dataclass(frozen=True)
class Param:
    """One searched setting: a range (float or int, linear or log) or a list of choices."""

    name: str
    """What it sets: a TrainSpec/DataSpec field ("lr", "batch_size", "val_fraction") or a layer argument by
    1-based position ("layers.4.out_features", "layers.2.type")."""
    kind: str
    """"float", "int" or "choice"."""
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    """Sample the range on a log scale (lr, weight decay)."""
    choices: tuple[Value, ...] = ()

    @property
    def text(self) -> str:
        """The parameter as --param and the [sweep.params] table write it: "lr=0.0001..0.1:log"."""
        return f"{self.name}={self.value_text}"

    @property
    def value_text(self) -> str:
        """The right-hand side of text: "0.0001..0.1:log", "16,32,64"."""
        if self.kind == "choice":
            return ",".join(value_text(c) for c in self.choices)
        assert self.low is not None and self.high is not None
        return f"{number_text(self.low)}..{number_text(self.high)}" + (":log" if self.log else "")

    @property
    def grid(self) -> tuple[Value, ...] | None:
        """Every value a grid sampler tries: the choices, an int range's integers; None for a float range."""
        if self.kind == "choice":
            return self.choices
        if self.kind == "int":
            assert self.low is not None and self.high is not None
            return tuple(range(int(self.low), int(self.high) + 1))
        return None


def value_text(value: Value) -> str:
    """A value as range text writes it (true, 0.001, relu)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value)


# ---------------------------------------------------------------- where a name points


@dataclass(frozen=True)
class _Target:
    """What a parameter name addresses: a spec field or a layer's argument (index 0-based)."""

    spec_type: type | None
    field: str
    layer: int | None = None


def _target(name: str, experiment: Experiment) -> _Target:
    if name.startswith("layers."):
        parts = name.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise SpaceError(f"{name}: a layer parameter is layers.N.ARGUMENT, e.g. layers.4.out_features")
        position, arg = int(parts[1]), parts[2]
        if not 1 <= position <= len(experiment.layers):
            raise SpaceError(f"{name}: the model has layers 1 to {len(experiment.layers)}, not {position}")
        layer = experiment.layers[position - 1]
        lt = CATALOGUE.get(layer.type)
        if arg != LAYER_TYPE and (lt is None or arg not in {a.name for a in lt.args}):
            known = ", ".join([LAYER_TYPE, *(a.name for a in lt.args)] if lt else [LAYER_TYPE])
            raise SpaceError(f"{name}: layer {position} {layer.type} has no argument {arg!r} (arguments: {known})")
        return _Target(None, arg, position - 1)
    key = name.removeprefix("train.").removeprefix("data.")
    for spec_type in (TrainSpec, DataSpec):
        if key in spec_fields(spec_type) and not (name.startswith("data.") and spec_type is TrainSpec):
            if key in ("name", "data_dir", "device", "label_column", "download", "threads"):
                raise SpaceError(f"{name} cannot be searched (it says where the data is or where training runs)")
            return _Target(spec_type, key)
    known = ", ".join([*spec_fields(TrainSpec), *spec_fields(DataSpec), "layers.N.ARGUMENT"])
    raise SpaceError(f"unknown parameter {name!r} (parameters: {known})")


def _layer_arg(experiment: Experiment, target: _Target):
    assert target.layer is not None
    return CATALOGUE[experiment.layers[target.layer].type].arg(target.field)


def _value_type(experiment: Experiment, target: _Target) -> type:
    if target.layer is not None:
        return str if target.field == LAYER_TYPE else _layer_arg(experiment, target).type
    assert target.spec_type is not None
    return field_type(target.spec_type, target.field)


def _parse_one(experiment: Experiment, target: _Target, name: str, text: str) -> Value:
    """One value of the parameter's type; SpaceError naming the parameter."""
    if target.spec_type is not None:
        try:
            return parse_value(target.spec_type, target.field, text)
        except ValueError as exc:
            raise SpaceError(f"{name}: {exc}") from None
    tp = _value_type(experiment, target)
    text = text.strip()
    if tp is str:
        return text
    if tp is bool:
        if text.lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return text.lower() in ("true", "1", "yes", "on")
        raise SpaceError(f"{name} must be true or false, not {text!r}")
    try:
        number = float(text)
    except ValueError:
        raise SpaceError(f"{name} must be a number, not {text!r}") from None
    if tp is int:
        if not number.is_integer():
            raise SpaceError(f"{name} must be an integer, not {text!r}")
        return int(number)
    return number


def _why_not(experiment: Experiment, target: _Target, value: Value) -> str | None:
    """Why value is outside the field's own limits (its type, range, choices), or None."""
    if target.spec_type is not None:
        return check_field(target.spec_type, target.field, value)
    assert target.layer is not None
    layer = experiment.layers[target.layer]
    if target.field == LAYER_TYPE:
        if value not in CATALOGUE:
            return f"must be a layer type ({', '.join(CATALOGUE)}), not {value!r}"
        return None
    arg = _layer_arg(experiment, target)
    if arg.min is not None and value < arg.min:
        return f"must be at least {number_text(arg.min)}, not {value_text(value)}"
    if arg.max is not None and value > arg.max:
        return f"must be at most {number_text(arg.max)}, not {value_text(value)}"
    del layer
    return None


def parse_param(text: str, experiment: Experiment) -> Param:
    """A parameter from `NAME=LOW..HIGH[:log]` or `NAME=A,B,C`, checked against the field's own limits
    (the experiment gives the layer stack that layers.N.ARG addresses); SpaceError says what is wrong."""
    name, eq, rest = text.partition("=")
    name, rest = name.strip(), rest.strip()
    if not eq or not name or not rest:
        raise SpaceError(f"--param needs NAME=LOW..HIGH[:log] or NAME=A,B,C, not {text!r}")
    target = _target(name, experiment)
    tp = _value_type(experiment, target)
    if ".." in rest:
        if tp not in (int, float):
            raise SpaceError(f"{name} is not a number: give its choices, e.g. {name}=A,B")
        span, _, scale = rest.partition(":")
        if scale not in ("", "log", "linear"):
            raise SpaceError(f"{name}: the scale after ':' is log or linear, not {scale!r}")
        low_text, _, high_text = span.partition("..")
        if not low_text.strip() or not high_text.strip():
            raise SpaceError(f"{name}: a range needs both ends, e.g. {name}=1e-4..1e-1:log, not {rest!r}")
        low, high = (_parse_one(experiment, target, name, t) for t in (low_text, high_text))
        assert isinstance(low, (int, float)) and isinstance(high, (int, float))
        if low == high:
            raise SpaceError(f"{name}: the range {low_text}..{high_text} is empty (give two different ends)")
        if low > high:
            raise SpaceError(f"{name}: the range {low_text}..{high_text} is reversed (low end first)")
        for end in (low, high):
            if why := _why_not(experiment, target, end):
                raise SpaceError(f"{name} {why}")
        log = scale == "log"
        if log and low <= 0:
            raise SpaceError(f"{name}: a log range needs a low end above 0, not {value_text(low)}")
        param = Param(name, "int" if tp is int else "float", low, high, log)
    else:
        values = [_parse_one(experiment, target, name, t) for t in rest.split(",") if t.strip()]
        if not values:
            raise SpaceError(f"{name}: no choices given")
        if len(set(values)) != len(values):
            raise SpaceError(f"{name}: a choice is given twice in {rest!r}")
        for value in values:
            if why := _why_not(experiment, target, value):
                raise SpaceError(f"{name} {why}")
        param = Param(name, "choice", choices=tuple(values))
    return param


def check_space(params: tuple[Param, ...], sampler: str) -> None:
    """Problems of the space as a whole: a name given twice, a grid with a float range or too many points."""
    names = [p.name.removeprefix("train.").removeprefix("data.") for p in params]
    for name in names:
        if names.count(name) > 1:
            raise SpaceError(f"{name} is searched twice: give each parameter once")
    if not params:
        raise SpaceError("nothing to search: give at least one --param, e.g. --param lr=1e-4..1e-1:log")
    if sampler == "grid":
        size = 1
        for p in params:
            grid = p.grid
            if grid is None:
                raise SpaceError(f"{p.name}: the grid sampler needs choices or an integer range, not a float range")
            size *= len(grid)
        if size > GRID_LIMIT:
            raise SpaceError(f"the grid has {size} points, more than {GRID_LIMIT}: give fewer choices")


def grid_size(params: tuple[Param, ...]) -> int:
    """The number of points of the grid over params (every parameter must have a grid)."""
    return math.prod(len(p.grid or ()) for p in params)


def apply(experiment: Experiment, values: dict[str, Value]) -> Experiment:
    """The experiment with each parameter's value set (names as Param.name); layer types swap first, keeping the
    arguments the new type knows."""
    layers = list(experiment.layers)
    train: dict[str, Value] = {}
    data: dict[str, Value] = {}
    ordered = sorted(values.items(), key=lambda kv: not kv[0].endswith("." + LAYER_TYPE))
    for name, value in ordered:
        target = _target(name, experiment.replace_layers(layers))
        if target.layer is not None:
            layer = layers[target.layer]
            if target.field == LAYER_TYPE:
                known = {a.name for a in CATALOGUE[str(value)].args} if str(value) in CATALOGUE else set()
                layers[target.layer] = LayerSpec(str(value), {k: v for k, v in layer.args.items() if k in known})
            else:
                layers[target.layer] = layer.with_args(**{target.field: value})
        elif target.spec_type is TrainSpec:
            train[target.field] = float(value) if field_type(TrainSpec, target.field) is float else value
        else:
            data[target.field] = float(value) if field_type(DataSpec, target.field) is float else value
    return experiment.replace_layers(layers).with_train(**train).with_data(**data)


def corners(params: tuple[Param, ...]) -> list[dict[str, Value]]:
    """Each parameter at each of its ends (the others left as they are): the values whose experiments are
    validated before a sweep starts."""
    out: list[dict[str, Value]] = []
    for p in params:
        values = p.choices if p.kind == "choice" else (p.low, p.high)
        out.extend({p.name: v} for v in values if v is not None)
    return out
