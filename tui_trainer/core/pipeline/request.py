"""RunRequest: what to train and where its run directory goes; the one input of the pipeline (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass

from tui_trainer.core.runs.files import DEFAULT_ROOT
from tui_trainer.core.spec.experiment import Experiment


@dataclass(frozen=True)
class RunRequest:
    """One run to train: plain values, so it crosses the pipe to the training process as it is."""

    experiment: Experiment | None
    """What to train; None with resume: the experiment the run's checkpoint was trained with."""
    runs_dir: str | None = DEFAULT_ROOT
    """Where the new run directory goes; None: the run is not saved."""
    resume: str | None = None
    """A run directory to continue from its last.pt (runs_dir is then not used)."""
    must_save: bool = False
    """True: a runs folder that cannot be written is a Problem (the CLI); False: the run trains unsaved
    and a RunPhase says why (the app)."""
    tensorboard: bool | None = None
    """Also write TensorBoard event files into the run directory: True (a Problem when tensorboard is not
    installed), False, or None: as the TUI_TRAINER_TENSORBOARD environment variable says (default off)."""
    review: ReviewRequest | None = None
    """Not a run but a review of a saved run's training labels (pipeline/review.py), where training runs."""


DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class ReviewRequest:
    """Review a saved run's training labels (plain values: it crosses the pipe to the training process)."""

    run_dir: str
    folds: int = DEFAULT_FOLDS
    """k of the k-fold cross-validation (2-20)."""
    epochs: int = 0
    """Epochs per fold (0: the run's own)."""
