"""A robustness evaluation of a saved run: accuracy under FGSM / PGD at each eps and under each corruption.

Runs where training runs (the training child, the thread backend, the CLI): loads the run's checkpoint and its
data, evaluates its validation split in chunks on the device, and returns plain values (spec/robustness.py).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from tui_trainer.core.analysis.attacks import InputScale, fgsm, pgd
from tui_trainer.core.analysis.corruptions import CorruptionError, corrupt
from tui_trainer.core.analysis.pixels import perturbation_pixels, pixels
from tui_trainer.core.data import DatasetError, dataset_info, load_dataset
from tui_trainer.core.runs.checkpoint import load_checkpoint
from tui_trainer.core.runs.files import RunError
from tui_trainer.core.spec.robustness import (
    CHECKPOINTS,
    CORRUPTIONS,
    SEVERITIES,
    AdversarialSample,
    AttackPoint,
    CorruptionPoint,
    Prediction,
    RobustnessProgress,
    RobustnessRequest,
    RobustnessResult,
    SampleViews,
    corruptions_for,
    data_kind,
)
from tui_trainer.core.spec.summary import ModelError
from tui_trainer.core.training.backdoor import backdoor_report
from tui_trainer.core.training.devices import resolve_device
from tui_trainer.core.training.evaluation import StopRequested
from tui_trainer.core.training.model import build_model

CHUNK = 1024
"""Samples per forward and backward pass (an attack keeps the activations of the whole chunk)."""
STRIP_SIDE = 10
"""The corrupted samples are drawn at most this many pixels a side (about 12 fit in 132 columns)."""
SAMPLE_SIDE = 14
"""The adversarial sample's three images are drawn at most this many pixels a side."""

Progress = Callable[[RobustnessProgress], None]


class _Stopped(Exception):
    """should_stop() said stop."""


def checkpoint_path(run_dir: str | Path, which: str) -> Path:
    """best.pt or last.pt of a run directory."""
    if which not in CHECKPOINTS:
        raise RunError(f"checkpoint must be one of {', '.join(CHECKPOINTS)}, not {which!r}")
    return Path(run_dir) / f"{which}.pt"


def _seed(*parts: object) -> int:
    return zlib.crc32(repr(parts).encode())


@torch.inference_mode()
def _predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x).argmax(1)


