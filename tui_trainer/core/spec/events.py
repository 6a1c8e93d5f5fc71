"""Training events: frozen dataclasses of plain values (no tensors) that cross the thread boundary."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum

from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.inspection import Inspection
from tui_trainer.core.spec.metrics import ClassReport


class RunStatus(StrEnum):
    """Where a run stands; the value is what summary.json, events.jsonl and --json hold."""

    RUNNING = "running"
    """Training (or a process that died while training: see interrupted)."""
    FINISHED = "finished"
    """Trained all its epochs, or stopped early by patience."""
    STOPPED = "stopped"
    """Stopped by the user (or a signal); resumable."""
    FAILED = "failed"
    """Could not train or could not go on; the reason says why."""
    INTERRUPTED = "interrupted"
    """Its process ended without ending the run (killed); only ever read from a run directory."""


@dataclass(frozen=True)
class EpochMetrics:
    """One epoch's numbers: a metrics.csv row, an --json "epochs" item, and the figures of an EpochEnd."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    lr: float
    """Learning rate used during this epoch (the rate set by hand when it was changed during the epoch)."""
    seconds: float
    """Wall time of this epoch (training and evaluation)."""


METRIC_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(EpochMetrics))
"""The columns of metrics.csv, in order."""


@dataclass(frozen=True)
class RunPhase:
    """Something slow is happening before training starts (loading data, building the model)."""

    message: str


@dataclass(frozen=True)
class RunStarted:
    """Data and model are ready; training begins."""

    device: str
    params: int
    n_train: int
    n_val: int
    n_test: int
    epochs: int
    batches_per_epoch: int
    batch_size: int
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    start_epoch: int = 1
    """The first epoch this run trains (greater than 1 when resuming)."""
    speedups: str = ""
    """The opt-in speed-ups in use, e.g. "mixed precision (bfloat16), channels-last" ("" when none)."""


@dataclass(frozen=True)
class BatchEnd:
    """Progress inside an epoch; emitted at a capped rate, so batches between emits are summarised."""

    epoch: int
    batch: int
    """Batches done in this epoch (1-based)."""
    batches: int
    """Batches per epoch."""
    step: int
    """Optimizer steps since the run started."""
    loss: float
    """Mean training loss over the batches since the previous BatchEnd."""
    lr: float
    samples_per_s: float
    elapsed_s: float
    """Seconds of training so far."""


@dataclass(frozen=True)
class EpochEnd:
    """One epoch done, with metrics on the whole validation set."""

    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    lr: float
    """Learning rate used during this epoch."""
    seconds: float
    """Wall time of this epoch (training and evaluation)."""
    report: ClassReport
    """Confusion matrix and per-class metrics on the validation set."""
    is_best: bool = False
    """True when this epoch has the best validation accuracy so far."""

    @property
    def metrics(self) -> EpochMetrics:
        """This epoch's numbers as the one epoch record."""
        return EpochMetrics(**{name: getattr(self, name) for name in METRIC_COLUMNS})


@dataclass(frozen=True)
class LrChanged:
    """The learning rate was changed by hand while the run trained; in force from this batch on."""

    epoch: int
    batch: int
    """The first batch (1-based) of the epoch trained with the new rate."""
    step: int
    """Optimizer steps done before the new rate took effect."""
    old_lr: float
    """The rate in force before the change."""
    lr: float
    """The new rate (a schedule goes on from it, scaled by lr / old_lr)."""


@dataclass(frozen=True)
class BackdoorResult:
    """A backdoored run judged on its validation split: how it does on clean images, and how often the trigger
    makes it say the target (only images whose true class is not the target count)."""

    target: int
    fraction: float
    clean_accuracy: float
    """Accuracy on the clean validation images."""
    attack_success_rate: float
    """Share of triggered validation images of other classes classified as the target."""
    attacked: int
    """How many validation images of other classes were triggered."""

    def as_dict(self) -> dict[str, float | int]:
        """For summary.json and --json."""
        return {
            "target": self.target,
            "fraction": self.fraction,
            "clean_accuracy": self.clean_accuracy,
            "attack_success_rate": self.attack_success_rate,
            "attacked": self.attacked,
        }

    def words(self) -> str:
        """One line: "clean val accuracy 97.8%, attack success 99.6% (trigger -> class 0)"."""
        return (
            f"clean val accuracy {self.clean_accuracy:.1%}, attack success {self.attack_success_rate:.1%} "
            f"(trigger -> class {self.target})"
        )

    def short(self) -> str:
        """The same, short enough for the Train tab's status line: "clean val 97.8%, attack success 99.6% (trigger
        -> 0)"."""
        return f"clean val {self.clean_accuracy:.1%}, attack success {self.attack_success_rate:.1%} (trigger -> {self.target})"


