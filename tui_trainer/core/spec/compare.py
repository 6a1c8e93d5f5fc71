"""Comparing experiments: the settings one changes from another (layer edits by name), and those that differ among many."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from difflib import SequenceMatcher

from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.core.spec.layers import LayerSpec

SECTIONS = ("data", "train")
"""The experiment's sections of single settings (the layers are compared layer by layer)."""


def settings_diff(base: Experiment, other: Experiment) -> list[str]:
    """Short texts for what other changes from base (for the runs tables): "key value" for a setting
    ("lr 0.1"), and each layer edit by its place in other's stack ("layer 3 ReLU -> Step")."""
    diffs = []
    if base.data.name != other.data.name:
        diffs.append(f"data {other.data.name}")
    if base.name != other.name:
        diffs.append(f"preset {other.name}")
    for section in SECTIONS:
        a, b = getattr(base, section), getattr(other, section)
        for f in dataclasses.fields(a):
            if f.name != "name" and getattr(a, f.name) != getattr(b, f.name):
                diffs.append(f"{f.name} {getattr(b, f.name)}")
    return diffs + layer_edits(base.layers, other.layers)


def layer_text(layer: LayerSpec) -> str:
    """A layer in a few characters: "ReLU", "Linear(out_features=32)"."""
    args = ", ".join(f"{name}={value}" for name, value in layer.args.items())
    return f"{layer.type}({args})" if args else layer.type


def _changed(number: int, before: LayerSpec, after: LayerSpec) -> list[str]:
    """One layer edited in place: its type ("layer 3 ReLU -> Step") or its arguments ("layer 2 out_features 64 -> 32")."""
    if before.type != after.type:
        return [f"layer {number} {layer_text(before)} -> {layer_text(after)}"]
    edits = []
    for name in dict.fromkeys([*before.args, *after.args]):
        old, new = before.args.get(name, "default"), after.args.get(name, "default")
        if old != new:
            edits.append(f"layer {number} {name} {old} -> {new}")
    return edits


def _layer_key(layer: LayerSpec) -> tuple:
    """A layer as a hashable value: its type and arguments."""
    return layer.type, tuple(sorted((name, str(value)) for name, value in layer.args.items()))


def layer_edits(before: Sequence[LayerSpec], after: Sequence[LayerSpec]) -> list[str]:
    """The edits that turn one layer stack into the other, numbered as the Model tab numbers after's
    layers (from 1): "layer 3 ReLU -> Step", "layer 2 out_features 64 -> 32", "layer 4 + Dropout(p=0.5)",
    and "layer 5 - ReLU" for a layer removed (numbered where it was). Stacks of one length are compared
    layer by layer; otherwise the layers both have are matched first."""
    if len(before) == len(after):
        return [edit for number, pair in enumerate(zip(before, after), start=1) for edit in _changed(number, *pair)]
    edits: list[str] = []
    matcher = SequenceMatcher(a=[_layer_key(x) for x in before], b=[_layer_key(x) for x in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            edits += _changed(j1 + k + 1, before[i1 + k], after[j1 + k])
        if tag != "equal":
            edits += [f"layer {j + 1} + {layer_text(after[j])}" for j in range(j1 + pairs, j2)]
            edits += [f"layer {i + 1} - {layer_text(before[i])}" for i in range(i1 + pairs, i2)]
    return edits


def setting_values(experiment: Experiment) -> dict[str, str]:
    """Every setting of the experiment as text, by a short name: "data" (the dataset), "preset", each data
    and training option by its own name, and "layer N" for each layer (from 1)."""
    values = {"data": experiment.data.name, "preset": experiment.name}
    for section in SECTIONS:
        spec = getattr(experiment, section)
        for f in dataclasses.fields(spec):
            if f.name != "name":
                values[f.name] = str(getattr(spec, f.name))
    for number, layer in enumerate(experiment.layers, start=1):
        values[f"layer {number}"] = layer_text(layer)
    return values


def differing_settings(experiments: Sequence[Experiment]) -> list[str]:
    """The names (as setting_values names them) of the settings that differ among the experiments, in
    setting_values' order; a layer one stack lacks counts as differing."""
    tables = [setting_values(e) for e in experiments]
    names = list(dict.fromkeys(name for table in tables for name in table))
    return [name for name in names if len({table.get(name) for table in tables}) > 1]
