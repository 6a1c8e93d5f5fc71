"""Plain-text rendering of runs for the headless CLI: epoch lines, tables, confusion matrix, JSON."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_trainer.core.runs.lock import holder, holder_of
from tui_trainer.core.spec.diagnosis import (
    CHANCE_EPOCHS,
    OverfittingWatch,
    accuracy_peak,
    predicted_shares,
    stuck_at_chance,
)
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunPhase, RunStarted, RunStatus
from tui_trainer.core.spec.metrics import ClassReport
from tui_trainer.core.spec.summary import ModelSummary, format_shape

if TYPE_CHECKING:
    from tui_trainer.core.runs import RunRecord
    from tui_trainer.core.spec.experiment import Experiment
    from tui_trainer.core.spec.memory import MemoryEstimate


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain aligned text table (numbers right-aligned by column index)."""
    right = right or set()
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def epoch_line(e: EpochEnd) -> str:
    """One log-safe line per epoch."""
    width = len(str(e.epochs))
    best = "  *" if e.is_best else ""
    return (
        f"epoch {e.epoch:>{width}}/{e.epochs}  train loss {e.train_loss:.4f} acc {e.train_accuracy:6.2%}  "
        f"val loss {e.val_loss:.4f} acc {e.val_accuracy:6.2%}  lr {e.lr:.3g}  {e.seconds:.1f}s{best}"
    )


def summary_table(summary: ModelSummary) -> str:
    """The per-layer table of a model summary, with the total and any problems."""
    rows = [["", "input", "", format_shape(summary.input_shape), ""]]
    for r in summary.rows:
        shape = format_shape(r.output_shape) if r.error is None else "error"
        rows.append([str(r.index), r.type, r.args, shape, f"{r.params:,}"])
    text = table(["#", "layer", "arguments", "output", "params"], rows, right={0, 4})
    text += f"\ntotal parameters: {summary.total_params:,}  ({summary.n_classes} classes)"
    for problem in summary.problems:
        text += f"\nproblem: {problem}"
    return text


def memory_json(memory: MemoryEstimate) -> dict[str, Any]:
    """The memory estimate of `summary --json`, in bytes by part."""
    return {
        "total": memory.total,
        "weights": memory.weights,
        "gradients": memory.gradients,
        "optimizer_state": memory.optimizer_state,
        "activations": memory.activations,
        "evaluation": memory.evaluation,
        "batch_size": memory.batch_size,
        "eval_chunk": memory.eval_chunk,
    }


def summary_json(
    summary: ModelSummary, preset: str, dataset: str, memory: MemoryEstimate | None = None
) -> dict[str, Any]:
    """The `summary --json` object: per-layer rows, total, problems and the memory estimate (bytes; None
    when the stack cannot train)."""
    return {
        "preset": preset,
        "dataset": dataset,
        "input_shape": list(summary.input_shape),
        "classes": summary.n_classes,
        "layers": [
            {
                "index": r.index,
                "type": r.type,
                "args": r.args,
                "output_shape": list(r.output_shape) if r.output_shape else None,
                "params": r.params,
                "error": r.error,
            }
            for r in summary.rows
        ],
        "total_params": summary.total_params,
        "problems": list(summary.problems),
        "memory": memory_json(memory) if memory is not None else None,
    }


def confusion_table(report: ClassReport) -> str:
    """The confusion matrix (rows = true class, columns = predicted) as text."""
    names = [n[:8] for n in report.class_names]
    headers = ["true \\ pred", *names]
    rows = [[names[t], *(str(c) for c in row)] for t, row in enumerate(report.confusion)]
    return table(headers, rows, right=set(range(1, len(names) + 1)))


