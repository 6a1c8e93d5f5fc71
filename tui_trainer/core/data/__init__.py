"""Datasets: a registry of names -> loaders that all return a DataBundle (torch is imported lazily)."""

from __future__ import annotations

from tui_trainer.core.data.bundle import DataBundle
from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.loading import load_dataset
from tui_trainer.core.data.registry import DatasetInfo, DataShape, dataset_info, is_available, list_datasets, shape_of

__all__ = [
    "DataBundle",
    "DataShape",
    "DatasetError",
    "DatasetInfo",
    "dataset_info",
    "is_available",
    "list_datasets",
    "load_dataset",
    "shape_of",
]
