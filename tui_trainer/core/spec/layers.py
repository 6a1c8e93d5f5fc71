"""The layer catalogue: LayerSpec, PyTorch layer names and their arguments (defaults, ranges, help).

Importing this module does not import torch: the UI shows the catalogue before torch is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui_trainer.core.spec.numbers import number_text

Value = int | float | bool | str
"""A setting's value as TOML holds it."""


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the model: a PyTorch class name and its arguments (in_* are inferred)."""

    type: str
    """PyTorch class name from the layer catalogue, e.g. "Linear" or "Conv2d"."""
    args: dict[str, Value] = field(default_factory=dict)
    """Arguments by PyTorch's own names; missing ones take the catalogue's defaults."""

    def with_args(self, **changes: Value) -> LayerSpec:
        """A copy with some arguments changed (None removes an argument)."""
        args = {**self.args, **changes}
        return LayerSpec(self.type, {k: v for k, v in args.items() if v is not None})


@dataclass(frozen=True)
class Arg:
    """One argument of a layer type, by PyTorch's own name."""

    name: str
    type: type
    """int, float or bool."""
    default: Any
    """Default value; None means "inferred" (e.g. the last Linear's out_features)."""
    help: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class LayerType:
    """A layer the user can put in the stack."""

    name: str
    """PyTorch class name shown to the user."""
    group: str
    """"dense", "conv", "pool", "shape", "norm", "regularise" or "activation"."""
    help: str
    args: tuple[Arg, ...] = ()
    input: str = "any"
    """What input it needs: "features" (1-D), "image" (C,H,W) or "any"."""

    def arg(self, name: str) -> Arg:
        """The argument called name."""
        for a in self.args:
            if a.name == name:
                return a
        raise KeyError(name)


def _activation(name: str, help: str) -> LayerType:
    return LayerType(name, "activation", help)


CATALOGUE: dict[str, LayerType] = {
    t.name: t
    for t in [
        LayerType(
            "Linear",
            "dense",
            "Fully connected: every output is a weighted sum of all inputs plus a bias (a layer of "
            "perceptrons). in_features is inferred.",
            (
                Arg(
                    "out_features",
                    int,
                    None,
                    "Number of outputs (empty = the dataset's class count on the last layer).",
                    1,
                    65536,
                ),
                Arg("bias", bool, True, "Learn a bias per output."),
            ),
            input="features",
        ),
        LayerType(
            "Conv2d",
            "conv",
            "Convolution: slides out_channels learned kernel_size x kernel_size filters over the "
            "image. in_channels is inferred.",
            (
                Arg("out_channels", int, 16, "Number of filters (output channels).", 1, 4096),
                Arg("kernel_size", int, 3, "Filter width and height in pixels.", 1, 64),
                Arg("stride", int, 1, "Step between filter positions.", 1, 64),
                Arg("padding", int, 0, "Zero pixels added on each border (kernel_size//2 keeps the size).", 0, 64),
            ),
            input="image",
        ),
        LayerType(
            "MaxPool2d",
            "pool",
            "Max pooling: keeps the largest value of each kernel_size window, shrinking the image.",
            (
                Arg("kernel_size", int, 2, "Window width and height.", 1, 64),
                Arg("stride", int, None, "Step between windows (empty = kernel_size).", 1, 64),
            ),
            input="image",
        ),
        LayerType(
            "AvgPool2d",
            "pool",
            "Average pooling: averages each kernel_size window, shrinking the image.",
            (
                Arg("kernel_size", int, 2, "Window width and height.", 1, 64),
                Arg("stride", int, None, "Step between windows (empty = kernel_size).", 1, 64),
            ),
            input="image",
        ),
        LayerType("Flatten", "shape", "Turns a C x H x W image into one vector of C*H*W features for Linear layers."),
        LayerType(
            "BatchNorm",
            "norm",
            "Batch normalisation: standardises each feature/channel over the mini-batch, then scales "
            "and shifts it (BatchNorm1d or BatchNorm2d, picked from the input).",
        ),
        LayerType(
            "Dropout",
            "regularise",
            "Randomly zeroes a share p of the values while training (not when evaluating): fights overfitting.",
            (Arg("p", float, 0.5, "Probability of zeroing each value.", 0.0, 0.99),),
        ),
        _activation("Identity", "Linear activation f(x) = x: stacking linear layers stays linear."),
        _activation(
            "Step",
            "Step f(x) = 1 if x > 0 else 0 (the perceptron's). Its gradient is 0: layers before it cannot learn.",
        ),
        _activation("Sign", "Sign f(x) = -1, 0 or +1. Its gradient is 0: layers before it cannot learn."),
        _activation("Sigmoid", "Sigmoid f(x) = 1/(1+e^-x), squashes to (0, 1); saturates, so gradients vanish."),
        _activation("Tanh", "Tanh squashes to (-1, 1), zero-centred; saturates like sigmoid."),
        _activation("ReLU", "ReLU f(x) = max(0, x): cheap, does not saturate for x > 0; the default choice."),
        LayerType(
            "LeakyReLU",
            "activation",
            "Leaky ReLU: like ReLU but a small slope for x < 0, so no unit dies.",
            (Arg("negative_slope", float, 0.01, "Slope for negative inputs.", 0.0, 1.0),),
        ),
        _activation("GELU", "GELU: a smooth ReLU used in transformers."),
    ]
}


def layer_type(name: str) -> LayerType:
    """The catalogue entry called name; KeyError when unknown."""
    return CATALOGUE[name]


def resolved_args(spec: LayerSpec) -> dict[str, Any]:
    """All arguments of a layer, its own values over the catalogue defaults."""
    lt = CATALOGUE[spec.type]
    return {a.name: spec.args.get(a.name, a.default) for a in lt.args}


def check_layer(spec: LayerSpec) -> list[str]:
    """What is wrong with a layer's type and arguments on their own (not its fit in the stack)."""
    lt = CATALOGUE.get(spec.type)
    if lt is None:
        return [f"unknown layer type (known: {', '.join(CATALOGUE)})"]
    problems = []
    known = {a.name for a in lt.args}
    for name in spec.args:
        if name not in known:
            expected = ", ".join(sorted(known)) or "none"
            problems.append(f"unknown argument {name!r} (arguments: {expected})")
    for a in lt.args:
        value = spec.args.get(a.name, a.default)
        if value is None:
            continue
        ok_type = isinstance(value, a.type) and not (a.type is not bool and isinstance(value, bool))
        if a.type is float and isinstance(value, int) and not isinstance(value, bool):
            ok_type = True
        if not ok_type:
            kind = {int: "an integer", float: "a number", bool: "true or false"}[a.type]
            problems.append(f"{a.name} must be {kind}, not {value!r}")
            continue
        if a.min is not None and value < a.min:
            problems.append(f"{a.name} must be at least {number_text(a.min)}, not {number_text(value)}")
        if a.max is not None and value > a.max:
            problems.append(f"{a.name} must be at most {number_text(a.max)}, not {number_text(value)}")
    return problems


def describe_args(spec: LayerSpec) -> str:
    """The layer's arguments as PyTorch would print them, e.g. "out_channels=6, kernel_size=5"."""
    lt = CATALOGUE.get(spec.type)
    if lt is None:
        return ", ".join(f"{k}={v}" for k, v in spec.args.items())
    parts = []
    for a in lt.args:
        value = spec.args.get(a.name, a.default)
        if value is None:
            parts.append(f"{a.name}=auto")
        elif a.name in spec.args or a.default is None or a.name in ("out_features", "out_channels", "kernel_size", "p"):
            parts.append(f"{a.name}={value}")
    return ", ".join(parts)
