"""What a CNN's layers learned: the first convolution's filters as small images and one sample's feature maps."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui_trainer.core.spec.inspection import FeatureMap, LayerView
from tui_trainer.ui.widgets.footer import Footer
from tui_trainer.ui.widgets.sample_image import RGB, ImageGrid, SampleImage, pixel_rows, scaled_rows, upscaled

FILTER_PIXELS = 10
"""A filter is drawn at least this many pixels wide (a 5x5 kernel twice over, a 3x3 one three times)."""


def filter_images(view: LayerView) -> list[tuple[list[list[RGB]], str]]:
    """Each filter of the first convolution as an image: grey over its own range for one input channel, colour
    for three (each weight's three channels as red, green, blue), else its first input channel."""
    _, c, h, w = view.filter_shape
    factor = max(1, FILTER_PIXELS // max(h, w))
    images = []
    for k in range(view.filters_shown):
        weights = view.filter(k)
        if c == 3:
            flat = [v for channel in weights for row in channel for v in row]
            lo, hi = min(flat), max(flat)
            span = (hi - lo) or 1.0

            def level(v: float, lo: float = lo, span: float = span) -> int:
                return round((v - lo) / span * 255)

            rows = [
                [(level(weights[0][y][x]), level(weights[1][y][x]), level(weights[2][y][x])) for x in range(w)]
                for y in range(h)
            ]
        else:
            rows = scaled_rows([v for row in weights[0] for v in row], h, w)
        images.append((upscaled(rows, factor), f"#{k}"))
    return images


def map_images(feature_map: FeatureMap) -> list[tuple[list[list[RGB]], str]]:
    """Each channel of a feature map as a grey image (stretched over its own range)."""
    _, h, w = feature_map.shape
    factor = 2 if max(h, w) <= 6 else 1
    plane = h * w
    return [
        (upscaled(pixel_rows(feature_map.pixels[k * plane : (k + 1) * plane], (1, h, w)), factor), f"{k}")
        for k in range(feature_map.shown)
    ]


class LayersView(Screen[None]):
    """The filters and feature maps of one LayerView; refreshed by `show` (the live run: each epoch)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Back")]

    def __init__(self, view: LayerView | None, source: str) -> None:
        super().__init__()
        self.view, self.source = view, source

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="layers-scroll"):
            yield Static("", id="layers-title", markup=False)
            yield Static("", id="filters-title", classes="layers-heading", markup=False)
            yield ImageGrid(id="filters")
            yield Static("", id="maps-title", classes="layers-heading", markup=False)
            yield SampleImage(id="maps-input")
            yield Vertical(id="maps")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.view, self.source)
        self.query_one("#layers-scroll").focus()

    def show(self, view: LayerView | None, source: str) -> None:
        """Draw this layer view (nothing when it is the one shown)."""
        if view is self.view and self.query("#maps ImageGrid"):
            return  # drawn already: redrawn only when the data changes
        self.view, self.source = view, source
        title = self.query_one("#layers-title", Static)
        if view is None:
            title.update(f"{source}: the model has no Conv2d layer, so there are no filters or feature maps to draw")
            return
        o, c, h, w = view.filter_shape
        title.update(
            f"What the layers learned ({source}). A convolution slides each learned filter over its input: "
            "bright where the input matches it (edges, strokes); pooling keeps the strongest responses, smaller."
        )
        shown = f" (the first {view.filters_shown})" if view.filters_shown < o else ""
        self.query_one("#filters-title", Static).update(f"{view.layer}: its {o} filters{shown}, {c}x{h}x{w} each")
        self.query_one(ImageGrid).show(filter_images(view))
        self.query_one("#maps-title", Static).update(
            f"feature maps of validation sample {view.sample} after each Conv2d and pooling layer:"
        )
        if view.pixels:
            self.query_one("#maps-input", SampleImage).show(view.pixels, view.pixel_shape, "the input")
        maps = self.query_one("#maps", Vertical)
        maps.remove_children()
        widgets = []
        for feature_map in view.maps:
            ch, mh, mw = feature_map.shape
            more = f", the first {feature_map.shown} shown" if feature_map.shown < ch else ""
            widgets.append(Static(f"{feature_map.layer}: {ch} channels of {mh}x{mw}{more}", markup=False))
            grid = ImageGrid()
            grid.show(map_images(feature_map))
            widgets.append(grid)
        maps.mount_all(widgets)
