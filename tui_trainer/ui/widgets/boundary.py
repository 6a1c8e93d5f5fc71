"""A decision boundary drawn in half-block cells: the predicted class as the background colour, training points
over it in their true class's colour; redrawn only when its map or its size changes."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widgets import Static

from tui_trainer.core.spec.boundary import BoundaryMap

ROLES = ("primary", "warning", "success", "error", "accent", "secondary")
"""The theme colours of classes 0, 1, 2, ... (repeating past six)."""
REGION_SHARE = 0.45
"""How much of its class colour a region's cell takes (the rest is the background): points must stand out."""
POINT = "●"


def picks(count: int, wanted: int) -> list[int]:
    """wanted indices spread evenly over range(count), each the nearest to its place (repeats when wanted > count)."""
    if wanted <= 1:
        return [count // 2]
    return [round(i * (count - 1) / (wanted - 1)) for i in range(wanted)]


def cells(boundary: BoundaryMap, columns: int, rows: int) -> tuple[list[list[int]], dict[tuple[int, int], int]]:
    """(classes at 2 * rows half-cells by columns, {(half-row, column): true class of a point there})."""
    row_picks, column_picks = picks(len(boundary.ys), 2 * rows), picks(len(boundary.xs), columns)
    grid = [[boundary.classes[r][c] for c in column_picks] for r in row_picks]
    x0, x1 = boundary.xs[0], boundary.xs[-1]
    y_top, y_bottom = boundary.ys[0], boundary.ys[-1]
    points: dict[tuple[int, int], int] = {}
    for x, y, label in boundary.points:
        column = round((x - x0) / ((x1 - x0) or 1) * (columns - 1))
        half = round((y_top - y) / ((y_top - y_bottom) or 1) * (2 * rows - 1))
        if 0 <= column < columns and 0 <= half < 2 * rows:
            points[(half, column)] = label
    return grid, points


class BoundaryView(Static):
    """The newest BoundaryMap in the widget's whole content area (one character per column, two grid rows per
    terminal row); show() with a new map or a resize redraws it, nothing else does."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.boundary: BoundaryMap | None = None
        self._drawn: tuple[int, int, int] | None = None
        """(id of the map, columns, rows) as last drawn."""

    def show(self, boundary: BoundaryMap | None) -> None:
        """Draw a map (None clears)."""
        self.boundary = boundary
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        columns, rows = self.content_size.width, self.content_size.height
        key = (id(self.boundary), columns, rows)
        if key == self._drawn:
            return
        self._drawn = key
        if self.boundary is None or columns < 4 or rows < 2:
            self.update("")
            return
        self.update(self.render_map(self.boundary, columns, rows))

    def colours(self) -> list[tuple[Color, Color]]:
        """(region, point) colours of each theme role."""
        variables = self.app.theme_variables
        background = Color.parse(variables["background"])
        out = []
        for role in ROLES:
            colour = Color.parse(variables.get(role, variables["foreground"]))
            out.append((background.blend(colour, REGION_SHARE), colour.lighten(0.15)))
        return out

    def render_map(self, boundary: BoundaryMap, columns: int, rows: int) -> Text:
        """The map as half-block text of columns x rows characters."""
        grid, points = cells(boundary, columns, rows)
        palette = self.colours()
        out = Text(no_wrap=True, overflow="crop")
        for row in range(rows):
            if row:
                out.append("\n")
            for column in range(columns):
                top, bottom = grid[2 * row][column], grid[2 * row + 1][column]
                region_top = palette[top % len(palette)][0]
                region_bottom = palette[bottom % len(palette)][0]
                label = points.get((2 * row, column), points.get((2 * row + 1, column)))
                if label is not None:
                    colour = palette[label % len(palette)][1]
                    out.append(POINT, Style(color=colour.rich_color, bgcolor=region_top.rich_color, bold=True))
                else:
                    out.append("▀", Style(color=region_top.rich_color, bgcolor=region_bottom.rich_color))
        return out

    def legend(self) -> Text:
        """Each class's name in its colour (for the line above the map)."""
        out = Text()
        if self.boundary is None:
            return out
        palette = self.colours()
        for i, name in enumerate(self.boundary.class_names):
            out.append("  " if i else "")
            out.append(POINT, Style(color=palette[i % len(palette)][1].rich_color))
            out.append(f" {name}")
        return out
