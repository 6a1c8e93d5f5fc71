"""Model summary: output shapes, parameters and clear per-layer errors, computed without torch.

The summary is computed arithmetically, without torch, so the layer editor updates instantly and
never runs a torch op on the UI thread; tests check it against PyTorch on the meta device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui_trainer.core.spec.layers import CATALOGUE, LayerSpec, check_layer, describe_args, resolved_args

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerRow:
    """One row of the summary table."""

    index: int
    """1-based position in the stack."""
    type: str
    args: str
    """Arguments as PyTorch prints them, in_* included when known."""
    output_shape: Shape | None
    """Shape of one sample after this layer; None after an error."""
    params: int
    error: str | None = None
    """Why this layer cannot work, or None."""


@dataclass(frozen=True)
class ModelSummary:
    """Per-layer shapes and parameter counts for a stack on a given input."""

    input_shape: Shape
    n_classes: int
    rows: tuple[LayerRow, ...]
    total_params: int
    problems: tuple[str, ...]
    """Every reason the stack cannot train, each naming the layer."""

    @property
    def ok(self) -> bool:
        """True when the stack can be built and trained on this input."""
        return not self.problems


def format_shape(shape: Shape | None) -> str:
    """A shape as a student reads it: "1x28x28" or "120"."""
    if shape is None:
        return "?"
    return "x".join(str(d) for d in shape)


def _describe_input(shape: Shape) -> str:
    if len(shape) == 3:
        return f"a {format_shape(shape)} image"
    return f"{shape[0]} features"


def _last_linear_index(layers: Sequence[LayerSpec]) -> int:
    indices = [i for i, layer in enumerate(layers) if layer.type == "Linear"]
    return indices[-1] if indices else -1


def _pooled(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _step(layer: LayerSpec, shape: Shape, n_classes: int, is_last_linear: bool) -> tuple[Shape, int, str, str | None]:
    """Output shape, parameters, args text and error for one layer on one input shape."""
    kind = layer.type
    args = resolved_args(layer)
    text = describe_args(layer)
    if kind == "Linear":
        if len(shape) != 1:
            return shape, 0, text, f"its input is {_describe_input(shape)}: add a Flatten layer before it"
        out = args["out_features"]
        if out is None:
            if not is_last_linear:
                return (
                    shape,
                    0,
                    text,
                    "out_features is empty, but only the last Linear takes the class count: give it a number",
                )
            out = n_classes
        params = shape[0] * out + (out if args["bias"] else 0)
        return (out,), params, f"in_features={shape[0]}, out_features={out}", None
    if kind in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        if len(shape) != 3:
            return (
                shape,
                0,
                text,
                (
                    f"needs an image (channels x height x width) but its input is {_describe_input(shape)}: "
                    "put it before Flatten, or choose an image dataset"
                ),
            )
        c, h, w = shape
        k = args["kernel_size"]
        pad = args.get("padding", 0)
        stride = args["stride"] or k
        if k > h + 2 * pad or k > w + 2 * pad:
            hint = "remove a pooling layer or use a smaller kernel" if pad == 0 else "use a smaller kernel"
            padded = f" (padding {pad})" if pad else ""
            return shape, 0, text, f"kernel {k} is larger than its {h}x{w} input{padded}: {hint}"
        out_h, out_w = _pooled(h, k, stride, pad), _pooled(w, k, stride, pad)
        if kind == "Conv2d":
            oc = args["out_channels"]
            return (oc, out_h, out_w), c * oc * k * k + oc, f"in_channels={c}, {text}", None
        return (c, out_h, out_w), 0, text, None
    if kind == "Flatten":
        flat = 1
        for d in shape:
            flat *= d
        return (flat,), 0, text, None
    if kind == "BatchNorm":
        name = "BatchNorm2d" if len(shape) == 3 else "BatchNorm1d"
        return shape, 2 * shape[0], f"{name}({shape[0]})", None
    return shape, 0, text, None


def summarize(layers: Sequence[LayerSpec], input_shape: Shape, n_classes: int) -> ModelSummary:
    """Shapes and parameter counts of a layer stack on one input, and every reason it cannot train."""
    rows: list[LayerRow] = []
    problems: list[str] = []
    shape: Shape | None = tuple(input_shape)
    last_linear = _last_linear_index(layers)
    for i, layer in enumerate(layers):
        index = i + 1
        if layer.type not in CATALOGUE or check_layer(layer):
            why = "; ".join(check_layer(layer))
            rows.append(LayerRow(index, layer.type, describe_args(layer), None, 0, why))
            problems.append(f"layer {index} {layer.type}: {why}")
            shape = None
            continue
        if shape is None:
            rows.append(LayerRow(index, layer.type, describe_args(layer), None, 0))
            continue
        out, params, text, error = _step(layer, shape, n_classes, i == last_linear)
        if error:
            problems.append(f"layer {index} {layer.type}: {error}")
            rows.append(LayerRow(index, layer.type, text, None, 0, error))
            shape = None
        else:
            rows.append(LayerRow(index, layer.type, text, out, params))
            shape = out
    if not layers:
        problems.append("the model has no layers: add at least one Linear layer")
    elif shape is not None:
        if len(shape) != 1:
            problems.append(
                f"the model ends with {_describe_input(shape)}: end with Flatten and a Linear layer "
                f"with {n_classes} outputs"
            )
        elif shape[0] != n_classes:
            problems.append(
                f"the model outputs {shape[0]} values but the dataset has {n_classes} classes: "
                f"the last Linear needs out_features={n_classes} (or leave it empty)"
            )
    total = sum(r.params for r in rows)
    if not problems and total == 0:
        problems.append("the model has no weights to learn: add a Linear layer")
    return ModelSummary(tuple(input_shape), n_classes, tuple(rows), total, tuple(problems))


class ModelError(ValueError):
    """A stack that cannot be built; the message names the layer and says why."""
