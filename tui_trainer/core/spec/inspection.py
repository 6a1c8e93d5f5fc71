"""What the model gets wrong and what its layers learned, as plain values: computed where training runs, drawn by the UI."""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_SAMPLES = 1000
"""At most this many misclassified samples (the highest losses) are carried per inspection."""
CORRECT_PER_CLASS = 8
"""Per class, this many of its least confident correct samples are carried (a confusion matrix's diagonal cell)."""
MAX_FEATURES = 16
"""A tabular sample carries at most this many feature values."""
MAX_CHANNELS = 16
"""A feature map shows at most this many channels; the first convolution at most this many filters."""


@dataclass(frozen=True)
class Sample:
    """One validation sample as the model sees it: its class, the prediction, the loss, every class's probability."""

    index: int
    """Index into the validation split."""
    true: int
    pred: int
    loss: float
    """Cross-entropy of this sample: -log(probability of its true class)."""
    probs: tuple[float, ...]
    """The softmax of the model's raw scores: one probability per class, summing to 1."""
    pixels: bytes = b""
    """An image sample: channels x height x width bytes (0-255, each image stretched to its own range); else b""."""
    features: tuple[float, ...] = ()
    """A tabular or 2-D sample: its (standardised) feature values, at most MAX_FEATURES; else ()."""

    @property
    def wrong(self) -> bool:
        """True when the predicted class is not the true one."""
        return self.pred != self.true

    @property
    def p_true(self) -> float:
        """The probability the model gives the true class."""
        return self.probs[self.true]

    @property
    def p_pred(self) -> float:
        """The probability of the predicted class (the largest)."""
        return self.probs[self.pred]


@dataclass(frozen=True)
class FeatureMap:
    """One layer's output for one sample: up to MAX_CHANNELS channels, each stretched to 0-255."""

    layer: str
    """The layer as the Model tab numbers it, e.g. "1 Conv2d"."""
    shape: tuple[int, int, int]
    """(channels of the layer, height, width); `pixels` holds min(channels, MAX_CHANNELS) of them."""
    pixels: bytes

    @property
    def shown(self) -> int:
        """How many channels `pixels` holds."""
        c, h, w = self.shape
        return len(self.pixels) // max(1, h * w)


@dataclass(frozen=True)
class LayerView:
    """A CNN's first convolution's filters and one sample's feature maps after each Conv2d / pooling layer."""

    layer: str
    """The first Conv2d, e.g. "1 Conv2d"."""
    filter_shape: tuple[int, int, int, int]
    """(out_channels, in_channels, kernel height, kernel width) of its weight."""
    weights: tuple[float, ...]
    """The first min(out_channels, MAX_CHANNELS) filters' weights, flattened in that order (as torch holds them)."""
    sample: int
    """The validation index of the sample whose feature maps these are."""
    maps: tuple[FeatureMap, ...] = ()
    pixels: bytes = b""
    """The sample itself as image bytes (as Sample.pixels)."""
    pixel_shape: tuple[int, ...] = ()

    @property
    def filters_shown(self) -> int:
        """How many filters `weights` holds."""
        _, c, h, w = self.filter_shape
        return len(self.weights) // max(1, c * h * w)

    def filter(self, k: int) -> list[list[list[float]]]:
        """Filter k as [in_channel][row][column] weights."""
        _, c, h, w = self.filter_shape
        flat = self.weights[k * c * h * w : (k + 1) * c * h * w]
        return [[list(flat[(ch * h + y) * w : (ch * h + y + 1) * w]) for y in range(h)] for ch in range(c)]


@dataclass(frozen=True)
class Inspection:
    """The validation split through one model: its confusion matrix and the samples worth looking at."""

    source: str
    """Which model: "epoch 3 of the run", "best.pt (epoch 4)"."""
    epoch: int
    class_names: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    """Rows = true class, columns = predicted, over the whole validation split."""
    samples: tuple[Sample, ...]
    """Highest loss first: the misclassified samples (at most MAX_SAMPLES), the `top` highest losses and each
    class's CORRECT_PER_CLASS least confident correct samples."""
    image_shape: tuple[int, ...] = ()
    """(channels, height, width) of Sample.pixels for images, else ()."""
    feature_names: tuple[str, ...] = ()
    layers: LayerView | None = None
    """Filters and feature maps (models with a Conv2d), else None."""
    wrong_left_out: int = 0
    """Misclassified samples not carried (beyond MAX_SAMPLES)."""

    @property
    def n_val(self) -> int:
        """Samples in the validation split."""
        return sum(sum(row) for row in self.confusion)

    @property
    def n_wrong(self) -> int:
        """Misclassified validation samples (all of them, carried or not)."""
        return self.n_val - sum(self.confusion[i][i] for i in range(len(self.confusion)))

    def wrong(self) -> list[Sample]:
        """The misclassified samples carried, highest loss first."""
        return [s for s in self.samples if s.wrong]

    def top(self, k: int) -> list[Sample]:
        """The k highest-loss samples carried (right or wrong)."""
        return list(self.samples[:k])

    def cell(self, true: int, pred: int) -> list[Sample]:
        """The carried samples of one confusion-matrix cell, highest loss first: every one of an off-diagonal
        cell (unless wrong_left_out), the least confident ones of a diagonal cell."""
        return [s for s in self.samples if s.true == true and s.pred == pred]

    def most_confused(self, k: int | None = None) -> list[tuple[int, int, int]]:
        """(true, predicted, count) of the off-diagonal cells with any samples, most first (fastai's most_confused)."""
        pairs = [
            (t, p, count) for t, row in enumerate(self.confusion) for p, count in enumerate(row) if t != p and count > 0
        ]
        pairs.sort(key=lambda pair: (-pair[2], pair[0], pair[1]))
        return pairs if k is None else pairs[:k]


def sample_json(sample: Sample) -> dict[str, object]:
    """One sample of `inspect --json`: index, true, pred, loss, probs."""
    return {
        "index": sample.index,
        "true": sample.true,
        "pred": sample.pred,
        "loss": sample.loss if math.isfinite(sample.loss) else None,
        "probs": list(sample.probs),
    }
