"""A small look at a dataset, loaded in a thread worker: half-block images, a 2-D scatter, or rows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui_trainer.core.config import DataSpec

Pixel = tuple[int, int, int]
MAX_POINTS = 600
N_IMAGES = 8
ROLES = ("primary", "warning", "success", "error", "secondary", "accent")


@dataclass(frozen=True)
class PreviewData:
    """What the preview shows, as plain values (it crosses the thread boundary)."""

    kind: str
    """"image", "2d", "tabular" or "message"."""
    summary: str = ""
    class_names: tuple[str, ...] = ()
    images: tuple[tuple[tuple[Pixel, ...], ...], ...] = ()
    """Per image, rows of RGB pixels (0-255), at most 16 wide."""
    labels: tuple[int, ...] = ()
    points: tuple[tuple[float, float], ...] = ()
    text: str = ""


def _summary(bundle) -> str:  # noqa: ANN001 - a DataBundle (torch lives in the worker only)
    test = "" if bundle.test_x is None else f", {len(bundle.test_x):,} test"
    return (
        f"{len(bundle.train_x):,} train, {len(bundle.val_x):,} validation{test} samples; "
        f"input {'x'.join(map(str, bundle.input_shape))}; {bundle.n_classes} classes"
    )


def _sample(bundle, k: int):  # noqa: ANN001, ANN202 - returns a LongTensor of row indices
    """k training rows spread over the classes: a seeded shuffle (loaders may sort by class)."""
    import torch

    n = len(bundle.train_x)
    return torch.randperm(n, generator=torch.Generator().manual_seed(0))[: min(k, n)]


def _images(bundle) -> PreviewData:  # noqa: ANN001
    import torch

    rows = _sample(bundle, N_IMAGES)
    x = bundle.train_x[rows].float()
    c, h, w = x.shape[1:]
    factor = max(1, -(-max(h, w) // 16))
    if factor > 1:
        import torch.nn.functional as F

        x = F.avg_pool2d(x, factor, ceil_mode=True)
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    x = ((x - lo) / (hi - lo).clamp_min(1e-6) * 255).round().to(torch.uint8)
    if c != 3:
        x = x[:, :1].expand(-1, 3, -1, -1)
    pixels = x.permute(0, 2, 3, 1).tolist()
    images = tuple(tuple(tuple(tuple(p) for p in row) for row in image) for image in pixels)
    labels = tuple(int(v) for v in bundle.train_y[rows].tolist())
    return PreviewData("image", _summary(bundle), bundle.class_names, images, labels)


def _points(bundle) -> PreviewData:  # noqa: ANN001
    rows = _sample(bundle, MAX_POINTS)
    xy = bundle.train_x[rows, :2].tolist()
    labels = tuple(int(v) for v in bundle.train_y[rows].tolist())
    return PreviewData(
        "2d", _summary(bundle), bundle.class_names, labels=labels, points=tuple((float(a), float(b)) for a, b in xy)
    )


def _rows(bundle) -> PreviewData:  # noqa: ANN001
    import torch

    counts = torch.bincount(bundle.train_y, minlength=bundle.n_classes).tolist()
    per_class = ", ".join(f"{name} {count}" for name, count in zip(bundle.class_names, counts, strict=False))
    n_features = bundle.train_x.shape[1]
    shown = min(n_features, 6)
    header = " ".join(f"{'x' + str(i + 1):>6}" for i in range(shown)) + (" ..." if n_features > shown else "")
    lines = [f"training samples per class: {per_class}", "a few rows (standardised):", f"{header}  label"]
    rows = _sample(bundle, 5)
    for row, label in zip(bundle.train_x[rows, :shown].tolist(), bundle.train_y[rows].tolist(), strict=True):
        values = " ".join(f"{v:6.2f}" for v in row) + ("    " if n_features > shown else "")
        lines.append(f"{values}  {bundle.class_names[int(label)]}")
    return PreviewData("tabular", _summary(bundle), bundle.class_names, text="\n".join(lines))


def load_preview(spec: DataSpec) -> PreviewData:
    """Load the dataset (in a worker thread) and take a few samples as plain values.

    torchvision sets never download for a preview: when their files are missing the message says
    where to put them. Raises DatasetError for anything the user can fix.
    """
    from tui_trainer.core.datasets import DatasetError, dataset_info, load_dataset

    info = dataset_info(spec.name)
    try:
        bundle = load_dataset(dataclasses.replace(spec, download=False))
    except DatasetError as exc:
        if info.source == "torchvision":
            hint = (
                "; download is on: the first run (s) downloads them"
                if spec.download
                else "; or switch download on below"
            )
            raise DatasetError(f"{exc}{hint}") from None
        raise
    if len(bundle.input_shape) == 3:
        return _images(bundle)
    if info.kind == "2d" and bundle.input_shape == (2,):
        return _points(bundle)
    return _rows(bundle)


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
            for y in range(0, h, 2):
                line = lines[y // 2]
                for x in range(w):
                    top = image[y][x]
                    bottom = image[y + 1][x] if y + 1 < h else (0, 0, 0)
                    line.append("▀", Style(color=Color(*top).rich_color, bgcolor=Color(*bottom).rich_color))
                line.append(" ")
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
        yield ImageStrip(id="preview-images")
        yield PlotextPlot(id="preview-plot")
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
        """Runs in a worker thread: torch and friends stay off the UI thread."""
        from tui_trainer.core.datasets import DatasetError

        try:
            data = load_preview(spec)
        except DatasetError as exc:
            data = PreviewData("message", text=str(exc))
        except Exception as exc:  # noqa: BLE001 - a preview must never take the app down
            data = PreviewData("message", text=f"cannot preview {spec.name}: {type(exc).__name__}: {exc}")
        self.post_message(self.Loaded(request, data))

    def on_dataset_preview_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.request != self.request:
            return
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
        self.query_one("#preview-summary").display = kind != "message"
        self.query_one(ImageStrip).display = kind == "image"
        self.query_one(PlotextPlot).display = kind == "2d"
        self.query_one("#preview-text").display = kind in ("message", "tabular")

    def _draw_points(self) -> None:
        """Scatter the points, one theme colour per class (UI thread only)."""
        data = self.data
        if data is None or data.kind != "2d":
            return
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        variables = self.app.theme_variables
        for cls, name in enumerate(data.class_names):
            mine = [p for p, label in zip(data.points, data.labels, strict=True) if label == cls]
            xs, ys = [p[0] for p in mine], [p[1] for p in mine]
            if xs:
                colour = Color.parse(variables.get(ROLES[cls % len(ROLES)], variables["foreground"])).rgb
                plt.scatter(xs, ys, marker="dot", color=colour, label=name)
        plot.refresh()
