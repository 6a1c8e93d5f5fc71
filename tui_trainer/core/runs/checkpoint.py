"""Training state after an epoch: what the engine's checkpoint hook gets, checkpoints hold, and resume restores."""

from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_trainer.core.runs.files import FORMAT_VERSION, RunError, atomic_write, newer_format_problem
from tui_trainer.core.spec.events import EpochEnd, event_from_dict, event_to_dict
from tui_trainer.core.spec.experiment import ConfigError, Experiment, experiment_from_dict, experiment_to_dict

if TYPE_CHECKING:
    from tui_trainer.core.data.bundle import DataBundle

CHECKPOINT_KIND = "tui-trainer checkpoint"
RESUMABLE_TRAIN = (
    "epochs",
    "patience",
    "restore_best",
    "grad_clip",
    "label_smoothing",
    "device",
    "threads",
    "mixed_precision",
    "channels_last",
    "compile",
)
"""Training options that may change when a run is resumed (the rest would not continue the same run)."""
RESUMABLE_DATA = ("data_dir", "download")
"""Data options that may change when resuming: where the files are, not what they are."""


@dataclass(frozen=True)
class CheckpointState:
    """A run after one of its epochs: enough to save it, rebuild its model, or continue training it.

    Handed to the engine's checkpoint hook on the training thread, with live tensors on the training
    device: save or copy them before the hook returns, and never send this object to another thread.
    """

    experiment: Experiment
    epoch: int
    """Epochs done."""
    model: dict[str, Any]
    """model.state_dict(): loads into build_model(experiment.layers, input_shape, len(class_names))."""
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    rng: dict[str, Any]
    """Random-number states: "torch" (CPU), "batches" (the shuffling generator), "cuda" when on CUDA."""
    step: int
    train_seconds: float
    best_val_loss: float
    best_val_accuracy: float
    stale_epochs: int
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    history: tuple[EpochEnd, ...] = ()
    """Every epoch so far (with its validation report)."""
    is_best: bool = False
    """True when this epoch has the best validation accuracy so far."""


def replans_schedule(state: CheckpointState, experiment: Experiment) -> bool:
    """True when a schedule planned over the whole run (cosine, one-cycle) must be re-planned for a new epoch count."""
    return (
        experiment.train.schedule in ("cosine", "onecycle") and experiment.train.epochs != state.experiment.train.epochs
    )


