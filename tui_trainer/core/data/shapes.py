"""Generated 28x28 images of simple shapes, drawn with vectorised numpy signed-distance fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui_trainer.core.data.prepare import RawData

if TYPE_CHECKING:
    import numpy as np

    from tui_trainer.core.spec.experiment import DataSpec

SHAPES = ("circle", "square", "triangle", "cross", "horizontal bar", "vertical bar")
SIZE = 28
_CHUNK = 2048
_MAX_TILT = 0.35  # radians (~20 degrees): bars stay horizontal or vertical


def _box(u: np.ndarray, v: np.ndarray, half_u: float, half_v: float) -> np.ndarray:
    import numpy as np

    return np.maximum(np.abs(u) - half_u, np.abs(v) - half_v)


def _triangle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance (max over the edges' half-planes) to a triangle pointing up (v grows down)."""
    import numpy as np

    corners = np.array([(0.0, -1.0), (0.95, 0.75), (-0.95, 0.75)])
    centre = corners.mean(axis=0)
    dist = None
    for i in range(3):
        a, b = corners[i], corners[(i + 1) % 3]
        normal = np.array([b[1] - a[1], a[0] - b[0]])
        normal /= np.linalg.norm(normal)
        if normal @ (centre - a) > 0:
            normal = -normal
        edge = (u - a[0]) * normal[0] + (v - a[1]) * normal[1]
        dist = edge if dist is None else np.maximum(dist, edge)
    return dist


def _distance(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance, in units of the shape's size, to the outline of shape number `shape`."""
    import numpy as np

    if shape == 0:
        return np.sqrt(u * u + v * v) - 1.0
    if shape == 1:
        return _box(u, v, 0.85, 0.85)
    if shape == 2:
        return _triangle(u, v)
    if shape == 3:
        return np.minimum(_box(u, v, 1.0, 0.28), _box(u, v, 0.28, 1.0))
    if shape == 4:
        return _box(u, v, 1.0, 0.3)
    return _box(u, v, 0.3, 1.0)


def draw_shapes(labels: np.ndarray, rng: Any, noise: float) -> np.ndarray:
    """Images (N, 1, 28, 28) in [0, 1] for the shape ids in `labels`, with position, size, rotation,
    brightness and pixel-noise jitter drawn from `rng` (a numpy Generator)."""
    import numpy as np

    n = len(labels)
    size = rng.uniform(5.0, 10.0, n)
    reach = np.maximum(SIZE / 2 - 1.0 - 1.2 * size, 0.0)
    cx = SIZE / 2 - 0.5 + rng.uniform(-1.0, 1.0, n) * reach
    cy = SIZE / 2 - 0.5 + rng.uniform(-1.0, 1.0, n) * reach
    tilt = rng.uniform(-_MAX_TILT, _MAX_TILT, n)
    brightness = rng.uniform(0.7, 1.0, n)
    out = np.empty((n, 1, SIZE, SIZE), dtype=np.float32)
    grid = np.arange(SIZE, dtype=np.float32)
    px, py = grid[None, None, :], grid[None, :, None]
    for start in range(0, n, _CHUNK):
        part = slice(start, min(start + _CHUNK, n))
        cos = np.cos(tilt[part]).astype(np.float32)[:, None, None]
        sin = np.sin(tilt[part]).astype(np.float32)[:, None, None]
        scale = size[part].astype(np.float32)[:, None, None]
        dx = px - cx[part].astype(np.float32)[:, None, None]
        dy = py - cy[part].astype(np.float32)[:, None, None]
        u = (dx * cos + dy * sin) / scale
        v = (dy * cos - dx * sin) / scale
        dist = np.empty(u.shape, dtype=np.float32)
        chunk_labels = labels[part]
        for shape in range(len(SHAPES)):
            mask = chunk_labels == shape
            if mask.any():
                dist[mask] = _distance(shape, u[mask], v[mask])
        # Distance in pixels -> coverage with a one-pixel soft (anti-aliased) edge.
        ink = np.clip(0.5 - dist * scale, 0.0, 1.0) * brightness[part].astype(np.float32)[:, None, None]
        if noise > 0:
            ink += rng.standard_normal(ink.shape, dtype=np.float32) * np.float32(noise)
        out[part, 0] = np.clip(ink, 0.0, 1.0)
    return out


def make_shapes(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """n_samples 1x28x28 shape images, balanced over the classes in SHAPES, seeded by spec.data_seed."""
    import numpy as np

    rng = np.random.default_rng(spec.data_seed)
    labels = rng.permutation(np.arange(n_samples) % len(SHAPES))
    images = draw_shapes(labels, rng, noise)
    return RawData(images, labels, SHAPES, f"{n_samples} 28x28 images of {len(SHAPES)} shapes, pixel noise {noise:g}")
