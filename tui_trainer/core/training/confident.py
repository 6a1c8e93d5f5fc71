"""Who decides the label: out-of-sample probabilities by k-fold cross-validation, and confident learning on them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_trainer.core.spec.events import EpochEnd, RunPhase, RunStatus, TrainingEvent
from tui_trainer.core.spec.memory import EVAL_CHUNK
from tui_trainer.core.training.evaluation import StopRequested

if TYPE_CHECKING:
    import numpy as np

    from tui_trainer.core.data.bundle import DataBundle
    from tui_trainer.core.spec.experiment import Experiment

FOLD_STREAM = 3
"""The folds are a permutation drawn from default_rng([data_seed, FOLD_STREAM])."""


@dataclass(frozen=True)
class LabelFlags:
    """Confident learning's verdict on a training set's given labels."""

    thresholds: tuple[float, ...]
    """Per class: the mean predicted probability of that class over the samples labelled with it."""
    flagged: tuple[int, ...]
    """Positions whose given label is below its class threshold while another class is at or above its own,
    least believed first (ranked by self-confidence, the probability of the given label)."""
    suggested: tuple[int, ...]
    """For each flagged position, the class above its threshold with the highest probability."""
    self_confidence: tuple[float, ...]
    """For each flagged position, the probability the model gives its given label."""


def flag_labels(probs: np.ndarray, labels: np.ndarray) -> LabelFlags:
    """Confident learning (Northcutt et al. 2021, written out here): per-class thresholds t_j = mean of p(j)
    over the samples labelled j; a sample is flagged when p(given) < t_given and some other class k has
    p(k) >= t_k; flagged samples are ranked by p(given), lowest first."""
    import numpy as np

    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n, classes = probs.shape
    thresholds = np.array(
        [probs[labels == j, j].mean() if (labels == j).any() else 1.0 for j in range(classes)], dtype=np.float64
    )
    rows = np.arange(n)
    confidence = probs[rows, labels]
    above = probs >= thresholds[None, :]
    above[rows, labels] = False
    flagged = np.flatnonzero((confidence < thresholds[labels]) & above.any(axis=1))
    flagged = flagged[np.argsort(confidence[flagged], kind="stable")]
    masked = np.where(above[flagged], probs[flagged], -1.0)
    suggested = masked.argmax(axis=1) if len(flagged) else np.zeros(0, dtype=np.int64)
    return LabelFlags(
        thresholds=tuple(float(t) for t in thresholds),
        flagged=tuple(int(i) for i in flagged),
        suggested=tuple(int(k) for k in suggested),
        self_confidence=tuple(float(c) for c in confidence[flagged]),
    )


def fold_positions(n: int, folds: int, seed: int) -> list[np.ndarray]:
    """k disjoint sorted position arrays covering 0..n-1, seeded."""
    import numpy as np

    order = np.random.default_rng([seed, FOLD_STREAM]).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def out_of_sample_probabilities(
    experiment: Experiment,
    data: DataBundle,
    folds: int,
    *,
    on_event: Callable[[TrainingEvent], None],
    should_stop: Callable[[], bool],
    device: str,
) -> np.ndarray:
    """(n_train, classes) softmax probabilities of the training split, each row from a model that never trained
    on that sample: k models, each trained (the experiment's settings, fresh weights) on the other folds and
    applied to its own fold. Progress goes to on_event as RunPhase lines; StopRequested when stopped; a fold whose
    training fails raises RuntimeError with its reason."""
    import numpy as np
    import torch

    from tui_trainer.core.training.engine import fit
    from tui_trainer.core.training.model import build_model

    n = int(data.train_x.shape[0])
    probs = np.zeros((n, data.n_classes), dtype=np.float64)
    parts = fold_positions(n, folds, experiment.data.data_seed)
    for k, held_out in enumerate(parts, start=1):
        keep = torch.from_numpy(np.setdiff1d(np.arange(n), held_out))
        out = torch.from_numpy(held_out)
        fold_data = dataclasses.replace(
            data,
            train_x=data.train_x.index_select(0, keep),
            train_y=data.train_y.index_select(0, keep),
            val_x=data.train_x.index_select(0, out),
            val_y=data.train_y.index_select(0, out),  # the given labels: what the fold's val numbers compare with
            test_x=None,
            test_y=None,
            val_triggered_x=None,
        )
        weights: dict = {}

        def keep_weights(state, weights=weights) -> None:  # noqa: ANN001 - a CheckpointState
            weights["model"] = state.model  # the live state_dict: after the last epoch, the trained weights

        def progress(event: TrainingEvent, k=k) -> None:
            if isinstance(event, EpochEnd):
                on_event(
                    RunPhase(
                        f"review fold {k}/{folds}: epoch {event.epoch}/{event.epochs}, held-out agreement with the "
                        f"given labels {event.val_accuracy:.1%}"
                    )
                )

        on_event(RunPhase(f"review fold {k}/{folds}: training on {len(keep)} samples, predicting {len(out)}"))
        end = fit(
            experiment, fold_data, on_event=progress, should_stop=should_stop, checkpoint=keep_weights, device=device
        )
        if end.status == RunStatus.STOPPED:
            raise StopRequested
        if end.status != RunStatus.FINISHED or "model" not in weights:
            raise RuntimeError(f"fold {k} did not train: {end.reason}")
        model = build_model(experiment.layers, data.input_shape, data.n_classes).to(device)
        model.load_state_dict(weights["model"])
        model.eval()
        x = fold_data.val_x.to(device)
        with torch.inference_mode():
            chunks = [torch.softmax(model(x[i : i + EVAL_CHUNK]).float(), dim=1) for i in range(0, len(x), EVAL_CHUNK)]
        probs[held_out] = torch.cat(chunks).cpu().double().numpy()
    return probs
