"""Building the nn.Sequential of a layer stack: one nn.Module per LayerSpec, checked by the summary first."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from tui_trainer.core.spec.layers import LayerSpec, resolved_args
from tui_trainer.core.spec.summary import ModelError, Shape, summarize


def _step_module() -> nn.Module:
    class Step(nn.Module):
        """The perceptron's step activation: 1 for x > 0, else 0 (0.5 at 0); zero gradient."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return (torch.sign(x) + 1) / 2

    return Step()


def _sign_module() -> nn.Module:
    class Sign(nn.Module):
        """The sign activation: -1, 0 or +1; zero gradient."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sign(x)

    return Sign()


def build_layer(spec: LayerSpec, in_shape: tuple[int, ...], out_features: int | None = None) -> nn.Module:
    """The nn.Module for one layer given its input shape (without batch); out_features fills an auto Linear."""
    args = resolved_args(spec)
    kind = spec.type
    builders: dict[str, Callable[[], nn.Module]] = {
        "Linear": lambda: nn.Linear(in_shape[0], args["out_features"] or out_features, bias=args["bias"]),
        "Conv2d": lambda: nn.Conv2d(
            in_shape[0], args["out_channels"], args["kernel_size"], stride=args["stride"], padding=args["padding"]
        ),
        "MaxPool2d": lambda: nn.MaxPool2d(args["kernel_size"], stride=args["stride"]),
        "AvgPool2d": lambda: nn.AvgPool2d(args["kernel_size"], stride=args["stride"]),
        "Flatten": nn.Flatten,
        "BatchNorm": lambda: nn.BatchNorm2d(in_shape[0]) if len(in_shape) == 3 else nn.BatchNorm1d(in_shape[0]),
        "Dropout": lambda: nn.Dropout(args["p"]),
        "Identity": nn.Identity,
        "Step": _step_module,
        "Sign": _sign_module,
        "Sigmoid": nn.Sigmoid,
        "Tanh": nn.Tanh,
        "ReLU": nn.ReLU,
        "LeakyReLU": lambda: nn.LeakyReLU(args["negative_slope"]),
        "GELU": nn.GELU,
    }
    return builders[kind]()


def build_model(layers: Sequence[LayerSpec], input_shape: Shape, n_classes: int) -> nn.Sequential:
    """The nn.Sequential for a stack (CPU, default init); raises ModelError when it cannot fit."""
    summary = summarize(layers, input_shape, n_classes)
    if not summary.ok:
        raise ModelError(summary.problems[0])
    modules = []
    shape: Shape = tuple(input_shape)
    for layer, row in zip(layers, summary.rows):
        modules.append(build_layer(layer, shape, n_classes))
        assert row.output_shape is not None
        shape = row.output_shape
    return nn.Sequential(*modules)
