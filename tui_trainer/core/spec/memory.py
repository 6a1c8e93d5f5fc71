"""How much memory training a model needs: an estimate from its summary (torch-free), and its refusal or note.

An estimate, not a measurement. It counts, in float32 (4 bytes a value):

- the weights, and their gradients (one gradient per trainable weight);
- the optimizer's state: torch's SGD keeps a momentum buffer per weight when momentum > 0, Adam and
  AdamW two moments, RMSprop the running average of squared gradients (plus a momentum buffer when
  momentum > 0); their per-weight step counters are scalars and not counted;
- the activations autograd keeps for the backward pass of one training batch: the input of each
  Linear, Conv2d, pooling, BatchNorm, LeakyReLU and GELU layer, the output of each ReLU, Sigmoid and
  Tanh, MaxPool2d's indices (8 bytes a value), Dropout's mask (a value's size: on the CPU torch keeps
  it so; on CUDA in one byte), and the logits with their log-softmax.
  A tensor two layers keep (a ReLU's output is the next Linear's input) counts once; Flatten and
  Identity are views and keep nothing;
- the evaluation pass (no autograd, in chunks of EVAL_CHUNK samples): the largest input plus output of
  one layer at a time. It does not overlap the training batch, so the larger of the two counts.

With mixed precision the activations count 2 bytes a value (float16/bfloat16), plus the half-precision
copy of the weights autocast makes for the forward pass; the weights, gradients and optimizer state stay
float32 (autocast keeps float32 weights). Not counted: the gradients flowing through the backward pass
(about two activations at a time), the dataset itself (on the CPU it is loaded before the check, so the
machine's free memory already excludes it), checkpoints, channels-last and torch.compile, and the
allocator's slack. Measured against the tensors autograd really saves for one training step
(tests/core/test_memory.py), the float32 activations of the presets come within 2%.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_trainer.core.spec.experiment import Problem, TrainSpec
from tui_trainer.core.spec.summary import ModelSummary, Shape

FLOAT_BYTES = 4
"""float32: weights, gradients, optimizer state, and activations without mixed precision."""
HALF_BYTES = 2
"""float16 / bfloat16: activations with mixed precision."""
INDEX_BYTES = 8
"""int64: the indices MaxPool2d keeps for its backward pass."""
EVAL_CHUNK = 2048
"""Samples per forward pass when evaluating (training/evaluation.py evaluates in chunks of this size)."""
WARN_SHARE = 0.5
"""A run needing more than this share of the memory it may use starts with a note."""
MEMORY_HINT = "the Model tab and `tui-trainer summary` show where the memory goes"

_KEEPS_INPUT = frozenset({"Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm", "LeakyReLU", "GELU"})
"""Layers whose backward pass needs their input."""
_KEEPS_OUTPUT = frozenset({"ReLU", "Sigmoid", "Tanh"})
"""Layers whose backward pass needs their output."""
_VIEWS = frozenset({"Flatten", "Identity"})
"""Layers whose output is their input (a view): no new tensor."""
_UNITS = ("B", "KB", "MB", "GB", "TB")


def format_bytes(n: float) -> str:
    """A size in binary units as `free` and `top` count memory (1 KB = 1024 bytes): "512 B", "1.5 MB", "17.2 GB"."""
    value = float(n)
    unit = _UNITS[0]
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            break
        value /= 1024
    if unit == "B":
        return f"{int(value)} B"
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def optimizer_state_copies(train: TrainSpec) -> int:
    """Tensors the size of the weights that torch's optimizer keeps (see the module docstring)."""
    with_momentum = 1 if train.momentum > 0 else 0
    if train.optimizer in ("adam", "adamw"):
        return 2
    if train.optimizer == "rmsprop":
        return 1 + with_momentum
    return with_momentum


