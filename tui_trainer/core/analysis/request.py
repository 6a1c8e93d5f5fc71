"""Checking a robustness request before anything runs (torch-free: the CLI and the app's process use it)."""

from __future__ import annotations

from pathlib import Path

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.registry import dataset_info, shape_of
from tui_trainer.core.runs.files import RunError
from tui_trainer.core.runs.listing import read_experiment
from tui_trainer.core.spec.robustness import (
    CHECKPOINTS,
    RobustnessInputError,
    RobustnessRequest,
    data_kind,
    parse_attacks,
    parse_corruptions,
    parse_eps,
)


def run_kind(run_dir: str | Path) -> str:
    """The data kind of a run (image, 2d, features) from its experiment.toml; RobustnessInputError when the run
    cannot be read."""
    try:
        experiment = read_experiment(run_dir)
        info = dataset_info(experiment.data.name)
    except (RunError, DatasetError) as exc:
        raise RobustnessInputError(str(exc)) from None
    shape = shape_of(experiment.data)
    return data_kind(info.kind, shape[0] if shape else None)


def robustness_request(
    run_dir: str | Path,
    *,
    attacks: str = "fgsm,pgd",
    eps: str = "0,0.05,0.1,0.2,0.3",
    corruptions: str = "all",
    checkpoint: str = "best",
    sample: int = 0,
) -> RobustnessRequest:
    """The request for a run directory and the command line's words; RobustnessInputError (one line) for a run
    directory that is not one or has no such checkpoint, a negative eps, an unknown attack or corruption, or a
    corruption that cannot apply to the run's data (rotation on tabular data)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RobustnessInputError(f"{run_dir} is not a run directory (see tui-trainer runs)")
    if checkpoint not in CHECKPOINTS:
        raise RobustnessInputError(f"checkpoint must be one of {', '.join(CHECKPOINTS)}, not {checkpoint!r}")
    if not (path / f"{checkpoint}.pt").is_file():
        raise RobustnessInputError(
            f"{run_dir} has no {checkpoint}.pt: the run ended before its first epoch was saved"
            " (or it is not a run directory)"
        )
    kind = run_kind(path)
    return RobustnessRequest(
        str(path),
        attacks=parse_attacks(attacks),
        eps=parse_eps(eps),
        corruptions=parse_corruptions(corruptions, kind),
        checkpoint=checkpoint,
        sample=sample,
    )