def metrics_table(report: ClassReport) -> str:
    """Per-class precision / recall / F1 / support with macro and weighted averages."""
    rows = [
        [name, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", str(s)]
        for name, p, r, f, s in zip(report.class_names, report.precision, report.recall, report.f1, report.support)
    ]
    total = str(sum(report.support))
    rows.append(
        ["macro avg", f"{report.macro.precision:.3f}", f"{report.macro.recall:.3f}", f"{report.macro.f1:.3f}", total]
    )
    rows.append(
        [
            "weighted avg",
            f"{report.weighted.precision:.3f}",
            f"{report.weighted.recall:.3f}",
            f"{report.weighted.f1:.3f}",
            total,
        ]
    )
    return table(["class", "precision", "recall", "f1", "support"], rows, right={1, 2, 3, 4})


def final_report(end: RunEnded) -> str:
    """What the CLI prints when a run ends: status, accuracies, confusion matrix, per-class metrics."""
    lines = [end.headline + (f" ({end.hint})" if end.hint else "")]
    if end.restored_line:
        lines.append(end.restored_line)
    last = end.final_epoch
    if last is not None:
        at = f" at epoch {last.epoch}" if end.restored_epoch is not None else ""
        lines.append(
            f"validation accuracy {last.val_accuracy:.2%}{at} (best {end.best_val_accuracy:.2%}) after "
            f"{end.epochs_done} epochs in {end.seconds:.1f}s"
        )
        if end.backdoor is not None:
            lines.append(f"backdoor: {end.backdoor.words()}")
        lines += [
            "",
            "validation confusion matrix (rows = true class, columns = predicted):",
            confusion_table(last.report),
        ]
        lines += ["", metrics_table(last.report)]
    if end.test_accuracy is not None:
        lines.append(f"\ntest accuracy {end.test_accuracy:.2%}")
    return "\n".join(lines)


def run_json(end: RunEnded, params: int | None, device: str | None, run_dir: Path | None = None) -> dict[str, Any]:
    """The --json result object."""
    final = end.final_epoch
    last = final.report if final is not None else None
    result: dict[str, Any] = {
        "status": end.status,
        "reason": end.reason,
        "hint": end.hint,
        "restored_epoch": end.restored_epoch,
        "val_accuracy": final.val_accuracy if final is not None else None,
        "best_val_accuracy": end.best_val_accuracy,
        "test_accuracy": end.test_accuracy,
        "epochs": [vars(e.metrics) for e in end.history],
        "classes": list(last.class_names) if last else [],
        "confusion_matrix": [list(r) for r in last.confusion] if last else [],
        "per_class": last.to_dict()["per_class"] if last else [],
        "macro": last.to_dict()["macro"] if last else None,
        "weighted": last.to_dict()["weighted"] if last else None,
        "params": params,
        "device": device,
        "seconds": end.seconds,
        "run_dir": str(run_dir) if run_dir is not None else None,
    }
    if end.backdoor is not None:
        result["backdoor"] = end.backdoor.as_dict()
    return result


class EventPrinter:
    """The headless CLI's on_event: a line when training starts, a progress line on a terminal, a line per epoch."""

    def __init__(self, experiment: Experiment, *, tty: bool, run_dir: Path | None = None) -> None:
        self.experiment = experiment
        self.tty = tty
        self.run_dir = run_dir
        self.params: int | None = None
        self.device: str | None = None
        self.epochs: deque[EpochEnd] = deque(maxlen=CHANCE_EPOCHS)
        """The newest epochs, as many as stuck_at_chance reads (a 10,000-epoch run keeps no more)."""
        self.overfitting = OverfittingWatch()
        self.best: EpochEnd | None = None
        """The epoch with the best validation accuracy so far."""
        self._said: set[str] = set()

    def _note_once(self, kind: str, words: str | None) -> None:
        """Print a diagnosis the first time it holds (as the dashboard shows it): "note: ..."."""
        if words and kind not in self._said:
            self._said.add(kind)
            print(("\r\x1b[K" if self.tty else "") + f"note: {words}", flush=True)

    def __call__(self, event: object) -> None:
        """Print what a person following the run wants to see for this event."""
        if isinstance(event, RunStarted):
            self.params, self.device = event.params, event.device
            resumed = f" from epoch {event.start_epoch}" if event.start_epoch > 1 else ""
            speedups = f" with {event.speedups}" if event.speedups else ""
            print(
                f"training {self.experiment.name} on {self.experiment.data.name}{resumed}: {event.n_train} train / "
                f"{event.n_val} val samples, {event.params:,} parameters, device {event.device}{speedups}",
                flush=True,
            )
            if self.run_dir is not None:
                print(f"run directory {self.run_dir}", flush=True)
        elif isinstance(event, BatchEnd) and self.tty:
            print(
                f"\repoch {event.epoch} batch {event.batch}/{event.batches} loss {event.loss:.4f}", end="", flush=True
            )
        elif isinstance(event, EpochEnd):
            print(("\r\x1b[K" if self.tty else "") + epoch_line(event), flush=True)
            self.epochs.append(event)
            sign = self.overfitting.add(event)
            self._note_once("overfitting", sign.words() if sign else None)
            report = event.report
            self._note_once(
                "stuck", stuck_at_chance(self.epochs, predicted_shares(report.confusion), report.class_names)
            )
            if self.best is None or event.val_accuracy > self.best.val_accuracy:
                self.best = event
            peak = accuracy_peak([self.best, event])
            self._note_once("peak", peak.words() if peak else None)
        elif isinstance(event, RunPhase) and self.params is not None:  # a note while training
            print(("\r\x1b[K" if self.tty else "") + event.message, flush=True)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def runs_table(records: list[RunRecord]) -> str:
    """Past runs, newest first: date, preset, dataset, status, epochs, best val accuracy, time, directory;
    then one line per run that could not be read fully."""
    rows = []
    for r in records:
        best = f"{r.best_val_accuracy:.2%}" if r.best_val_accuracy is not None else "-"
        epochs = f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done)
        date = f"{r.created:%Y-%m-%d %H:%M}" if r.created else "?"
        rows.append([date, r.preset, r.dataset, r.status_text, epochs, best, _duration(r.seconds), r.name])
    text = table(
        ["date", "preset", "dataset", "status", "epochs", "best val", "time", "directory"], rows, right={4, 5, 6}
    )
    problems = [f"problem: {r.name}: {r.problem}" for r in records if r.problem]
    problems += [f"note: {r.name}: {r.settings_note}" for r in records if r.settings_note]
    running = [
        f"running: {r.name}: trained by {holder(r.path)}; `tui-trainer watch {r.path}` follows it, "
        "`kill` of that process stops it (resumable)"
        for r in records
        if r.status == RunStatus.RUNNING
    ]
    return "\n".join([text, *problems, *running])


def _trainer_json(r: RunRecord) -> dict[str, Any] | None:
    """The process training a running run: {"pid", "host"} (None when the run is not running)."""
    found = holder_of(r.path) if r.status == RunStatus.RUNNING else None
    return {"pid": found[0], "host": found[1]} if found else None


def record_json(r: RunRecord) -> dict[str, Any]:
    """One run of `tui-trainer runs --json`."""
    return {
        "path": str(r.path),
        "created": r.created.isoformat() if r.created else None,
        "preset": r.preset,
        "dataset": r.dataset,
        "status": r.status,
        "reason": r.reason,
        "trainer": _trainer_json(r),
        "overfitting_since": r.overfitting_since,
        "lr_changes": list(r.lr_changes),
        "epochs_done": r.epochs_done,
        "epochs": r.epochs,
        "best_val_accuracy": r.best_val_accuracy,
        "seconds": r.seconds,
        "resumable": r.has_checkpoint,
        "problem": r.problem,
    }
