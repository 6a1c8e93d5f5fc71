"""Live training state and checkpoints: capture the random streams, restore a resumed run, rebuild a saved model."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tui_trainer.core.runs.checkpoint import CheckpointState, load_checkpoint, replans_schedule, steps_per_epoch
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.core.training.model import build_model


def capture_rng(generator: torch.Generator, device: str) -> dict[str, Any]:
    """The random states a resumed run needs to draw the same batches and dropout masks."""
    rng = {"torch": torch.get_rng_state(), "batches": generator.get_state()}
    if device.startswith("cuda"):
        rng["cuda"] = torch.cuda.get_rng_state(device)
    return rng


def restore(
    state: CheckpointState,
    experiment: Experiment,
    model: nn.Module,
    optimizer: Any,
    scheduler: Any,
    generator: torch.Generator,
    device: str,
) -> None:
    """Load weights, optimizer and schedule state and the random streams into a freshly set-up run.

    With a new epoch count, cosine and one-cycle schedules are re-planned over the new total and
    fast-forwarded to the current step (the learning rate moves to where the longer plan would be).
    """
    model.load_state_dict(state.model)
    optimizer.load_state_dict(state.optimizer)
    if scheduler is not None and replans_schedule(state, experiment):
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs, strict=True):
            group["lr"] = base
        with warnings.catch_warnings():  # stepping a schedule without optimizer steps is intended here
            warnings.simplefilter("ignore")
            for _ in range(min(state.step, experiment.train.epochs * steps_per_epoch(state) - 1)):
                scheduler.step()
    elif scheduler is not None and state.scheduler is not None:
        scheduler.load_state_dict(state.scheduler)
    torch.set_rng_state(state.rng["torch"].cpu())
    generator.set_state(state.rng["batches"].cpu())
    if device.startswith("cuda") and "cuda" in state.rng:
        torch.cuda.set_rng_state(state.rng["cuda"].cpu(), device)


def load_model(path: str | Path) -> nn.Module:
    """The model of a checkpoint file, rebuilt from its experiment with build_model, in eval mode, on the CPU."""
    state = load_checkpoint(path)
    model = build_model(state.experiment.layers, state.input_shape, len(state.class_names))
    model.load_state_dict(state.model)
    return model.eval()
