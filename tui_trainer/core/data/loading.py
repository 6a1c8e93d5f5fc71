"""load_dataset: resolve a DataSpec to its registry entry, check its options, load, split, normalise."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.registry import Entry, find_entry

if TYPE_CHECKING:
    from tui_trainer.core.data.bundle import DataBundle
    from tui_trainer.core.data.prepare import RawData
    from tui_trainer.core.spec.experiment import DataSpec

Loader = Callable[["DataSpec", int, float], "RawData"]


def resolve_options(entry: Entry, spec: DataSpec) -> tuple[int, float]:
    """The (n_samples, noise) a generated dataset uses: spec values, or the dataset's defaults.

    Raises DatasetError for values the dataset cannot use. Other datasets get (0, 0.0).
    """
    info = entry.info
    if info.source != "generated":
        return 0, 0.0
    n_samples = spec.n_samples or (info.n_samples or 0)
    n_classes = info.n_classes or 2
    if n_samples < 2 * n_classes:
        raise DatasetError(
            f"{info.name} needs n_samples of at least {2 * n_classes} (2 per class), not "
            f"{spec.n_samples}; 0 means the default of {info.n_samples}"
        )
    noise = spec.noise
    if noise == -1:
        noise = entry.default_noise or 0.0
    elif noise < 0:
        raise DatasetError(
            f"noise for {info.name} is {entry.noise_help}: it cannot be negative ({noise:g}); "
            f"use -1 for the default of {entry.default_noise:g}"
        )
    if entry.max_noise is not None and noise > entry.max_noise:
        raise DatasetError(
            f"noise for {info.name} is {entry.noise_help}: use 0 to {entry.max_noise:g}, "
            f"not {noise:g} (-1 = the default of {entry.default_noise:g})"
        )
    return n_samples, float(noise)


def _loader(entry: Entry) -> Loader:
    module_name, function = entry.loader.split(":")
    module = importlib.import_module(f"tui_trainer.core.data.{module_name}")
    return getattr(module, function)


def load_dataset(spec: DataSpec) -> DataBundle:
    """Load, split (seeded by spec.data_seed, spec.val_fraction) and normalise a dataset.

    Returns CPU tensors (float32 inputs, int64 labels); torchvision sets also carry their official
    test split. Raises DatasetError, with a message for users, for anything they can fix.
    """
    from tui_trainer.core.data.prepare import make_bundle

    entry = find_entry(spec.name)
    if not 0.0 < spec.val_fraction < 1.0:
        raise DatasetError(f"val_fraction must be between 0 and 1 (e.g. 0.2), not {spec.val_fraction:g}")
    n_samples, noise = resolve_options(entry, spec)
    # Loaders see the canonical name (aliases such as "MNIST" resolved); the bundle keeps the user's.
    canonical = dataclasses.replace(spec, name=entry.info.name)
    try:
        raw = _loader(entry)(canonical, n_samples, noise)
        return make_bundle(spec, raw)
    except MemoryError:
        raise DatasetError(
            f"not enough memory to load {spec.name}: use fewer samples or a smaller dataset or image_size"
        ) from None
