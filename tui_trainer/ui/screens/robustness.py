"""The Robustness view of a saved run: keys start FGSM, PGD and corruption evaluations where training runs.

Shows accuracy against eps (plot), the corruption table next to the clean accuracy, one sample under each
corruption, and one sample as original / perturbation / adversarial with both predictions. The evaluations
run in the training process (or the thread backend), never in the app's own: this screen only draws plain values.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from tui_trainer.core.backend import BackendError
from tui_trainer.core.data.preview import PreviewData
from tui_trainer.core.runs import RunRecord, list_runs
from tui_trainer.core.spec.events import RunStatus
from tui_trainer.core.spec.robustness import (
    DEFAULT_EPS,
    SEVERITIES,
    AdversarialSample,
    AttackPoint,
    RobustnessProgress,
    RobustnessRequest,
    RobustnessResult,
    SampleViews,
    short_label,
)
from tui_trainer.ui.widgets.curves import Curve, PlotLegend
from tui_trainer.ui.widgets.eps_plot import ROLES, EpsPlot
from tui_trainer.ui.widgets.preview import ImageStrip

KEYS_LINE = "f FGSM · g PGD · c corruptions · a all · e next adversarial · +/- severity · n next sample · esc back"
STRIP_ROW = 6
"""Corrupted samples per strip row (two rows hold the eleven image corruptions and the original)."""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def corruption_table(
    clean: float | None, points: dict[tuple[str, int], float], warning: str = "", error: str = ""
) -> Table:
    """Accuracy by corruption and severity, the clean accuracy beside each row; a cell 5 points below the clean
    accuracy in the warning style, 30 points below in the error style (the theme's colours)."""
    table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="bold")
    table.add_column("corruption")
    table.add_column("clean", justify="right")
    for severity in SEVERITIES:
        table.add_column(f"sev {severity}", justify="right")
    for name in dict.fromkeys(n for n, _ in points):
        cells = []
        for severity in SEVERITIES:
            value = points.get((name, severity))
            drop = (clean or 0.0) - (value or 0.0)
            style = "" if value is None or drop < 0.05 else (warning if drop < 0.3 else error)
            cells.append(Text(_pct(value), style=style))
        table.add_row(name, _pct(clean), *cells)
    return table


