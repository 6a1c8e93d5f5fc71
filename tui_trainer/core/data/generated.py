"""Generated 2-D and tabular datasets: moons, circles, spirals, xor, blobs, lecture-5x4 (seeded)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_trainer.core.data.prepare import RawData

if TYPE_CHECKING:
    import numpy as np

    from tui_trainer.core.spec.experiment import DataSpec


def _per_class(n_samples: int, n_classes: int) -> list[int]:
    """n_samples shared out as evenly as possible over n_classes."""
    return [n_samples // n_classes + (c < n_samples % n_classes) for c in range(n_classes)]


def make_moons(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """Two interleaving half circles (scikit-learn make_moons)."""
    from sklearn.datasets import make_moons as sk_make_moons

    x, y = sk_make_moons(n_samples=n_samples, noise=noise, random_state=spec.data_seed)
    return RawData(
        x.astype("float32"),
        y,
        ("upper", "lower"),
        f"two interleaving half circles: {n_samples} points, noise {noise:g}",
    )


def make_circles(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """A small circle inside a large one (scikit-learn make_circles, factor 0.5)."""
    from sklearn.datasets import make_circles as sk_make_circles

    x, y = sk_make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=spec.data_seed)
    return RawData(
        x.astype("float32"),
        y,
        ("outer", "inner"),
        f"a small circle inside a large one: {n_samples} points, noise {noise:g}",
    )


def make_spirals(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """Three interleaved spiral arms, one class each; noise jitters each point's angle."""
    import numpy as np

    rng = np.random.default_rng(spec.data_seed)
    xs, ys = [], []
    for arm, count in enumerate(_per_class(n_samples, 3)):
        radius = np.linspace(0.0, 1.0, count)
        angle = np.linspace(arm * 4.0, (arm + 1) * 4.0, count) + rng.normal(0.0, noise, count)
        xs.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        ys.append(np.full(count, arm))
    x: np.ndarray = np.concatenate(xs).astype(np.float32)
    return RawData(
        x,
        np.concatenate(ys),
        ("arm 1", "arm 2", "arm 3"),
        f"three interleaved spiral arms: {n_samples} points, noise {noise:g}",
    )


def make_xor(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """Points in [-1, 1]^2; class 1 when x and y have the same sign, then jittered by noise."""
    import numpy as np

    rng = np.random.default_rng(spec.data_seed)
    points = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    labels = (np.sign(points[:, 0]) * np.sign(points[:, 1]) > 0).astype(np.int64)
    points = points + rng.normal(0.0, noise, size=points.shape)
    return RawData(
        points.astype(np.float32),
        labels,
        ("opposite signs", "same signs"),
        f"XOR quadrants: {n_samples} points, noise {noise:g}",
    )


def make_blobs(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """Four Gaussian clusters at fixed centres; noise is each cluster's standard deviation."""
    from sklearn.datasets import make_blobs as sk_make_blobs

    centres = [(-3.0, -3.0), (3.0, 3.0), (-3.0, 3.0), (3.0, -3.0)]
    x, y = sk_make_blobs(n_samples=n_samples, centers=centres, cluster_std=noise, random_state=spec.data_seed)
    return RawData(
        x.astype("float32"),
        y,
        ("blob 1", "blob 2", "blob 3", "blob 4"),
        f"four Gaussian clusters: {n_samples} points, spread {noise:g}",
    )


def make_lecture_5x4(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """5 features (4 informative, 1 redundant), 4 classes; noise is the share of labels flipped."""
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=n_samples,
        n_features=5,
        n_informative=4,
        n_redundant=1,
        n_classes=4,
        flip_y=noise,
        random_state=spec.data_seed,
    )
    return RawData(
        x.astype("float32"),
        y,
        ("class 1", "class 2", "class 3", "class 4"),
        f"5 features, 4 classes: {n_samples} samples, {noise:g} of labels flipped",
    )