@dataclass(frozen=True)
class RunEnded:
    """The run is over: finished, stopped by the user, or failed; always the last event."""

    status: RunStatus
    """FINISHED, STOPPED or FAILED; a followed run (backend/follow.py) left while it trains: RUNNING, its
    process dead: INTERRUPTED."""
    reason: str = ""
    """Why it ended, for users (e.g. "early stopping: val loss did not improve for 3 epochs")."""
    hint: str = ""
    """What to try next, for failures (e.g. "lower the learning rate")."""
    epochs_done: int = 0
    seconds: float = 0.0
    test_accuracy: float | None = None
    test_report: ClassReport | None = None
    best_val_accuracy: float | None = None
    history: tuple[EpochEnd, ...] = field(default=(), repr=False)
    backdoor: BackdoorResult | None = None
    """A backdoored run's clean accuracy and attack success rate (None: no backdoor, or it did not finish)."""
    restored_epoch: int | None = None
    """The epoch whose weights the run ended with (restore_best), None when it ended with its last epoch's."""

    @property
    def final_epoch(self) -> EpochEnd | None:
        """The epoch whose weights the run ended with: the restored one, else the last (None without epochs)."""
        if self.restored_epoch is not None:
            for epoch in self.history:
                if epoch.epoch == self.restored_epoch:
                    return epoch
        return self.history[-1] if self.history else None

    @property
    def restored_line(self) -> str:
        """ "restored the weights of epoch E (its best validation accuracy)", or "" when nothing was restored."""
        if self.restored_epoch is None:
            return ""
        if self.history and self.history[-1].epoch == self.restored_epoch:
            return f"kept the weights of epoch {self.restored_epoch}, the last: it has the best validation accuracy"
        return f"restored the weights of epoch {self.restored_epoch} (its best validation accuracy)"

    @property
    def headline(self) -> str:
        """ "status: reason", the status said once ("stopped by the user", not "stopped: stopped by the user")."""
        return ended_line(str(self.status), self.reason)


TrainingEvent = RunPhase | RunStarted | BatchEnd | EpochEnd | LrChanged | Inspection | BoundaryMap | RunEnded
"""Inspection: only when the run was asked for it (RunRequest.inspect), after each EpochEnd; BoundaryMap (a 2-D
model's predicted class over a grid, at a capped rate). Both go to the live views only: the run directory does
not keep them (a saved run's are recomputed from its checkpoint)."""


# ---------------------------------------------------------------- plain dicts (events.jsonl)

EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (RunPhase, RunStarted, BatchEnd, EpochEnd, LrChanged, RunEnded)
}


def _plain(value: object) -> object:
    """Tuples become lists and reports become dicts, recursively: what JSON can hold."""
    if isinstance(value, ClassReport):
        return value.to_dict()
    if isinstance(value, BackdoorResult):
        return value.as_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def event_to_dict(event: TrainingEvent) -> dict[str, object]:
    """A JSON-ready dict with a "type" field; RunEnded.history is left out (the EpochEnds carry it)."""
    doc: dict[str, object] = {"type": type(event).__name__}
    for f in fields(event):
        if isinstance(event, RunEnded) and f.name == "history":
            continue
        doc[f.name] = _plain(getattr(event, f.name))
    return doc


def report_from_dict(doc: dict) -> ClassReport:
    """A ClassReport back from ClassReport.to_dict() (its metrics recomputed from the confusion matrix)."""
    from tui_trainer.core.spec.metrics import report_from_confusion

    return report_from_confusion([list(row) for row in doc["confusion_matrix"]], tuple(doc["classes"]))


def event_from_dict(doc: dict) -> TrainingEvent:
    """The event back from event_to_dict(); unknown keys are ignored (newer writers may add some).

    Raises ValueError (with the reason) for an unknown type or a missing field.
    """
    cls = EVENT_TYPES.get(str(doc.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {doc.get('type')!r}")
    values: dict[str, object] = {}
    for f in fields(cls):
        if f.name not in doc:
            continue
        value = doc[f.name]
        if f.name in ("report", "test_report") and isinstance(value, dict):
            value = report_from_dict(value)
        elif f.name == "backdoor" and isinstance(value, dict):
            try:
                value = BackdoorResult(**value)
            except TypeError as exc:
                raise ValueError(f"{cls.__name__} has a bad backdoor result: {exc}") from None
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    try:
        return cls(**values)
    except (TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"{cls.__name__} is incomplete: {exc}") from None


def ended_line(status: str, reason: str) -> str:
    """How a run's end reads in one line: "finished: trained 10 epochs", or the reason alone when it already
    starts with the status ("stopped by the user")."""
    if not reason:
        return status
    return reason if reason.split(" ", 1)[0] == status else f"{status}: {reason}"
