"""A small look at a dataset, loaded in a thread worker: half-block images, a 2-D scatter, or rows."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from tui_trainer.core.data.preview import PreviewData
from tui_trainer.core.spec.experiment import DataSpec
from tui_trainer.ui.widgets.sample_image import half_block_lines

ROLES = ("primary", "warning", "success", "error", "secondary", "accent")
WAITING = "the preview follows when the run ends (the training process is busy training)"


class ImageStrip(Widget):
    """A row of small images drawn with half blocks (two pixel rows per line), labels beneath."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = PreviewData("image")

    def show(self, data: PreviewData) -> None:
        """Draw these images."""
        self.data = data
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        if not self.data.images:
            return 0
        return (len(self.data.images[0]) + 1) // 2 + 1

    def render(self) -> Text:
        images, names = self.data.images, self.data.class_names
        if not images:
            return Text("")
        h, w = len(images[0]), len(images[0][0])
        fit = max(1, min(len(images), (self.size.width + 1) // (w + 1)))
        lines = [Text() for _ in range((h + 1) // 2 + 1)]
        for index, image in enumerate(images[:fit]):
            for y, drawn in enumerate(half_block_lines(image)):
                lines[y].append_text(drawn)
                lines[y].append(" ")
            label = names[self.data.labels[index]] if self.data.labels[index] < len(names) else "?"
            lines[-1].append(label[:w].center(w) + " ")
        return Text("\n").join(lines)


class DatasetPreview(Vertical):
    """Shows a few samples of a DataSpec; `show(spec)` starts loading them in a thread worker."""

    class Loaded(Message):
        """A preview finished loading (or failed: kind "message")."""

        def __init__(self, request: int, data: PreviewData) -> None:
            super().__init__()
            self.request = request
            self.data = data

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.request = 0
        self.spec: DataSpec | None = None
        self.data: PreviewData | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="preview-summary", markup=False)
        yield ImageStrip(id="preview-images")  # the 2-D scatter (#preview-plot) comes with the first 2-D preview
        yield Static("", id="preview-text", markup=False)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw_points())
        self._show_kind("message")

    def show(self, spec: DataSpec) -> None:
        """Load and show a preview of spec (nothing happens when it is already shown or loading)."""
        if spec == self.spec:
            return
        self.spec = spec
        self.request += 1
        self._show_kind("message")
        self.query_one("#preview-text", Static).update(f"loading {spec.name}...")
        self.set_class(False, "-error")
        # After the next refresh: the first frame is painted before the worker starts importing torch.
        self.call_after_refresh(
            self.run_worker,
            partial(self._load, spec, self.request),
            thread=True,
            exclusive=True,
            group="preview",
            exit_on_error=False,
        )

    def _load(self, spec: DataSpec, request: int) -> None:
        """Runs in a worker thread: the backend computes it where training runs (this process then never
        imports torch), after a run that trains there has ended; a newer request supersedes this one."""

        def waiting() -> None:
            self.post_message(self.Loaded(request, PreviewData("note", text=WAITING)))

        data = self.app.backend.preview(spec, on_wait=waiting)
        if data is not None:
            self.post_message(self.Loaded(request, data))

    async def on_dataset_preview_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.request != self.request:
            return
        if message.data.kind == "2d" and not self.query("#preview-plot"):
            # Mounted when first needed: plotext and its widget stay out of the first frame (no preview is
            # there yet: the training process computes them).
            from tui_trainer.ui.widgets.matrix_plot import MatrixPlot

            await self.mount(MatrixPlot(id="preview-plot"), after="#preview-images")
        data = self.data = message.data
        self._show_kind(data.kind)
        self.set_class(data.kind == "message", "-error")
        self.query_one("#preview-summary", Static).update(data.summary)
        self.query_one("#preview-text", Static).update(data.text)
        if data.kind == "image":
            self.query_one(ImageStrip).show(data)
        elif data.kind == "2d":
            self._draw_points()

    def _show_kind(self, kind: str) -> None:
        self.query_one("#preview-summary").display = kind not in ("message", "note")
        self.query_one(ImageStrip).display = kind == "image"
        self.query("#preview-plot").set(display=kind == "2d")
        self.query_one("#preview-text").display = kind in ("message", "tabular", "note")

    def _draw_points(self) -> None:
        """Scatter the points, one theme colour per class (UI thread only)."""
        data = self.data
        if data is None or data.kind != "2d":
            return
        from tui_trainer.ui.widgets.matrix_plot import MatrixPlot

        plot = self.query_one("#preview-plot", MatrixPlot)
        plt = plot.plt
        plt.clear_data()
        x_name, y_name = (*data.axes, "", "")[:2]  # a CSV's column names; built-in sets have none
        plt.xlabel(x_name)
        plt.ylabel(y_name)
        variables = self.app.theme_variables
        for cls, name in enumerate(data.class_names):
            mine = [p for p, label in zip(data.points, data.labels, strict=True) if label == cls]
            xs, ys = [p[0] for p in mine], [p[1] for p in mine]
            if xs:
                colour = Color.parse(variables.get(ROLES[cls % len(ROLES)], variables["foreground"])).rgb
                plt.scatter(xs, ys, marker="dot", color=colour, label=name)
        plot.refresh()
