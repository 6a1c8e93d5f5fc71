"""The review queue: a run's flagged training labels drawn one by one; keep, relabel or drop each by keyboard,
then write label_overrides.json and load the run's settings with it, to retrain on the corrected labels."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_trainer.core.data.preview import PreviewData
from tui_trainer.core.runs.files import RunError
from tui_trainer.core.runs.review_file import Flagged, Review, write_overrides
from tui_trainer.ui.widgets.preview import ImageStrip

KEEP, DROP = "keep", "drop"
STRIP = 5
"""Samples drawn at once: the current one first, then the next ones in the queue."""


def _grey(image: tuple[tuple[int, ...], ...]) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    return tuple(tuple((v, v, v) for v in row) for row in image)


class ReviewQueue(ModalScreen[Path | None]):
    """Flagged labels least believed first. Keys: k keeps the label, r relabels to the suggested class, a digit
    relabels to that class, d drops the sample, left / right move, w writes the overrides; escape closes.
    Dismissed with the overrides file written (None: nothing written)."""

    BINDINGS = [
        Binding("k", "decide('keep')", "Keep"),
        Binding("r", "decide('suggested')", "Relabel"),
        Binding("d", "decide('drop')", "Drop"),
        Binding("left,p", "move(-1)", "Previous", show=False),
        Binding("right,n", "move(1)", "Next", show=False),
        Binding("w", "write", "Write overrides"),
        Binding("escape,q", "close", "Close"),
        *(Binding(str(d), f"decide('{d}')", show=False) for d in range(10)),
    ]

    def __init__(self, run_dir: str | Path, review: Review) -> None:
        super().__init__(classes="dialog-screen")
        self.run_dir = Path(run_dir)
        self.review = review
        self.position = 0
        self.decisions: dict[int, str | int] = {}
        """By flagged sample's position: KEEP, DROP or the new class."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="review-queue"):
            yield Static(f"Who decides the label? {self.run_dir.name}", classes="dialog-title", markup=False)
            yield Static(self.review.words(), id="review-words", classes="dialog-text", markup=False)
            yield ImageStrip(id="review-strip")
            yield Static("", id="review-sample", markup=False)
            yield Static("", id="review-tally", markup=False)
            yield Static(
                "k keep  r relabel as suggested  0-9 relabel to that class  d drop  left/right move  "
                "w write label_overrides.json and load the run's settings  escape close",
                classes="field-help",
                markup=False,
            )

    def on_mount(self) -> None:
        self._draw()

    @property
    def current(self) -> Flagged | None:
        """The flagged sample under review, or None when nothing was flagged."""
        flagged = self.review.flagged
        return flagged[self.position] if flagged else None

    def _class_word(self, label: int | None) -> str:
        names = self.review.class_names
        return names[label] if label is not None and 0 <= label < len(names) else "?"

    def _decision_words(self, f: Flagged) -> str:
        decision = self.decisions.get(f.index)
        if decision is None:
            return "undecided"
        if decision in (KEEP, DROP):
            return f"{decision}"
        return f"relabel to {self._class_word(int(decision))}"

    def _draw(self) -> None:
        f = self.current
        strip = self.query_one("#review-strip", ImageStrip)
        sample = self.query_one("#review-sample", Static)
        if f is None:
            strip.show(PreviewData("image"))
            sample.update("nothing was flagged: every training label agrees with the out-of-sample predictions")
            self._tally()
            return
        shown = [g for g in self.review.flagged[self.position : self.position + STRIP] if g.image]
        captions = tuple(f"{self._class_word(g.given)}>{self._class_word(g.suggested)}" for g in shown)
        strip.show(
            PreviewData(
                "image",
                images=tuple(_grey(g.image) for g in shown),
                labels=tuple(range(len(shown))),
                class_names=captions,
            )
        )
        truth = ""
        if f.flipped is not None:
            truth = f"  noise: flipped (true {self._class_word(f.true_label)})" if f.flipped else "  noise: not flipped"
        features = f"\nfeatures (standardised): {', '.join(f'{v:.2f}' for v in f.features)}" if f.features else ""
        sample.update(
            f"sample {f.index} ({self.position + 1} of {len(self.review.flagged)}, drawn first)  "
            f"given {self._class_word(f.given)} (p {f.self_confidence:.2f})  suggested {self._class_word(f.suggested)} "
            f"(p {f.suggested_confidence:.2f}){truth}\ndecision: {self._decision_words(f)}{features}"
        )
        self._tally()

    def _tally(self) -> None:
        values = list(self.decisions.values())
        relabel = sum(1 for v in values if isinstance(v, int))
        self.query_one("#review-tally", Static).update(
            f"decided {len(values)} of {len(self.review.flagged)}: relabel {relabel}, drop {values.count(DROP)}, "
            f"keep {values.count(KEEP)}"
        )

    def action_decide(self, what: str) -> None:
        """Decide the current sample (keep, drop, the suggested class or a class id), then go to the next."""
        f = self.current
        if f is None:
            return
        if what == "suggested":
            decision: str | int = f.suggested
        elif what.isdigit():
            if int(what) >= len(self.review.class_names):
                self.app.notify(f"{self.run_dir.name} has no class {what}", severity="warning", markup=False)
                return
            decision = int(what)
        else:
            decision = what
        self.decisions[f.index] = decision
        self.action_move(1)

    def action_move(self, step: int) -> None:
        """Go to the next (or previous) flagged sample."""
        if self.review.flagged:
            self.position = max(0, min(len(self.review.flagged) - 1, self.position + step))
        self._draw()

    def overrides(self) -> tuple[dict[int, int], list[int]]:
        """The decisions as (relabel, drop): a relabel to the given label changes nothing and is left out."""
        given = {f.index: f.given for f in self.review.flagged}
        relabel = {i: int(v) for i, v in self.decisions.items() if isinstance(v, int) and v != given[i]}
        drop = [i for i, v in self.decisions.items() if v == DROP]
        return relabel, drop

    def action_write(self) -> None:
        """Write label_overrides.json into the run directory and close with its path."""
        relabel, drop = self.overrides()
        try:
            path = write_overrides(self.run_dir, self.review, relabel, drop)
        except RunError as exc:
            self.app.notify(str(exc), title="Review", severity="error", markup=False)
            return
        self.dismiss(path)

    def action_close(self) -> None:
        """Close without writing (the decisions are lost; the review stays in review.json)."""
        self.dismiss(None)
