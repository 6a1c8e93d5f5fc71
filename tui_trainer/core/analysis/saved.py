"""The inspection of a saved run: its best.pt or last.pt through its validation split, rebuilt from its experiment."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tui_trainer.core.analysis.layers import layer_view
from tui_trainer.core.analysis.samples import inspect_logits
from tui_trainer.core.spec.inspection import Inspection

CHECKPOINTS = ("best", "last")
"""Which checkpoint of a run to inspect: best.pt (the best validation accuracy) or last.pt."""


class InspectError(Exception):
    """A run that cannot be inspected (no checkpoint, its data missing); the message is for users."""


def inspect_run(
    run_dir: str | Path, checkpoint: str = "best", *, top: int = 0, sample: int = 0, device: str = "cpu"
) -> Inspection:
    """Load the run's checkpoint (best or last) and its dataset (the same split: the split is seeded), evaluate
    the validation split and return the inspection, with the feature maps of validation sample `sample`.
    InspectError says why it cannot be done."""
    import torch

    from tui_trainer.core.data import DatasetError, load_dataset
    from tui_trainer.core.runs.checkpoint import load_checkpoint
    from tui_trainer.core.runs.files import BEST, LAST, RunError
    from tui_trainer.core.spec.summary import ModelError
    from tui_trainer.core.training.evaluation import evaluate
    from tui_trainer.core.training.model import build_model

    if checkpoint not in CHECKPOINTS:
        raise InspectError(f"checkpoint must be best or last, not {checkpoint!r}")
    path = Path(run_dir)
    if not path.is_dir():
        raise InspectError(f"there is no run directory {path}")
    try:
        state = load_checkpoint(path / (BEST if checkpoint == "best" else LAST))
    except RunError as exc:
        raise InspectError(str(exc)) from None
    experiment = state.experiment
    try:
        data = load_dataset(dataclasses.replace(experiment.data, download=False))
    except DatasetError as exc:
        raise InspectError(f"cannot load the run's data: {exc}") from None
    if (tuple(data.input_shape), tuple(data.class_names)) != (state.input_shape, state.class_names):
        raise InspectError(f"the data of {experiment.data.name} changed since the run: its shape or classes differ")
    try:
        model = build_model(experiment.layers, data.input_shape, data.n_classes)
        model.load_state_dict(state.model)
    except (ModelError, RuntimeError) as exc:
        raise InspectError(f"the checkpoint does not fit its model: {exc}") from None
    model.to(device)
    val_x, val_y = data.val_x.to(device), data.val_y.to(device)
    if sample < 0 or sample >= len(val_x):
        raise InspectError(f"sample must be a validation index from 0 to {len(val_x) - 1}, not {sample}")
    kept: list[torch.Tensor] = []
    evaluate(model, val_x, val_y, data.class_names, lambda: False, keep_logits=kept)
    logits = torch.cat(kept) if kept else torch.zeros(0, data.n_classes)
    return inspect_logits(
        logits,
        val_x,
        val_y,
        data.class_names,
        source=f"{checkpoint}.pt (epoch {state.epoch})",
        epoch=state.epoch,
        feature_names=tuple(data.feature_names),
        top=top,
        layers=layer_view(model, val_x[sample], sample) if len(val_x) else None,
    )


def inspect_or_message(run_dir: str, checkpoint: str = "best", sample: int = 0) -> Inspection | str:
    """inspect_run for the app: any failure becomes its message (an inspection never raises)."""
    try:
        return inspect_run(run_dir, checkpoint, sample=sample)
    except InspectError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - an inspection must never take the app down
        return f"cannot inspect {run_dir}: {type(exc).__name__}: {exc}"
