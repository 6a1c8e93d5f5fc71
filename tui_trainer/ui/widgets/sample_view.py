"""One validation sample as the inspection shows it: what it is, its image or feature values, every class's probability."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_trainer.core.spec.inspection import Inspection, Sample
from tui_trainer.ui.widgets.probability_bars import ProbabilityBars
from tui_trainer.ui.widgets.sample_image import SampleImage


def sample_title(sample: Sample, names: tuple[str, ...]) -> str:
    """ "validation sample 311: true 4 (p 0.1%), predicted 1 (p 42.2%), loss 6.58"."""
    verdict = "right" if not sample.wrong else f"predicted {names[sample.pred]} ({sample.p_pred:.1%})"
    return (
        f"validation sample {sample.index}: true {names[sample.true]} ({sample.p_true:.1%}), {verdict}, "
        f"loss {sample.loss:.3f}"
    )


def feature_text(sample: Sample, feature_names: tuple[str, ...]) -> str:
    """A tabular / 2-D sample's (standardised) feature values, one per line."""
    names = [
        feature_names[i] if i < len(feature_names) and feature_names[i] else f"x{i + 1}"
        for i in range(len(sample.features))
    ]
    width = max((len(n) for n in names), default=1)
    return "\n".join(f"{name.rjust(width)} {value:8.3f}" for name, value in zip(names, sample.features, strict=True))


class SampleView(Vertical):
    """A sample's title, its image (half blocks) or feature values, and the softmax probabilities as bars."""

    DEFAULT_CSS = "SampleView { height: auto; }"

    def compose(self) -> ComposeResult:
        yield Static("", classes="sample-title", markup=False)
        yield SampleImage(classes="sample-image")
        yield Static("", classes="sample-features", markup=False)
        yield Static("softmax probabilities (the model's raw scores as a distribution):", classes="sample-bars-title")
        yield ProbabilityBars()

    def show(self, sample: Sample | None, ins: Inspection | None) -> None:
        """Draw this sample of this inspection (None: nothing selected)."""
        title = self.query_one(".sample-title", Static)
        image = self.query_one(SampleImage)
        features = self.query_one(".sample-features", Static)
        bars_title = self.query_one(".sample-bars-title", Static)
        if sample is None or ins is None:
            title.update("no sample selected")
            image.display = features.display = bars_title.display = False
            self.query_one(ProbabilityBars).show(None, ())
            return
        names = ins.class_names
        title.update(sample_title(sample, names))
        image.display = bool(sample.pixels)
        if sample.pixels:
            image.show(sample.pixels, ins.image_shape)
        features.display = bool(sample.features)
        features.update(feature_text(sample, ins.feature_names))
        bars_title.display = True
        self.query_one(ProbabilityBars).show(sample, names)
