"""The decision boundary of a model on 2-D data: the predicted class over a grid, as plain values (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GRID_COLUMNS = 64
"""Grid points across (x); a view shows at most this many columns (it samples the grid down to fit)."""
GRID_ROWS = 48
"""Grid points down (y); a half-block view draws two grid rows per terminal row."""
POINTS = 300
"""Training points carried with a map (every n-th of the training split), drawn over it."""
PAD = 0.1
"""The grid spans the training points' range plus this share of it on each side."""
INTERVAL_S = 1.0
"""While training, a map is computed at an epoch's end at most this often (and at the last epoch)."""
LETTERS = "0123456789abcdefghijklmnopqrstuvwxyz"
"""The characters of the text map: class i is LETTERS[i]."""


@dataclass(frozen=True)
class BoundaryMap:
    """The class a model predicts at each point of a grid over the plane of two features, and points to draw.

    Coordinates are the model's inputs: the features after the training split's normalisation.
    """

    epoch: int
    """The epoch whose weights made it (0: unknown)."""
    xs: tuple[float, ...]
    """The grid's x coordinates, left to right."""
    ys: tuple[float, ...]
    """The grid's y coordinates, top to bottom (decreasing)."""
    classes: tuple[tuple[int, ...], ...]
    """classes[row][column]: the predicted class at (xs[column], ys[row])."""
    class_names: tuple[str, ...]
    points: tuple[tuple[float, float, int], ...] = ()
    """(x, y, true class) of training points."""
    feature_names: tuple[str, str] = ("x1", "x2")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: {"x", "y", "classes"} (the issue's format) with the class names, epoch and points."""
        return {
            "x": list(self.xs),
            "y": list(self.ys),
            "classes": [list(row) for row in self.classes],
            "class_names": list(self.class_names),
            "epoch": self.epoch,
            "points": [list(p) for p in self.points],
        }


def is_plane(input_shape: tuple[int, ...] | list[int]) -> bool:
    """True when one sample is two numbers: the data lies in a plane a boundary can be drawn over."""
    return tuple(input_shape) in ((2,), (1, 2))


def grid_axes(low: float, high: float, count: int) -> tuple[float, ...]:
    """count evenly spaced coordinates from low to high."""
    if count < 2:
        return ((low + high) / 2,)
    return tuple(low + (high - low) * i / (count - 1) for i in range(count))


def padded(low: float, high: float) -> tuple[float, float]:
    """The range low..high widened by PAD of its span on each side (a span of 0 becomes +-1)."""
    span = high - low or 2.0
    return low - PAD * span, high + PAD * span


def boundary_text(boundary: BoundaryMap, columns: int = GRID_COLUMNS, rows: int = GRID_ROWS // 2) -> str:
    """The map as text: one character per cell (class i is LETTERS[i]; the points are left out, so the classes
    read cleanly), then a legend line naming each class's character and the ranges."""
    picked_rows = _picks(len(boundary.ys), rows)
    picked_columns = _picks(len(boundary.xs), columns)
    lines = ["".join(LETTERS[boundary.classes[r][c] % len(LETTERS)] for c in picked_columns) for r in picked_rows]
    legend = ", ".join(f"{LETTERS[i % len(LETTERS)]} = {name}" for i, name in enumerate(boundary.class_names))
    x0, x1, y0, y1 = boundary.xs[0], boundary.xs[-1], boundary.ys[-1], boundary.ys[0]
    lines.append(f"{legend}; x {x0:.2f}..{x1:.2f}, y {y0:.2f}..{y1:.2f} (normalised features)")
    return "\n".join(lines)


def _picks(count: int, wanted: int) -> list[int]:
    """wanted indices spread evenly over range(count) (all of them when there are fewer)."""
    if count <= wanted:
        return list(range(count))
    return [round(i * (count - 1) / (wanted - 1)) for i in range(wanted)] if wanted > 1 else [count // 2]
