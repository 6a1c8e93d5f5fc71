"""The messages between the app and its training process: frozen dataclasses, pickled over two pipes.

Parent -> child: Init once (pipes.py's: spawning the child sends it; then the child imports torch), then any of Train, Stop, Pause, Resume,
SetLr, Preview, Inspect, FindLr, BoundaryOf, Evaluate, Detach, Quit. Child -> parent: Ready (torch imported,
devices listed) or Broken once; per run, its events as RunEvent, PauseAck when it parks or goes on, and Done
when the run returned; PreviewDone answers a Preview, InspectDone an Inspect, LrFound a FindLr, BoundaryDone a
BoundaryOf; EvaluationProgress then EvaluationDone an Evaluate; Unreadable answers a request the child could
not unpickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_trainer.core.backend.process.pipes import Init
from tui_trainer.core.data.preview import PreviewData
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.events import RunEnded, TrainingEvent
from tui_trainer.core.spec.experiment import DataSpec, Experiment
from tui_trainer.core.spec.inspection import Inspection
from tui_trainer.core.spec.lr_finding import LrFinding
from tui_trainer.core.spec.robustness import RobustnessProgress, RobustnessRequest, RobustnessResult

# ---------------------------------------------------------------- parent -> child


@dataclass(frozen=True)
class Train:
    """Train this run; answered by its RunEvents, then Done."""

    request: RunRequest


@dataclass(frozen=True)
class Stop:
    """Stop the run at its next batch (ignored between runs)."""


@dataclass(frozen=True)
class Pause:
    """Park the run at its next batch; answered by PauseAck(True) once parked."""


@dataclass(frozen=True)
class Resume:
    """Go on after a Pause; answered by PauseAck(False)."""


@dataclass(frozen=True)
class SetLr:
    """Train with this learning rate from the next batch (ignored between runs); the run's LrChanged event
    answers it."""

    lr: float


@dataclass(frozen=True)
class Preview:
    """A dataset preview, computed where torch lives; answered by PreviewDone."""

    data: DataSpec


@dataclass(frozen=True)
class FindLr:
    """The learning-rate finder's sweep on this experiment's fresh model (between runs); answered by LrFound."""

    experiment: Experiment


@dataclass(frozen=True)
class BoundaryOf:
    """A saved 2-D run's decision boundary from its checkpoint (between runs); answered by BoundaryDone."""

    run_dir: str


@dataclass(frozen=True)
class Evaluate:
    """A robustness evaluation of a saved run; answered by EvaluationProgress messages, then EvaluationDone
    (Stop ends it early)."""

    request: RobustnessRequest


@dataclass(frozen=True)
class Inspect:
    """Inspect a saved run's checkpoint, computed where torch lives; answered by InspectDone."""

    run_dir: str
    checkpoint: str = "best"
    """"best" (best.pt) or "last" (last.pt)."""
    sample: int = 0
    """The validation sample whose feature maps are drawn."""


@dataclass(frozen=True)
class Detach:
    """The app is going away (its terminal hung up): train the run on headless, writing its run directory, then
    exit; a paused run stops (resumable). Unanswered: the parent reads nothing more."""


@dataclass(frozen=True)
class Quit:
    """Stop any run and exit."""


# ---------------------------------------------------------------- child -> parent


@dataclass(frozen=True)
class Ready:
    """Torch is imported; these devices can train ("auto" first)."""

    devices: tuple[str, ...]


@dataclass(frozen=True)
class Broken:
    """The child cannot work (torch failed to import, the run function cannot be unpickled)."""

    message: str


@dataclass(frozen=True)
class RunEvent:
    """One training event of the run in flight (a RunEnded without its history: the EpochEnds carried it)."""

    event: TrainingEvent


@dataclass(frozen=True)
class PauseAck:
    """The run is parked (paused True) or goes on again (False)."""

    paused: bool


@dataclass(frozen=True)
class Done:
    """The run returned (its RunEnded, without its history, was the last RunEvent; None when the run
    function returned nothing)."""

    end: RunEnded | None


@dataclass(frozen=True)
class PreviewDone:
    """The answer to a Preview."""

    preview: PreviewData


@dataclass(frozen=True)
class LrFound:
    """The answer to FindLr: the finding, or why there is none (a Problem's words)."""

    finding: LrFinding | str


@dataclass(frozen=True)
class BoundaryDone:
    """The answer to BoundaryOf: the map, or why there is none."""

    boundary: BoundaryMap | str


@dataclass(frozen=True)
class EvaluationProgress:
    """How far the evaluation in flight is."""

    progress: RobustnessProgress


@dataclass(frozen=True)
class EvaluationDone:
    """The evaluation's result (stopped or with its problem when it did not finish)."""

    result: RobustnessResult


@dataclass(frozen=True)
class InspectDone:
    """The answer to an Inspect: the inspection, or why there is none."""

    result: Inspection | str


@dataclass(frozen=True)
class Unreadable:
    """A request the child could not unpickle (e.g. a class it cannot import)."""

    message: str


ToChild = (
    Init | Train | Stop | Pause | Resume | SetLr | Preview | Inspect | FindLr | BoundaryOf | Evaluate | Detach | Quit
)
FromChild = (
    Ready
    | Broken
    | RunEvent
    | PauseAck
    | Done
    | PreviewDone
    | InspectDone
    | LrFound
    | BoundaryDone
    | EvaluationProgress
    | EvaluationDone
    | Unreadable
)
CONTROLS: tuple[type[Any], ...] = (Stop, Pause, Resume, SetLr, Detach, Quit)
"""The messages that may arrive while a run trains."""
