"""TensorBoard event files beside a run's own files: epochs, batch losses, HParams and the confusion matrix."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_trainer.core.runs.files import EVENTS, EXPERIMENT, SUMMARY, TENSORBOARD_PREFIX, RunError
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, TrainingEvent, event_from_dict
from tui_trainer.core.spec.experiment import Experiment, loads

if TYPE_CHECKING:
    from tui_trainer.core.spec.metrics import ClassReport

TAGS = {
    "train_loss": "loss/train",
    "val_loss": "loss/val",
    "train_accuracy": "accuracy/train",
    "val_accuracy": "accuracy/val",
    "lr": "lr",
}
"""EpochEnd field -> scalar tag, logged once per epoch at step = the epoch."""
BATCH_TAG = "batch/loss"
"""The batch loss, logged at step = optimizer steps since the run started, as thinned as events.jsonl keeps it."""
CONFUSION_TAG = "confusion_matrix/val"
"""The validation confusion matrix, each epoch: a text table and a grey image (rows true, columns predicted)."""
HPARAM_METRICS = ("val_accuracy", "val_loss", "train_loss", "best_val_accuracy", "test_accuracy")
"""The final metrics the HParams dashboard shows beside each run's settings (tag "hparams/NAME")."""
CELL_PX = 16
"""Pixels per cell of the confusion-matrix image."""


ENV = "TUI_TRAINER_TENSORBOARD"
"""Set to 1 (`tui-trainer app --tensorboard` sets it for its training process): every run writes TensorBoard
event files, as `train --tensorboard` does for one run."""


def tensorboard_wanted(setting: bool | None) -> bool:
    """Whether a run writes TensorBoard event files: the run's own setting, else the TUI_TRAINER_TENSORBOARD
    environment variable (off by default: a run directory holds only its own files unless asked)."""
    if setting is not None:
        return setting
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on")


def tensorboard_available() -> bool:
    """True when the tensorboard package (the `tui-trainer[tensorboard]` extra) is installed."""
    return importlib.util.find_spec("tensorboard") is not None


def hparams_of(experiment: Experiment) -> dict[str, Any]:
    """The experiment's settings as HParams values (numbers, strings, booleans): name, dataset, layers and
    every TrainSpec field."""
    values: dict[str, Any] = {
        "name": experiment.name,
        "dataset": experiment.data.name,
        "layers": " ".join(layer.type for layer in experiment.layers),
    }
    for key, value in asdict(experiment.train).items():
        values[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return values


def confusion_markdown(report: ClassReport) -> str:
    """The confusion matrix as a Markdown table (TensorBoard's Text tab renders it): rows true, columns predicted."""
    names = list(report.class_names)
    lines = ["| true \\ predicted | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for name, row in zip(names, report.confusion):
        lines.append(f"| **{name}** | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def confusion_image(report: ClassReport):
    """The row-normalised confusion matrix as an (H, W) uint8 numpy image: white = all of a true class."""
    import numpy as np

    counts = np.asarray(report.confusion, dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    image = (share * 255).round().astype(np.uint8)
    return np.kron(image, np.ones((CELL_PX, CELL_PX), dtype=np.uint8))


class TensorBoardLog:
    """Writes one run's TensorBoard event file into its run directory (a new file per session: a resumed run
    adds one, TensorBoard reads them together). Feed it the events the run writer keeps; close() at the end."""

    def __init__(self, path: Path, experiment: Experiment) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.path = Path(path)
        self.experiment = experiment
        self._writer = SummaryWriter(log_dir=str(self.path), flush_secs=30)
        self._last_epoch: EpochEnd | None = None
        self._best_val_accuracy: float | None = None

    def add(self, event: TrainingEvent) -> None:
        """Log one event (BatchEnd, EpochEnd, RunEnded; others are ignored)."""
        w = self._writer
        if isinstance(event, BatchEnd):
            w.add_scalar(BATCH_TAG, event.loss, event.step)
        elif isinstance(event, EpochEnd):
            for name, tag in TAGS.items():
                w.add_scalar(tag, getattr(event, name), event.epoch)
            w.add_text(CONFUSION_TAG, confusion_markdown(event.report), event.epoch)
            w.add_image(CONFUSION_TAG, confusion_image(event.report), event.epoch, dataformats="HW")
            self._last_epoch = event
            best = self._best_val_accuracy
            self._best_val_accuracy = event.val_accuracy if best is None else max(best, event.val_accuracy)
            w.flush()
        elif isinstance(event, RunEnded):
            self._hparams(event)
            self.close()

    def _hparams(self, end: RunEnded) -> None:
        """The HParams entry: the experiment's settings and the run's final metrics (those it has)."""
        from torch.utils.tensorboard.summary import hparams

        last = self._last_epoch
        finals: dict[str, float | None] = {
            "val_accuracy": last.val_accuracy if last else None,
            "val_loss": last.val_loss if last else None,
            "train_loss": last.train_loss if last else None,
            "best_val_accuracy": end.best_val_accuracy
            if end.best_val_accuracy is not None
            else self._best_val_accuracy,
            "test_accuracy": end.test_accuracy,
        }
        metrics = {f"hparams/{k}": float(v) for k, v in finals.items() if v is not None}
        values = {**hparams_of(self.experiment), "status": str(end.status)}
        for summary in hparams(values, metrics):
            self._writer.file_writer.add_summary(summary)
        step = last.epoch if last else 0
        for tag, value in metrics.items():
            self._writer.add_scalar(tag, value, step)

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()


def export_run(run_dir: str | Path) -> Path:
    """Write TensorBoard event files for an existing run directory from its events.jsonl (the batches it
    kept, its epochs, its end) and experiment.toml; earlier event files there are replaced. Returns the
    folder. RunError when it is not a run directory or tensorboard is not installed."""
    path = Path(run_dir)
    if not tensorboard_available():
        raise RunError("tensorboard is not installed: pip install 'tui-trainer[tensorboard]'")
    if not (path / EXPERIMENT).is_file() or not (path / SUMMARY).is_file():
        raise RunError(f"{path} is not a run directory (no experiment.toml or summary.json)")
    try:
        experiment = loads((path / EXPERIMENT).read_text(encoding="utf-8"))
        lines = (path / EVENTS).read_text(encoding="utf-8").splitlines() if (path / EVENTS).is_file() else []
    except (OSError, ValueError) as exc:
        raise RunError(f"cannot read {path}: {exc}") from None
    events: list[TrainingEvent] = []
    for line in lines:
        try:
            events.append(event_from_dict(json.loads(line)))
        except ValueError:
            continue  # a half-written last line, or a newer writer's event type
    ends = [i for i, event in enumerate(events) if isinstance(event, RunEnded)]
    last_end = ends[-1] if ends else None
    for old in path.glob(TENSORBOARD_PREFIX + "*"):
        old.unlink()
    log = TensorBoardLog(path, experiment)
    for i, event in enumerate(events):
        if not isinstance(event, RunEnded) or i == last_end:  # a resumed run's earlier ends: its sessions' stops
            log.add(event)
    if last_end is None:
        log.close()
    return path