class RobustnessScreen(Screen[None]):
    """A finished run's robustness: keys start each evaluation (in the training process, with progress)."""

    BINDINGS = [
        Binding("f", "evaluate('fgsm')", "FGSM"),
        Binding("g", "evaluate('pgd')", "PGD"),
        Binding("c", "evaluate('corruptions')", "Corruptions"),
        Binding("a", "evaluate('all')", "All"),
        Binding("e", "next_adversarial", "Next adv."),
        Binding("plus", "severity(1)", "Severity +", key_display="+"),
        Binding("minus", "severity(-1)", "Severity -", key_display="-", show=False),
        Binding("n", "next_sample", "Next sample"),
        Binding("x", "stop_evaluation", "Stop"),
        Binding("escape", "close", "Back"),
    ]

    class Progressed(Message):
        """How far the evaluation is (a newer one replaces an older unprocessed one)."""

        def __init__(self, progress: RobustnessProgress) -> None:
            super().__init__()
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RobustnessScreen.Progressed)

    class Finished(Message):
        """The evaluation ended (its result: stopped, failed with a problem, or whole)."""

        def __init__(self, result: RobustnessResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, run_dir: str | Path, title: str = "", eps: tuple[float, ...] = DEFAULT_EPS) -> None:
        """run_dir: a run directory with a best.pt; title: how the run is named at the top."""
        super().__init__(id="robustness-screen")
        self.run_dir = str(run_dir)
        self.title_text = title or Path(run_dir).name
        self.eps = eps
        self.clean: float | None = None
        self.attacks: dict[tuple[str, float], float] = {}
        self.corruptions: dict[tuple[str, int], float] = {}
        self.sample: SampleViews | None = None
        self.class_names: tuple[str, ...] = ()
        self.kind = ""
        self.sample_index = 0
        self.adversarial_at = -1
        """Which adversarial sample is drawn (-1: the strongest attack at the largest eps)."""
        self.severity = 3
        self.evaluation = None
        """The evaluation in flight (None when none)."""
        self.last_kind = "all"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="robustness-body"):
            yield Static(f"Robustness of {self.title_text}", id="robustness-title", markup=False)
            yield Static(KEYS_LINE, id="robustness-keys", classes="field-help", markup=False)
            with Horizontal(id="robustness-progress-row"):
                yield ProgressBar(total=None, show_eta=False, id="robustness-progress")
                yield Static("press a key to evaluate the best checkpoint", id="robustness-status", markup=False)
            with Horizontal(id="robustness-top"):
                with Vertical(id="robustness-plot-box"):
                    yield PlotLegend(id="robustness-plot-title", classes="plot-legend", markup=False)
                    yield EpsPlot(id="robustness-plot")
                with Vertical(id="robustness-adversarial"):
                    yield Static("adversarial sample", id="robustness-adv-title", markup=False)
                    yield ImageStrip(id="robustness-adv-images")
                    yield Static("", id="robustness-adv-text", markup=False)
            yield Static("", id="robustness-table")
            yield Static("", id="robustness-strip-title", markup=False)
            yield ImageStrip(id="robustness-strip-1")
            yield ImageStrip(id="robustness-strip-2")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#robustness-progress", ProgressBar).display = False
        self._draw()

    # ------------------------------------------------------------ evaluations

    def request(self, kind: str) -> RobustnessRequest:
        """The request for a key: fgsm, pgd, corruptions or all (every eps, every corruption for the data)."""
        attacks = {"fgsm": ("fgsm",), "pgd": ("pgd",), "corruptions": (), "all": ("fgsm", "pgd")}[kind]
        corruptions = None if kind in ("corruptions", "all") else ()
        return RobustnessRequest(self.run_dir, attacks, self.eps, corruptions, sample=self.sample_index)

    def action_evaluate(self, kind: str) -> None:
        """Start an evaluation where training runs; one at a time."""
        if self.evaluation is not None:
            self._status("an evaluation is going: x stops it")
            return
        try:
            self.evaluation = self.app.backend.evaluate(self.request(kind))
        except BackendError as exc:
            self._status(str(exc))
            return
        self.last_kind = kind
        bar = self.query_one("#robustness-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self._status(f"starting {kind}...")
        self._read(self.evaluation)

    @work(thread=True, group="robustness", exit_on_error=False)
    def _read(self, handle) -> None:  # noqa: ANN001 - an EvaluationHandle
        """On a worker thread: relay the evaluation's progress, then its result once the backend is free again
        (the events have ended), so the next key's evaluation is never refused as one still going."""
        result = None
        try:
            for event in handle.events():
                if isinstance(event, RobustnessResult):
                    result = event
                else:
                    self.post_message(self.Progressed(event))
        except Exception as exc:  # noqa: BLE001 - the view says it and stays usable
            result = RobustnessResult(self.run_dir, problem=f"{type(exc).__name__}: {exc}")
        self.post_message(self.Finished(result or RobustnessResult(self.run_dir, problem="the evaluation ended early")))

    def on_robustness_screen_progressed(self, message: Progressed) -> None:
        p = message.progress
        bar = self.query_one("#robustness-progress", ProgressBar)
        if p.total:
            bar.update(total=p.total, progress=p.done)
        self._status(f"{p.what} ({p.done}/{p.total})" if p.total else p.what)

    def on_robustness_screen_finished(self, message: Finished) -> None:
        result = message.result
        self.evaluation = None
        self.query_one("#robustness-progress", ProgressBar).display = False
        if result.problem:
            self._status(f"cannot evaluate: {result.problem}")
            return
        self.merge(result)
        note = "; ".join(result.notes)
        head = "stopped: what was evaluated before the stop is shown" if result.stopped else "done"
        self._status(
            f"{head} ({result.n_samples:,} validation samples on {result.device}, {result.seconds:.1f} s) {note}"
        )
        self._draw()

    def merge(self, result: RobustnessResult) -> None:
        """Keep what this result adds to earlier ones (the same run: its clean accuracy never changes)."""
        self.clean = result.clean_accuracy if result.clean_accuracy is not None else self.clean
        self.class_names, self.kind = result.class_names or self.class_names, result.kind or self.kind
        self.attacks.update({(a.name, a.eps): a.accuracy for a in result.attacks})
        self.corruptions.update({(c.name, c.severity): c.accuracy for c in result.corruptions})
        if result.sample is None:
            return
        new = result.sample
        if self.sample is None or self.sample.index != new.index:
            self.sample = new
            self.adversarial_at = -1
            return
        adversarial = {(a.attack, a.eps): a for a in self.sample.adversarial}
        adversarial.update({(a.attack, a.eps): a for a in new.adversarial})
        corrupted = {(n, s): image for n, s, image in self.sample.corrupted}
        corrupted.update({(n, s): image for n, s, image in new.corrupted})
        self.sample = dataclasses.replace(
            self.sample,
            adversarial=tuple(adversarial.values()),
            corrupted=tuple((n, s, image) for (n, s), image in corrupted.items()),
        )

    def action_stop_evaluation(self) -> None:
        """Stop the evaluation after its current chunk (what it did so far is shown)."""
        if self.evaluation is not None:
            self.evaluation.stop()
            self._status("stopping...")

    def action_close(self) -> None:
        """Back to the tabs (an evaluation in flight is stopped)."""
        if self.evaluation is not None:
            self.evaluation.stop()
        self.dismiss(None)

    def action_next_adversarial(self) -> None:
        """Draw the next attack / eps of the adversarial sample."""
        if self.sample and self.sample.adversarial:
            self.adversarial_at = (self._adversarial_index() + 1) % len(self.sample.adversarial)
            self._draw_adversarial()

    def action_severity(self, step: int) -> None:
        """Draw the corrupted samples at another severity."""
        self.severity = min(SEVERITIES[-1], max(SEVERITIES[0], self.severity + step))
        self._draw_strip()

    def action_next_sample(self) -> None:
        """Draw another validation sample: the last evaluation runs again for it."""
        if self.evaluation is not None:
            self._status("an evaluation is going: x stops it")
            return
        self.sample_index += 1
        self.action_evaluate(self.last_kind)

    # ------------------------------------------------------------ drawing

    def _status(self, text: str) -> None:
        self.query_one("#robustness-status", Static).update(text)

    def _draw(self) -> None:
        points = tuple(AttackPoint(n, e, a) for (n, e), a in sorted(self.attacks.items()))
        self.query_one(EpsPlot).show(points, self.clean)
        title = "accuracy vs eps" + (f", clean {_pct(self.clean)} dotted" if self.clean is not None else "")
        names = dict.fromkeys(p.name for p in points)
        legend = [Curve(name, [], [], ROLES.get(name, "primary"), "●") for name in names]
        self.query_one("#robustness-plot-title", PlotLegend).show(title, legend)
        table = self.query_one("#robustness-table", Static)
        if self.corruptions:
            variables = self.app.theme_variables
            warning, error = variables.get("warning", ""), variables.get("error", "")
            table.update(corruption_table(self.clean, self.corruptions, warning, error))
        else:
            table.update("corruptions: c evaluates them (unseen data: noise, blur, rotation, ...)")
        self._draw_adversarial()
        self._draw_strip()

    def _adversarial_index(self) -> int:
        adversarial = self.sample.adversarial if self.sample else ()
        if not adversarial:
            return -1
        if 0 <= self.adversarial_at < len(adversarial):
            return self.adversarial_at
        return max(range(len(adversarial)), key=lambda i: (adversarial[i].eps, adversarial[i].attack == "pgd"))

    def _class_label(self, label: int) -> str:
        return self.class_names[label] if 0 <= label < len(self.class_names) else str(label)

    def _draw_adversarial(self) -> None:
        images = self.query_one("#robustness-adv-images", ImageStrip)
        text = self.query_one("#robustness-adv-text", Static)
        index = self._adversarial_index()
        if index < 0 or self.sample is None:
            images.show(PreviewData("image"))
            text.update("f or g attacks the model; the sample is then drawn here")
            return
        adv: AdversarialSample = self.sample.adversarial[index]
        true = self._class_label(self.sample.label)
        if adv.original:
            labels = ("original", "change", "attacked")
            data = PreviewData("image", class_names=labels, images=(adv.original, adv.perturbation, adv.adversarial))
            images.show(dataclasses.replace(data, labels=(0, 1, 2)))
        else:
            images.show(PreviewData("image"))
        clean, attacked = adv.clean, adv.attacked
        lines = [
            f"sample {self.sample.index}, true class {true}; {adv.attack} eps {adv.eps:g} (e: next)",
            f"clean:    {self._class_label(clean.label)} {clean.probability:.1%}  (true {true}: {clean.true_probability:.1%})",
            f"attacked: {self._class_label(attacked.label)} {attacked.probability:.1%}  "
            f"(true {true}: {attacked.true_probability:.1%})",
        ]
        if attacked.label != self.sample.label and clean.label == self.sample.label:
            lines.append("the attack changed a right answer into a wrong one")
        text.update("\n".join(lines))

    def _draw_strip(self) -> None:
        title = self.query_one("#robustness-strip-title", Static)
        strips = [self.query_one(f"#robustness-strip-{i}", ImageStrip) for i in (1, 2)]
        sample = self.sample
        corrupted = [(n, image) for n, s, image in (sample.corrupted if sample else ()) if s == self.severity]
        if sample is None or not sample.original or not corrupted:
            for strip in strips:
                strip.show(PreviewData("image"))
            title.update(
                ""
                if not self.corruptions
                else "one sample under each corruption: drawn for images only"
                if self.kind and self.kind != "image"
                else ""
            )
            return
        title.update(f"sample {sample.index} under each corruption at severity {self.severity} (+/- changes it)")
        cells = [("original", sample.original), *((short_label(n), image) for n, image in corrupted)]
        for row, strip in enumerate(strips):
            part = cells[row * STRIP_ROW : (row + 1) * STRIP_ROW]
            names = tuple(name for name, _ in part)
            strip.show(
                PreviewData(
                    "image", class_names=names, images=tuple(i for _, i in part), labels=tuple(range(len(part)))
                )
            )


def newest_run_of(runs_dir: str | Path | None, experiment) -> RunRecord | None:  # noqa: ANN001 - an Experiment
    """The newest saved run of this experiment with a best.pt that no process trains (the run that just ended on
    the Train tab), or None."""
    if not runs_dir:
        return None
    for record in list_runs(runs_dir):
        if record.experiment == experiment and record.has_checkpoint and record.status != RunStatus.RUNNING:
            if (Path(record.path) / "best.pt").is_file():
                return record
    return None


def robustness_problem(record: RunRecord) -> str | None:
    """Why a saved run cannot be evaluated, or None."""
    if record.status == RunStatus.RUNNING:
        return "this run is still training: evaluate it once it has ended"
    if not (Path(record.path) / "best.pt").is_file():
        return "this run has no best.pt (it ended before its first epoch was saved)"
    return None


def open_for(app, record: RunRecord) -> None:  # noqa: ANN001 - the TrainerApp
    """Show the Robustness view of a saved run, or say why not."""
    problem = robustness_problem(record)
    if problem:
        app.notify(problem, title="Robustness", severity="warning", markup=False)
        return
    title = f"{record.preset} on {record.dataset} ({record.name})"
    app.push_screen(RobustnessScreen(record.path, title))
