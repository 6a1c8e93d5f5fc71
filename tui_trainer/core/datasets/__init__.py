"""Datasets: a registry of names -> loaders that all return a DataBundle (torch is imported lazily)."""

from __future__ import annotations

from tui_trainer.core.datasets.bundle import DataBundle
from tui_trainer.core.datasets.errors import DatasetError
from tui_trainer.core.datasets.loading import load_dataset
from tui_trainer.core.datasets.registry import DatasetInfo, dataset_info, is_available, list_datasets

__all__ = [
    "DataBundle",
    "DatasetError",
    "DatasetInfo",
    "dataset_info",
    "is_available",
    "list_datasets",
    "load_dataset",
]
