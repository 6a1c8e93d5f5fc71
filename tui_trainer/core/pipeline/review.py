"""review: a saved run's training labels judged by out-of-sample predictions (k-fold), written to review.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.pipeline.checks import DATASET_HINT, start_problems
from tui_trainer.core.pipeline.request import ReviewRequest
from tui_trainer.core.runs.files import EXPERIMENT, LABEL_NOISE, RunError
from tui_trainer.core.runs.review_file import MAX_DRAWN, Flagged, Review, write_review
from tui_trainer.core.spec.events import RunEnded, RunPhase, RunStatus, TrainingEvent
from tui_trainer.core.spec.experiment import ConfigError, Experiment, Problem, load

if TYPE_CHECKING:
    import numpy as np

    from tui_trainer.core.data.bundle import DataBundle

EventSink = Callable[[TrainingEvent], None]
REVIEW_HINT = "pick a saved run with its experiment.toml"


def request_problem(request: ReviewRequest) -> Problem | None:
    """Why the request cannot be reviewed before anything loads (bad folds or epochs, no run), or None."""
    if not 2 <= request.folds <= 20:
        return Problem("", f"--folds must be 2 to 20, not {request.folds}")
    if request.epochs < 0:
        return Problem("", f"--epochs must be at least 1 (0 = the run's own), not {request.epochs}")
    if not (Path(request.run_dir) / EXPERIMENT).is_file():
        return Problem("", f"{request.run_dir} is not a run directory (it has no {EXPERIMENT})", REVIEW_HINT)
    return None


def _experiment(request: ReviewRequest) -> Experiment | Problem:
    try:
        experiment = load(Path(request.run_dir) / EXPERIMENT)
    except ConfigError as exc:
        return Problem("", str(exc), REVIEW_HINT)
    train = {"epochs": request.epochs} if request.epochs else {}
    return experiment.with_train(patience=0, **train)


def _flipped(run_dir: Path, data: DataBundle) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(flipped positions, their true labels) from the run's label_noise.json (else the reloaded data's), or None
    when no noise was injected."""
    path = run_dir / LABEL_NOISE
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return tuple(int(i) for i in doc["flipped"]), tuple(int(v) for v in doc["true_labels"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    tampering = data.tampering
    if tampering is None or not (data_noise := tampering.flipped):
        return None
    return data_noise, tampering.true_labels


def _drawing(data: DataBundle, index: int) -> tuple[tuple[tuple[int, ...], ...], tuple[float, ...]]:
    """(grey pixel rows, features) of one training sample to draw: an image pooled to at most 16 wide."""
    import torch
    import torch.nn.functional as F

    x = data.train_x[index : index + 1].float()
    if x.dim() != 4:
        return (), tuple(float(v) for v in x[0, :8].tolist())
    factor = max(1, -(-max(x.shape[2], x.shape[3]) // 16))
    if factor > 1:
        x = F.avg_pool2d(x, factor, ceil_mode=True)
    grey = x[0].mean(dim=0)
    lo, hi = grey.min(), grey.max()
    grey = ((grey - lo) / (hi - lo).clamp_min(1e-6) * 255).round().to(torch.uint8)
    return tuple(tuple(int(v) for v in row) for row in grey.tolist()), ()


def build_review(request: ReviewRequest, experiment: Experiment, data: DataBundle, probs: np.ndarray) -> Review:
    """The Review of out-of-sample probabilities: confident learning's flags, and precision / recall against the
    injected noise when there was some."""

    from tui_trainer.core.training.confident import flag_labels

    labels = data.train_y.numpy()
    flags = flag_labels(probs, labels)
    noise = _flipped(Path(request.run_dir), data)
    truth = dict(zip(*noise, strict=True)) if noise else {}
    flagged = []
    for rank, (index, suggested, confidence) in enumerate(
        zip(flags.flagged, flags.suggested, flags.self_confidence, strict=True)
    ):
        image, features = _drawing(data, index) if rank < MAX_DRAWN else ((), ())
        flagged.append(
            Flagged(
                index=index,
                given=int(labels[index]),
                suggested=suggested,
                self_confidence=confidence,
                suggested_confidence=float(probs[index, suggested]),
                flipped=(index in truth) if noise else None,
                true_label=truth.get(index),
                image=image,
                features=features,
            )
        )
    precision = recall = None
    if noise:
        hits = sum(1 for f in flagged if f.flipped)
        precision = hits / len(flagged) if flagged else 0.0
        recall = hits / len(truth) if truth else 0.0
    d = experiment.data
    return Review(
        run_dir=str(request.run_dir),
        folds=request.folds,
        epochs=experiment.train.epochs,
        n_train=len(labels),
        class_names=tuple(data.class_names),
        thresholds=flags.thresholds,
        flagged=tuple(flagged),
        out_of_sample_accuracy=float((probs.argmax(axis=1) == labels).mean()) if len(labels) else 0.0,
        n_flipped=len(truth) if noise else None,
        precision=precision,
        recall=recall,
        data={"dataset": d.name, "val_fraction": d.val_fraction, "data_seed": d.data_seed},
    )


def review(request: ReviewRequest, *, on_event: EventSink, should_stop: Callable[[], bool]) -> Review | Problem:
    """Review the run's training labels where training runs: its experiment and data (the same noisy, poisoned or
    overridden training split), k models by cross-validation, confident learning, review.json written. A Problem
    for bad input (nothing written); StopRequested when stopped."""
    from tui_trainer.core.data.loading import load_dataset
    from tui_trainer.core.training.confident import out_of_sample_probabilities
    from tui_trainer.core.training.devices import resolve_device

    if problem := request_problem(request):
        return problem
    experiment = _experiment(request)
    if isinstance(experiment, Problem):
        return experiment
    if problems := start_problems(experiment):
        return problems[0]
    try:
        device = resolve_device(experiment.train.device)
    except ValueError as exc:
        return Problem("train.device", str(exc), "choose device auto or cpu")
    on_event(RunPhase(f"loading {experiment.data.name}"))
    try:
        data = load_dataset(experiment.data)
    except DatasetError as exc:
        return Problem("", str(exc), DATASET_HINT)
    if len(data.train_y) < 2 * request.folds:
        return Problem("", f"{len(data.train_y)} training samples are too few for {request.folds} folds")
    probs = out_of_sample_probabilities(
        experiment, data, request.folds, on_event=on_event, should_stop=should_stop, device=device
    )
    result = build_review(request, experiment, data, probs)
    try:
        write_review(request.run_dir, result)
    except RunError as exc:
        return Problem("", str(exc))
    return result


def run_review(request: ReviewRequest, *, on_event: EventSink, should_stop: Callable[[], bool]) -> RunEnded:
    """review() as a run for a backend: its RunPhase progress, then a RunEnded (finished with the review's line,
    stopped, or failed with the problem). The app starts it like a run, where training runs."""
    from tui_trainer.core.training.evaluation import StopRequested

    try:
        result = review(request, on_event=on_event, should_stop=should_stop)
    except StopRequested:
        end = RunEnded(RunStatus.STOPPED, "review stopped by the user")
    except RuntimeError as exc:
        end = RunEnded(RunStatus.FAILED, str(exc))
    else:
        if isinstance(result, Problem):
            end = RunEnded(RunStatus.FAILED, str(result), result.hint)
        else:
            end = RunEnded(RunStatus.FINISHED, result.words())
    on_event(end)
    return end
