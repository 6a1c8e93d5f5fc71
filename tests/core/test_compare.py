"""Comparing experiments: settings by name and value, layer edits by their place in the stack, the settings that differ among runs."""

from __future__ import annotations

from helpers import MLP, L, experiment

from tui_trainer.core.spec.compare import differing_settings, layer_edits, setting_values, settings_diff


def test_layer_edits_name_the_layer_and_what_changed() -> None:
    stack = list(MLP)  # Flatten, Linear(16), ReLU, Linear
    assert layer_edits(stack, [stack[0], stack[1], L("Step"), stack[3]]) == ["layer 3 ReLU -> Step"]
    assert layer_edits(stack, [stack[0], L("Linear", {"out_features": 32}), *stack[2:]]) == [
        "layer 2 out_features 16 -> 32"
    ]
    assert layer_edits(stack, [*stack[:3], L("Dropout", {"p": 0.5}), stack[3]]) == ["layer 4 + Dropout(p=0.5)"]
    assert layer_edits(stack, [stack[0], stack[1], stack[3]]) == ["layer 3 - ReLU"]
    assert layer_edits(stack, stack) == []


def test_settings_diff_lists_settings_then_layer_edits() -> None:
    base = experiment()
    other = experiment(lr=0.2).replace_layers([*MLP[:2], L("Tanh"), MLP[3]])
    assert settings_diff(base, other) == ["lr 0.2", "layer 3 ReLU -> Tanh"]


def test_differing_settings_are_those_with_more_than_one_value() -> None:
    runs = [experiment(), experiment(lr=0.2), experiment(lr=0.2).replace_layers(MLP[:3])]
    assert differing_settings(runs) == ["lr", "layer 4"]
    assert setting_values(runs[2]).get("layer 4") is None and setting_values(runs[0])["layer 4"] == "Linear"


def test_a_layer_edited_in_a_repeated_pattern_is_named_in_place() -> None:
    mlp = [
        L("Flatten"),
        L("Linear", {"out_features": 64}),
        L("ReLU"),
        L("Linear", {"out_features": 32}),
        L("ReLU"),
        L("Linear"),
    ]
    stepped = [*mlp[:2], L("Step"), *mlp[3:]]
    assert layer_edits(mlp, stepped) == ["layer 3 ReLU -> Step"]
    assert layer_edits(mlp, [*mlp[:2], L("Dropout"), *mlp[2:]]) == ["layer 3 + Dropout"]