def steps_per_epoch(state: CheckpointState) -> int:
    return max(1, state.step // max(1, state.epoch))


def resume_problem(state: CheckpointState, experiment: Experiment, data: DataBundle | None = None) -> str | None:
    """Why `experiment` (on `data`) cannot continue the run saved in `state`, or None when it can."""
    before, after = state.experiment, experiment
    if after.layers != before.layers:
        return "the layers differ from the run's: a resumed run keeps its model (start a new run to change it)"
    for spec, allowed, prefix in ((before.data, RESUMABLE_DATA, "data"), (before.train, RESUMABLE_TRAIN, "train")):
        new = after.data if prefix == "data" else after.train
        for name in (f.name for f in fields(spec)):
            if name not in allowed and getattr(spec, name) != getattr(new, name):
                what = "the dataset" if name == "name" else f"{prefix}.{name}"
                return (
                    f"{what} cannot change when resuming ({getattr(spec, name)!r} -> {getattr(new, name)!r}): "
                    f"only {', '.join(RESUMABLE_TRAIN)} can; start a new run to change it"
                )
    if after.train.epochs <= state.epoch:
        return (
            f"the run has already trained {state.epoch} of its {before.train.epochs} epochs: "
            f"set epochs to more than {state.epoch} to train longer (e.g. --set epochs={state.epoch + max(5, state.epoch)})"
        )
    if data is not None and (tuple(data.input_shape), tuple(data.class_names)) != (
        state.input_shape,
        state.class_names,
    ):
        return (
            f"the data changed since the run: it had input {state.input_shape} and classes {list(state.class_names)}, "
            f"now {tuple(data.input_shape)} and {list(data.class_names)}"
        )
    return None


# ---------------------------------------------------------------- checkpoint files


def checkpoint_dict(state: CheckpointState) -> dict[str, Any]:
    """The checkpoint as torch.save stores it: only tensors, dicts, lists, str, int, float, bool and None
    (so torch.load(path, weights_only=True) reads it)."""
    return {
        "format": FORMAT_VERSION,
        "kind": CHECKPOINT_KIND,
        "epoch": state.epoch,
        "experiment": experiment_to_dict(state.experiment),
        "input_shape": list(state.input_shape),
        "class_names": list(state.class_names),
        "model": state.model,
        "optimizer": state.optimizer,
        "scheduler": state.scheduler,
        "rng": state.rng,
        "step": state.step,
        "train_seconds": state.train_seconds,
        "best_val_loss": state.best_val_loss,
        "best_val_accuracy": state.best_val_accuracy,
        "stale_epochs": state.stale_epochs,
        "is_best": state.is_best,
        "history": [event_to_dict(e) for e in state.history],
    }


def checkpoint_bytes(state: CheckpointState) -> bytes:
    """The checkpoint file's bytes (torch.save of checkpoint_dict)."""
    import torch

    buffer = io.BytesIO()
    torch.save(checkpoint_dict(state), buffer)
    return buffer.getvalue()


def save_checkpoint(state: CheckpointState, path: Path) -> None:
    """Write a checkpoint atomically (a kill never leaves half a file in place of the old one)."""
    data = checkpoint_bytes(state)
    atomic_write(Path(path), lambda handle: handle.write(data))


def state_from_checkpoint(doc: Any, where: str = "the checkpoint") -> CheckpointState:
    """A CheckpointState from a loaded checkpoint dict; RunError when it is not one this version reads."""
    if not isinstance(doc, dict) or doc.get("kind") != CHECKPOINT_KIND:
        raise RunError(f"{where} is not a tui-trainer checkpoint")
    problem = newer_format_problem(where, doc.get("format"))
    if problem:
        raise RunError(problem)
    try:
        return CheckpointState(
            experiment=experiment_from_dict(doc["experiment"]),
            epoch=int(doc["epoch"]),
            model=dict(doc["model"]),
            optimizer=dict(doc["optimizer"]),
            scheduler=doc["scheduler"],
            rng=dict(doc["rng"]),
            step=int(doc["step"]),
            train_seconds=float(doc["train_seconds"]),
            best_val_loss=float(doc["best_val_loss"]),
            best_val_accuracy=float(doc["best_val_accuracy"]),
            stale_epochs=int(doc["stale_epochs"]),
            input_shape=tuple(int(d) for d in doc["input_shape"]),
            class_names=tuple(str(c) for c in doc["class_names"]),
            history=tuple(_epoch(e) for e in doc["history"]),
            is_best=bool(doc["is_best"]),
        )
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise RunError(f"{where} is incomplete or damaged ({type(exc).__name__}: {exc})") from None


def _epoch(doc: Any) -> EpochEnd:
    event = event_from_dict(doc)
    if not isinstance(event, EpochEnd):
        raise ValueError("history holds a non-epoch event")
    return event


def load_checkpoint(path: str | Path) -> CheckpointState:
    """Read last.pt / best.pt with torch.load(weights_only=True) onto the CPU; RunError with a reason
    (missing, truncated, damaged, not a checkpoint, from a newer version) when it cannot be used."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise RunError(f"there is no checkpoint {path}: the run ended before its first epoch was saved")
    try:
        doc = torch.load(path, map_location="cpu", weights_only=True)
    except (
        RuntimeError,
        EOFError,
        ValueError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
        OSError,
        AttributeError,
    ) as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise RunError(f"the checkpoint {path} is damaged or truncated and cannot be read ({reason})") from None
    return state_from_checkpoint(doc, str(path))
