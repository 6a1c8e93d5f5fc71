"""Synthetic inspections for the UI tests (plain values, no torch) and a fake run that sends one after each epoch."""

from __future__ import annotations

import math

from fakes import CLASSES, FakeEngine, scripted_report

from tui_trainer.core.spec.events import EpochEnd
from tui_trainer.core.spec.inspection import FeatureMap, Inspection, LayerView, Sample

SIDE = 12
"""The synthetic images are SIDE x SIDE grey squares."""


def _image(kind: int, seed: int) -> bytes:
    """A grey stroke: a vertical bar (cat), a horizontal bar (dog) or a diagonal (bird), shifted by seed."""
    pixels = []
    for y in range(SIDE):
        for x in range(SIDE):
            on = (x, y, x - y)[kind] in range(4 + seed % 3 - (kind == 2) * 6, 7 + seed % 3 - (kind == 2) * 6)
            pixels.append(230 if on else 20 + (x * y + seed) % 30)
    return bytes(pixels)


def _probs(true: int, pred: int, confidence: float) -> tuple[float, ...]:
    rest = (1.0 - confidence) / 2
    probs = [rest] * 3
    probs[pred] = confidence
    if true != pred:
        probs[true] = rest * 0.4
        probs[3 - true - pred] = 1.0 - confidence - rest * 0.4
    return tuple(probs)


def inspection(epoch: int = 3, tabular: bool = False) -> Inspection:
    """The inspection of the fake run's epoch: its scripted confusion matrix, every mistake as a sample, two
    least confident right ones per class, a 4-filter first convolution and two feature maps."""
    confusion = scripted_report(epoch).confusion
    samples = []
    index = 0
    for t, row in enumerate(confusion):
        for p, count in enumerate(row):
            for k in range(count if t != p else 2):
                confidence = 0.55 + 0.1 * ((index * 7) % 4) if t != p else 0.6 + 0.1 * k
                probs = _probs(t, p, confidence)
                samples.append(
                    Sample(
                        index=(index * 13) % 97,
                        true=t,
                        pred=p,
                        loss=-math.log(probs[t]),
                        probs=probs,
                        pixels=b"" if tabular else _image(t, index),
                        features=(0.5 * t - 0.25 * k, 1.5 - 0.5 * p) if tabular else (),
                    )
                )
                index += 1
    samples.sort(key=lambda s: -s.loss)
    weights = tuple(math.sin(0.7 * i) for i in range(4 * 9))
    maps = (
        FeatureMap("1 Conv2d", (4, SIDE, SIDE), bytes((i * 37) % 256 for i in range(4 * SIDE * SIDE))),
        FeatureMap("3 MaxPool2d", (4, SIDE // 2, SIDE // 2), bytes((i * 53) % 256 for i in range(SIDE * SIDE))),
    )
    layers = LayerView("1 Conv2d", (4, 1, 3, 3), weights, 0, maps, _image(0, 0), (1, SIDE, SIDE))
    return Inspection(
        source=f"epoch {epoch} of the run",
        epoch=epoch,
        class_names=CLASSES,
        confusion=confusion,
        samples=tuple(samples),
        image_shape=() if tabular else (1, SIDE, SIDE),
        feature_names=("x", "y") if tabular else (),
        layers=None if tabular else layers,
    )


class InspectingEngine(FakeEngine):
    """The fake run, with an Inspection after each EpochEnd (as a run the app starts with inspect=True)."""

    def __call__(self, request, *, on_event, should_stop):
        self.requests = [*getattr(self, "requests", []), request]

        def forward(event) -> None:
            on_event(event)
            if isinstance(event, EpochEnd):
                on_event(inspection(event.epoch))

        return super().__call__(request, on_event=forward, should_stop=should_stop)