def optimizer_state_name(train: TrainSpec) -> str:
    """What the optimizer's state is called in the memory line: "sgd momentum", "adam state", ..."""
    return "sgd momentum" if train.optimizer == "sgd" else f"{train.optimizer} state"


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimated memory of training one model, in bytes, by part."""

    params: int
    """Trainable parameters."""
    weights: int
    """The parameters in float32."""
    gradients: int
    """One float32 gradient per trainable parameter."""
    optimizer_state: int
    """What the optimizer keeps per parameter (0 for SGD without momentum)."""
    optimizer_state_name: str
    """How the line names the optimizer state ("adam state", "sgd momentum")."""
    activations: int
    """What autograd keeps of one training batch for the backward pass (with mixed precision: and the
    half-precision copy of the weights)."""
    evaluation: int
    """The largest layer input plus output of one evaluation chunk (no autograd)."""
    batch_size: int
    """The training batch the activations are counted at."""
    eval_chunk: int
    """Samples per evaluation forward pass."""

    @property
    def total(self) -> int:
        """Weights, gradients and optimizer state, plus the larger of the training batch and the evaluation chunk."""
        return self.weights + self.gradients + self.optimizer_state + max(self.activations, self.evaluation)

    def parts(self) -> str:
        """The parts that make up the total: "weights 1.2 MB, gradients 1.2 MB, ..., activations 3 MB at batch 64"."""
        parts = [f"weights {format_bytes(self.weights)}", f"gradients {format_bytes(self.gradients)}"]
        if self.optimizer_state:
            parts.append(f"{self.optimizer_state_name} {format_bytes(self.optimizer_state)}")
        parts.append(f"activations {format_bytes(self.activations)} at batch {self.batch_size}")
        if self.evaluation > self.activations:
            parts.append(f"evaluation {format_bytes(self.evaluation)} in chunks of {self.eval_chunk}")
        return ", ".join(parts)

    def line(self) -> str:
        """The one line `tui-trainer summary` and the Model tab show: "memory to train: ~X MB (parts)"."""
        return f"memory to train: ~{format_bytes(self.total)} ({self.parts()})"


@dataclass(frozen=True)
class AvailableMemory:
    """The memory a run may use where it trains, and how a message says where that is."""

    bytes: int
    where: str
    """Follows the size in a message: "free on this machine", "this machine has", "free on cuda:0"."""


def _size(shape: Shape | None) -> int:
    assert shape is not None, "the summary must be ok (every layer has a shape)"
    values = 1
    for d in shape:
        values *= d
    return values


def kept_values(summary: ModelSummary) -> tuple[int, int]:
    """(values, index values) autograd keeps per training sample, by the rules of the module docstring."""
    sizes = [_size(summary.input_shape)]  # the distinct tensors of one forward pass: the input, each new output
    kept: set[int] = set()
    extra = indices = 0
    current = 0
    for row in summary.rows:
        if row.type in _VIEWS:
            continue
        if row.type in _KEEPS_INPUT:
            kept.add(current)
        sizes.append(_size(row.output_shape))
        current = len(sizes) - 1
        if row.type in _KEEPS_OUTPUT:
            kept.add(current)
        if row.type == "Dropout":
            extra += sizes[current]  # its mask
        if row.type == "MaxPool2d":
            indices += sizes[current]
    logits = 2 * summary.n_classes  # the logits the step holds and the loss's log-softmax
    return sum(sizes[i] for i in kept) + extra + logits, indices


def evaluation_values(summary: ModelSummary) -> int:
    """The largest input plus output of one layer, per sample: what an evaluation forward pass holds at once."""
    largest = 0
    size = _size(summary.input_shape)
    for row in summary.rows:
        if row.type in _VIEWS:
            continue
        out = _size(row.output_shape)
        largest = max(largest, size + out)
        size = out
    return largest


def estimate_memory(summary: ModelSummary, train: TrainSpec, eval_samples: int | None = None) -> MemoryEstimate:
    """The memory training this model needs with these settings (an estimate: see the module docstring).

    summary must be ok. eval_samples: the largest split evaluated, which caps the evaluation chunk (a small
    validation split is evaluated in one smaller pass); None: not known, a full chunk; 0: leave the
    evaluation out (a lower bound)."""
    if not summary.ok:
        raise ValueError(f"no memory estimate for a stack that cannot train: {summary.problems[0]}")
    weights = summary.total_params * FLOAT_BYTES
    value_bytes = HALF_BYTES if train.mixed_precision else FLOAT_BYTES
    values, indices = kept_values(summary)
    weight_copies = summary.total_params * HALF_BYTES if train.mixed_precision else 0
    chunk = EVAL_CHUNK if eval_samples is None else min(EVAL_CHUNK, eval_samples)
    return MemoryEstimate(
        params=summary.total_params,
        weights=weights,
        gradients=weights,
        optimizer_state=weights * optimizer_state_copies(train),
        optimizer_state_name=optimizer_state_name(train),
        activations=train.batch_size * (values * value_bytes + indices * INDEX_BYTES) + weight_copies,
        evaluation=chunk * evaluation_values(summary) * value_bytes,
        batch_size=train.batch_size,
        eval_chunk=chunk,
    )


def _needs(estimate: MemoryEstimate) -> str:
    return f"the model needs about {format_bytes(estimate.total)} to train with batch {estimate.batch_size}"


def memory_problem(estimate: MemoryEstimate, available: AvailableMemory | None) -> Problem | None:
    """The refusal of a run that needs more memory than it may use; None when it fits or the memory is unknown."""
    if available is None or estimate.total <= available.bytes:
        return None
    return Problem(
        "",
        f"{_needs(estimate)}, more than the {format_bytes(available.bytes)} {available.where}: "
        "use a smaller batch size or fewer or smaller layers",
        MEMORY_HINT,
    )


def memory_note(estimate: MemoryEstimate, available: AvailableMemory | None) -> str | None:
    """The note of a run that fits but needs more than WARN_SHARE of the memory it may use; else None."""
    if available is None or not available.bytes * WARN_SHARE < estimate.total <= available.bytes:
        return None
    return (
        f"note: {_needs(estimate)}, more than half of the {format_bytes(available.bytes)} {available.where}: "
        "it may slow down or run out of memory"
    )
