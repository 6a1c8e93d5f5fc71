"""Every class's softmax probability for one sample as a bar: the lecture's raw scores turned into a probability distribution."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui_trainer.core.spec.inspection import Sample

NAME_CHARS = 10
"""Class names are cut to this many characters."""


def bar_lines(sample: Sample, class_names: tuple[str, ...], width: int) -> list[tuple[str, str, str, str]]:
    """Per class: (name, bar of full blocks, percent, mark) with the bar scaled to `width` cells for 100 %; the
    mark says "true" and / or "predicted"."""
    rows = []
    for k, p in enumerate(sample.probs):
        eighths = round(max(0.0, min(1.0, p)) * width * 8)
        bar = "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
        marks = [word for word, on in (("true", k == sample.true), ("predicted", k == sample.pred)) if on]
        rows.append((class_names[k][:NAME_CHARS], bar, f"{p:6.1%}", ", ".join(marks)))
    return rows


class ProbabilityBars(Widget):
    """The softmax probabilities of one sample, one line per class; the true class in the success colour, a
    wrong prediction in the error colour."""

    DEFAULT_CSS = "ProbabilityBars { height: auto; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sample: Sample | None = None
        self.class_names: tuple[str, ...] = ()

    def show(self, sample: Sample | None, class_names: tuple[str, ...]) -> None:
        """Draw this sample's probabilities (None clears)."""
        if (sample, class_names) == (self.sample, self.class_names):
            return
        self.sample, self.class_names = sample, class_names
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        return len(self.sample.probs) if self.sample is not None else 0

    def render(self) -> Text:
        sample = self.sample
        if sample is None:
            return Text("")
        names = [n[:NAME_CHARS] for n in self.class_names]
        label = max((len(n) for n in names), default=1)
        width = max(4, self.size.width - label - 20)
        variables = self.app.theme_variables
        out = Text()
        for k, (name, bar, percent, mark) in enumerate(bar_lines(sample, self.class_names, width)):
            if k:
                out.append("\n")
            role = "success" if k == sample.true else "error" if k == sample.pred else "primary"
            style = variables.get(role, "")
            out.append(name.rjust(label) + " ", style="bold" if mark else "")
            out.append(bar.ljust(width), style=style)
            out.append(f" {percent} {mark}")
        return out
