"""Shared by every loader: a seeded stratified train/val split and train-only normalisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui_trainer.core.data.bundle import DataBundle
from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.poison import stamp_trigger, tamper
from tui_trainer.core.spec.poisoning import tampers

if TYPE_CHECKING:
    import numpy as np
    import torch

    from tui_trainer.core.spec.experiment import DataSpec

_MIN_STD = 1e-6


@dataclass
class RawData:
    """What a loader hands back before splitting: all samples, unnormalised, any numeric dtype.

    x is (N, features) or (N, channels, height, width), a numpy array or a CPU tensor; y holds class
    ids 0..len(class_names)-1. test_x/test_y (an official test split) are optional.
    """

    x: Any
    y: Any
    class_names: tuple[str, ...]
    description: str
    test_x: Any = None
    test_y: Any = None
    feature_names: tuple[str, ...] = ()
    """The feature columns' names when the data has them (a CSV's header), else ()."""
    pixel_scale: float | None = None
    """Images: the raw value of a full-intensity pixel (16 for scikit-learn's digits); None: 255 for uint8
    images, 1 for float ones."""


def split_indices(
    labels: np.ndarray, val_fraction: float, seed: int, what: str = "the data"
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, stratified (train, val) index arrays, each sorted.

    The validation split holds round(N * val_fraction) samples, shared out over the classes in
    proportion to their sizes. Raises DatasetError when either split would be empty.
    """
    import numpy as np

    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if not 0.0 < val_fraction < 1.0:
        raise DatasetError(f"val_fraction must be between 0 and 1 (e.g. 0.2), not {val_fraction:g}")
    n_val = int(round(n * val_fraction))
    if n_val < 1 or n - n_val < 1:
        raise DatasetError(
            f"{what} has {n} samples: val_fraction {val_fraction:g} leaves {n - n_val} for training and "
            f"{n_val} for validation; both need at least 1 (use more samples or another val_fraction)"
        )
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels, minlength=int(labels.max()) + 1 if n else 0)
    quota = counts * val_fraction
    per_class = np.floor(quota).astype(np.int64)
    extra = n_val - int(per_class.sum())
    if extra > 0:
        # Largest remainders first, ties broken at random, and classes that would lose their last
        # training sample last (np.lexsort: the last key is the primary one).
        last_one = counts - per_class <= 1
        order = np.lexsort((rng.random(len(counts)), -(quota - per_class), last_one))
        per_class[order[:extra]] += 1
    shuffled = rng.permutation(n)
    by_class = shuffled[np.argsort(labels[shuffled], kind="stable")]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sorted_labels = labels[by_class]
    rank = np.arange(n) - starts[sorted_labels]
    is_val = rank < per_class[sorted_labels]
    return np.sort(by_class[~is_val]), np.sort(by_class[is_val])


def _as_tensor(values: Any) -> torch.Tensor:
    import numpy as np
    import torch

    if isinstance(values, torch.Tensor):
        return values.cpu()
    return torch.from_numpy(np.ascontiguousarray(values))


def _labels(values: Any, n_classes: int, where: str) -> torch.Tensor:
    import torch

    y = _as_tensor(values).to(torch.int64).reshape(-1)
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise DatasetError(
            f"{where} has labels outside 0..{n_classes - 1}: the files do not match the {n_classes} classes"
        )
    return y


def normalise(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Float32 copies standardised with the mean/std of `train` only.

    Per feature for (N, F) data, per channel for (N, C, H, W) images; a constant feature or
    channel (std 0) is only centred.
    """
    import torch

    out = [t.to(torch.float32, copy=True) for t in (train, *others)]
    if len(out[0]) == 0:
        return out
    mean, std = normalisation_stats(out[0])
    for t in out:
        t.sub_(mean).div_(std)
    return out


def normalisation_stats(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std) of `train` per feature or channel, shaped to broadcast over it (std 0 becomes 1)."""
    import torch

    dims = tuple(d for d in range(train.dim()) if d != 1)
    std, mean = torch.std_mean(train.to(torch.float32), dim=dims, keepdim=True, correction=0)
    return mean, torch.where(std < _MIN_STD, torch.ones_like(std), std)


def make_bundle(spec: DataSpec, raw: RawData) -> DataBundle:
    """Split raw data (seeded by spec.data_seed, spec.val_fraction), normalise it and wrap it up."""
    import torch

    n_classes = len(raw.class_names)
    if n_classes < 2:
        raise DatasetError(f"{spec.name} has {n_classes} class(es): training a classifier needs at least 2")
    x = _as_tensor(raw.x)
    y = _labels(raw.y, n_classes, spec.name)
    if len(x) != len(y):
        raise DatasetError(f"{spec.name}: {len(x)} samples but {len(y)} labels; the files do not match")
    if x.dim() not in (2, 4):
        raise DatasetError(
            f"{spec.name}: samples of shape {tuple(x.shape[1:])} are neither feature rows "
            "nor (channels, height, width) images"
        )
    train_idx, val_idx = split_indices(y.numpy(), spec.val_fraction, spec.data_seed, spec.name)
    train_idx_t, val_idx_t = torch.from_numpy(train_idx), torch.from_numpy(val_idx)
    train_x, train_y = x.index_select(0, train_idx_t), y.index_select(0, train_idx_t)
    parts = [train_x, x.index_select(0, val_idx_t)]
    tampering = None
    if tampers(spec):  # the training split only, in raw scale (before normalisation): validation stays clean
        train_x, train_y, tampering = tamper(spec, train_x, train_y, n_classes)
        parts[0] = train_x
    triggered = spec.poison_fraction > 0
    if triggered:
        parts.append(stamp_trigger(parts[1], tampering.trigger_value if tampering else 1.0))
    test_y = None
    if raw.test_x is not None:
        test_x = _as_tensor(raw.test_x)
        test_y = _labels(raw.test_y, n_classes, f"{spec.name} (test split)")
        if tuple(test_x.shape[1:]) != tuple(x.shape[1:]) or len(test_x) != len(test_y):
            raise DatasetError(
                f"{spec.name}: the test split's shape {tuple(test_x.shape)} does not match "
                f"the training data's {tuple(x.shape)}"
            )
        parts.append(test_x)
    pixel_scale = None
    if x.dim() == 4:
        pixel_scale = raw.pixel_scale or (255.0 if x.dtype == torch.uint8 else 1.0)
    del x
    mean, std = normalisation_stats(parts[0]) if len(parts[0]) else (torch.zeros(1), torch.ones(1))
    normed = normalise(*parts)
    val_triggered = normed.pop(2) if triggered else None
    return DataBundle(
        name=spec.name,
        train_x=normed[0],
        train_y=train_y,
        val_x=normed[1],
        val_y=y.index_select(0, val_idx_t),
        class_names=tuple(raw.class_names),
        input_shape=tuple(int(d) for d in normed[0].shape[1:]),
        description=raw.description,
        test_x=normed[2] if len(normed) > 2 else None,
        test_y=test_y,
        feature_names=tuple(raw.feature_names),
        input_mean=tuple(float(v) for v in mean.flatten()),
        input_std=tuple(float(v) for v in std.flatten()),
        pixel_scale=pixel_scale,
        tampering=tampering,
        val_triggered_x=val_triggered,
    )
