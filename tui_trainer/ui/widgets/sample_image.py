"""One small image drawn with half blocks (two pixel rows per terminal line): grey for one channel, colour for RGB."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widget import Widget

RGB = tuple[int, int, int]
BLACK: RGB = (0, 0, 0)


def pixel_rows(pixels: bytes, shape: tuple[int, ...]) -> list[list[RGB]]:
    """Channels x height x width bytes as rows of RGB pixels: three channels are colour, one is a grey ramp."""
    c, h, w = shape
    plane = h * w
    if c == 3:
        return [
            [(pixels[y * w + x], pixels[plane + y * w + x], pixels[2 * plane + y * w + x]) for x in range(w)]
            for y in range(h)
        ]
    return [[(v, v, v) for v in pixels[y * w : (y + 1) * w]] for y in range(h)]


def half_block_lines(rows: Sequence[Sequence[RGB]]) -> list[Text]:
    """Rows of RGB pixels as lines of "▀" cells: the upper pixel is the foreground, the lower the background."""
    lines = []
    for y in range(0, len(rows), 2):
        line = Text()
        top_row = rows[y]
        bottom_row = rows[y + 1] if y + 1 < len(rows) else [BLACK] * len(top_row)
        for top, bottom in zip(top_row, bottom_row, strict=True):
            line.append("▀", Style(color=Color(*top).rich_color, bgcolor=Color(*bottom).rich_color))
        lines.append(line)
    return lines


def scaled_rows(values: Sequence[float], height: int, width: int) -> list[list[RGB]]:
    """height x width numbers as grey pixels, stretched over their own range (e.g. a filter's weights)."""
    lo, hi = min(values, default=0.0), max(values, default=0.0)
    span = (hi - lo) or 1.0
    grey = [round((v - lo) / span * 255) for v in values]
    return [[(g, g, g) for g in grey[y * width : (y + 1) * width]] for y in range(height)]


class SampleImage(Widget):
    """One image drawn from pixel bytes (core.spec.inspection.Sample.pixels) with an optional caption beneath;
    the lines are built once per image shown, not per frame."""

    DEFAULT_CSS = "SampleImage { height: auto; width: auto; }"

    def __init__(self, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Text] = []
        self._key: object = None

    def show(self, pixels: bytes, shape: tuple[int, ...], caption: str = "") -> None:
        """Draw this image (nothing is redrawn when it is the one already shown)."""
        key = (pixels, shape, caption)
        if key == self._key:
            return
        self._key = key
        self.show_rows(pixel_rows(pixels, shape) if pixels else [], caption)

    def show_rows(self, rows: Sequence[Sequence[RGB]], caption: str = "") -> None:
        """Draw rows of RGB pixels."""
        lines = half_block_lines(rows)
        if caption:
            lines.append(Text(caption))
        self._lines = lines
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        return len(self._lines)

    def get_content_width(self, container, viewport) -> int:  # noqa: ANN001
        return max((line.cell_len for line in self._lines), default=0)

    def render(self) -> Text:
        return Text("\n").join(self._lines)


def upscaled(rows: Sequence[Sequence[RGB]], factor: int) -> list[list[RGB]]:
    """Each pixel as a factor x factor block (a 5x5 filter is too small to see at one cell per pixel)."""
    if factor <= 1:
        return [list(row) for row in rows]
    return [[p for p in row for _ in range(factor)] for row in rows for _ in range(factor)]


class ImageGrid(Widget):
    """Small images side by side, wrapping onto more lines when the width is used up, each with a caption
    beneath (filters, feature-map channels); the lines are rebuilt only for new images or a new width."""

    DEFAULT_CSS = "ImageGrid { height: auto; }"

    def __init__(self, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.images: list[tuple[list[Text], str]] = []
        self._cache: tuple[int, Text] | None = None

    def show(self, images: Sequence[tuple[Sequence[Sequence[RGB]], str]]) -> None:
        """Draw these (pixel rows, caption) images."""
        self.images = [(half_block_lines(rows), caption) for rows, caption in images]
        self._cache = None
        if self.is_mounted:
            self.refresh(layout=True)

    def _layout(self, width: int) -> Text:
        if self._cache is not None and self._cache[0] == width:
            return self._cache[1]
        bands: list[Text] = []
        band: list[tuple[list[Text], str]] = []
        used = 0
        for image in self.images:
            w = max((line.cell_len for line in image[0]), default=0)
            if band and used + w + 1 > max(width, 1):
                bands.append(self._band(band))
                band, used = [], 0
            band.append(image)
            used += w + 1
        if band:
            bands.append(self._band(band))
        text = Text("\n").join(bands)
        self._cache = (width, text)
        return text

    @staticmethod
    def _band(images: list[tuple[list[Text], str]]) -> Text:
        height = max(len(lines) for lines, _ in images)
        out = [Text() for _ in range(height + 1)]
        for lines, caption in images:
            w = max((line.cell_len for line in lines), default=0)
            for y in range(height):
                out[y].append_text(lines[y] if y < len(lines) else Text(" " * w))
                out[y].append(" ")
            out[height].append(caption[:w].ljust(w) + " ")
        return Text("\n").join(out)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001
        return len(self._layout(width).split()) if self.images else 0

    def render(self) -> Text:
        return self._layout(self.size.width)