def _probabilities(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return F.softmax(model(x).float(), dim=1)[0].cpu()


def _prediction(probabilities: torch.Tensor, label: int) -> Prediction:
    best = int(probabilities.argmax())
    return Prediction(best, float(probabilities[best]), float(probabilities[label]))


class _Evaluation:
    """One evaluation's state: the model, the split on the device, progress counting and the stop poll."""

    def __init__(self, model, x, y, scale, request, on_progress: Progress, should_stop) -> None:  # noqa: ANN001
        self.model, self.x, self.y, self.scale, self.request = model, x, y, scale, request
        self.on_progress, self.should_stop = on_progress, should_stop
        self.done = 0
        self.total = 0

    def step(self, what: str) -> None:
        if self.should_stop():
            raise _Stopped
        self.done += 1
        self.on_progress(RobustnessProgress(self.done, self.total, what))

    def chunks(self):  # noqa: ANN201 - (x, y) chunks
        for start in range(0, len(self.x), CHUNK):
            yield self.x[start : start + CHUNK], self.y[start : start + CHUNK]

    def attacked(self, name: str, x: torch.Tensor, y: torch.Tensor, eps: float, generator) -> torch.Tensor:  # noqa: ANN001
        if name == "fgsm":
            return fgsm(self.model, x, y, eps, self.scale)
        return pgd(self.model, x, y, eps, self.scale, generator)

    def attack_accuracy(self, name: str, eps: float) -> float:
        generator = torch.Generator().manual_seed(_seed(self.request.seed, name, eps))
        correct = 0
        for x, y in self.chunks():
            adv = self.attacked(name, x, y, eps, generator)
            correct += int((_predict(self.model, adv) == y).sum())
            self.step(f"{name} eps {eps:g}")
        return correct / len(self.x)

    def corruption_accuracy(self, name: str, severity: int) -> float:
        generator = torch.Generator().manual_seed(_seed(self.request.seed, name, severity))
        correct = 0
        for x, y in self.chunks():
            u = corrupt(name, self.scale.raw(x), severity, generator)
            correct += int((_predict(self.model, self.scale.normalised(u)) == y).sum())
            self.step(f"{name} severity {severity}")
        return correct / len(self.x)


def _drawn_index(model: nn.Module, x: torch.Tensor, y: torch.Tensor, sample: int) -> int:
    """The validation sample drawn: the sample-th one the model classifies right (an attack then has a right answer
    to turn wrong), any sample when none is right."""
    right = torch.cat([(_predict(model, x[i : i + CHUNK]) == y[i : i + CHUNK]) for i in range(0, len(x), CHUNK)])
    indices = right.nonzero().flatten().tolist() or list(range(len(x)))
    return int(indices[sample % len(indices)])


def _sample_views(ev: _Evaluation, index: int, attacks, eps, corruptions, image: bool) -> SampleViews:  # noqa: ANN001
    x, y = ev.x[index : index + 1], ev.y[index : index + 1]
    label = int(y[0])
    u = ev.scale.raw(x)
    clean = _prediction(_probabilities(ev.model, x), label)
    corrupted = []
    if image:
        for name in corruptions:
            for severity in SEVERITIES:
                generator = torch.Generator().manual_seed(_seed(ev.request.seed, "sample", name, severity))
                corrupted.append((name, severity, pixels(corrupt(name, u, severity, generator)[0], STRIP_SIDE)))
    adversarial = []
    for name in attacks:
        for value in eps:
            generator = torch.Generator().manual_seed(_seed(ev.request.seed, "sample", name, value))
            adv = ev.attacked(name, x, y, value, generator)
            attacked = _prediction(_probabilities(ev.model, adv), label)
            if image:
                delta = ev.scale.raw(adv)[0] - u[0]
                images = (pixels(u[0], SAMPLE_SIDE), perturbation_pixels(delta, value, SAMPLE_SIDE))
                images += (pixels(ev.scale.raw(adv)[0], SAMPLE_SIDE),)
            else:
                images = ((), (), ())
            adversarial.append(AdversarialSample(name, value, *images, clean=clean, attacked=attacked))
    original = pixels(u[0], STRIP_SIDE) if image else ()
    return SampleViews(index, label, original, tuple(corrupted), tuple(adversarial))


def evaluate_robustness(
    request: RobustnessRequest,
    on_progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RobustnessResult:
    """Evaluate a saved run's model on its validation split: clean, under each attack at each eps, and under each
    corruption at severities 1-5; progress goes to on_progress, should_stop is polled after every chunk. Never
    raises for anything a user can fix: the result's problem says what is wrong."""
    started = time.perf_counter()
    on_progress = on_progress or (lambda _p: None)
    should_stop = should_stop or (lambda: False)
    base = RobustnessResult(request.run_dir, request.checkpoint)
    try:
        path = checkpoint_path(request.run_dir, request.checkpoint)
        on_progress(RobustnessProgress(0, 0, f"loading {path.name}"))
        state = load_checkpoint(path)
        experiment = state.experiment
        on_progress(RobustnessProgress(0, 0, f"loading {experiment.data.name}"))
        bundle = load_dataset(experiment.data)
        if (tuple(bundle.input_shape), tuple(bundle.class_names)) != (state.input_shape, state.class_names):
            raise RunError(
                f"the data changed since the run: it had input {state.input_shape}, now {tuple(bundle.input_shape)}"
            )
        kind = data_kind(dataset_info(experiment.data.name).kind, tuple(bundle.input_shape))
        corruptions = corruptions_for(kind) if request.corruptions is None else request.corruptions
        for name in corruptions:
            if name not in corruptions_for(kind):
                raise CorruptionError(f"the corruption {name} cannot apply to this run's {kind} data")
        try:
            device = resolve_device(request.device or experiment.train.device)
        except ValueError:
            device = "cpu"
        model = build_model(experiment.layers, state.input_shape, len(state.class_names))
        model.load_state_dict(state.model)
        model = model.to(device).eval().requires_grad_(False)
    except (RunError, DatasetError, CorruptionError, ModelError, RuntimeError) as exc:
        return _replace(base, problem=str(exc))
    x, y = bundle.val_x.to(device), bundle.val_y.to(device)
    scale = InputScale.of(bundle, device)
    ev = _Evaluation(model, x, y, scale, request, on_progress, should_stop)
    attacks = tuple(a for a in request.attacks)
    chunks = -(-len(x) // CHUNK)
    ev.total = chunks * (1 + len(attacks) * len(request.eps) + len(corruptions) * len(SEVERITIES))
    result = _replace(
        base,
        dataset=experiment.data.name,
        kind=kind,
        class_names=tuple(state.class_names),
        n_samples=len(x),
        device=device,
        notes=(
            f"{path.name}: epoch {state.epoch}, validation accuracy {state.best_val_accuracy:.2%} "
            f"(best so far) when saved"
            if request.checkpoint == "best"
            else f"{path.name}: epoch {state.epoch}",
        ),
    )
    points: list[AttackPoint] = []
    broken: list[CorruptionPoint] = []
    try:
        correct = 0
        for xs, ys in ev.chunks():
            correct += int((_predict(model, xs) == ys).sum())
            ev.step("clean")
        result = _replace(result, clean_accuracy=correct / len(x))
        if bundle.val_triggered_x is not None:  # a poisoned run: its trigger's success beside the clean accuracy
            d = experiment.data
            try:
                backdoor = backdoor_report(model, bundle, d.poison_target, d.poison_fraction, device, should_stop)
            except StopRequested:
                raise _Stopped from None
            model.eval()  # backdoor_report leaves the model in train mode
            result = _replace(result, backdoor=backdoor)
        for name in attacks:
            for value in request.eps:
                points.append(AttackPoint(name, value, ev.attack_accuracy(name, value)))
        for name in corruptions:
            for severity in SEVERITIES:
                broken.append(CorruptionPoint(name, severity, ev.corruption_accuracy(name, severity)))
        index = _drawn_index(model, x, y, request.sample)
        sample = _sample_views(ev, index, attacks, request.eps, corruptions, kind == "image")
    except _Stopped:
        return _replace(
            result,
            attacks=tuple(points),
            corruptions=tuple(broken),
            stopped=True,
            seconds=time.perf_counter() - started,
        )
    return _replace(
        result, attacks=tuple(points), corruptions=tuple(broken), sample=sample, seconds=time.perf_counter() - started
    )


def _replace(result: RobustnessResult, **changes: object) -> RobustnessResult:
    import dataclasses

    return dataclasses.replace(result, **changes)


__all__ = ["CORRUPTIONS", "checkpoint_path", "evaluate_robustness"]
