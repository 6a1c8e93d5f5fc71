"""Dataset lookup: built-in names, csv:PATH and folder:PATH -> catalogue entries; availability checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.data.catalogue import CSV_OPTIONS, ENTRIES, FOLDER_OPTIONS, DatasetInfo, Entry
from tui_trainer.core.data.errors import DatasetError

if TYPE_CHECKING:
    from tui_trainer.core.spec.experiment import DataSpec

__all__ = [
    "CSV_PREFIX",
    "FOLDER_PREFIX",
    "DatasetInfo",
    "Entry",
    "dataset_info",
    "find_entry",
    "is_available",
    "list_datasets",
    "user_entry",
    "user_path",
]

CSV_PREFIX = "csv:"
FOLDER_PREFIX = "folder:"

_BY_NAME = {entry.info.name: entry for entry in ENTRIES}


def list_datasets() -> list[DatasetInfo]:
    """The built-in datasets, in registry order."""
    return [entry.info for entry in ENTRIES]


def _user_path(name: str, prefix: str) -> str:
    path = name[len(prefix) :].strip()
    if not path:
        raise DatasetError(
            f"{name!r} names no path: write {prefix}PATH, e.g. {prefix}data/my_data"
            + (".csv" if prefix == CSV_PREFIX else "")
        )
    return path


def user_entry(name: str) -> Entry | None:
    """The entry for csv:PATH or folder:PATH, or None for any other name."""
    if name.startswith(CSV_PREFIX):
        path = _user_path(name, CSV_PREFIX)
        info = DatasetInfo(name, "tabular", "user", f"your CSV file {path}", None, None, None, CSV_OPTIONS)
        return Entry(info, "csv_data:load_csv")
    if name.startswith(FOLDER_PREFIX):
        path = _user_path(name, FOLDER_PREFIX)
        info = DatasetInfo(
            name,
            "image",
            "user",
            f"your images in {path} (one sub-folder per class)",
            None,
            None,
            None,
            FOLDER_OPTIONS,
        )
        return Entry(info, "image_folder:load_image_folder")
    return None


def find_entry(name: str) -> Entry:
    """The registry entry for a name (built-in, csv:PATH or folder:PATH); DatasetError when unknown."""
    entry = _BY_NAME.get(name) or user_entry(name)
    if entry is None:
        entry = _BY_NAME.get(name.strip().lower().replace("_", "-"))
    if entry is None:
        known = ", ".join(_BY_NAME)
        raise DatasetError(
            f"unknown dataset {name!r}: choose one of {known}, or csv:PATH for a CSV file, "
            "or folder:PATH for a folder of images with one sub-folder per class"
        )
    return entry


def dataset_info(name: str) -> DatasetInfo:
    """What a dataset is; accepts built-in names, "csv:PATH" and "folder:PATH".

    Raises DatasetError for an unknown name, listing the known ones.
    """
    return find_entry(name).info


def is_available(name: str, data_dir: str) -> bool:
    """Whether the dataset can load without network: offline built-ins always; torchvision sets when
    their files are under data_dir; csv:/folder: when the path exists. Unknown names: False."""
    try:
        entry = find_entry(name)
    except DatasetError:
        return False
    info = entry.info
    if info.source == "torchvision":
        from tui_trainer.core.data.torchvision_sets import missing_files

        return not missing_files(info.name, data_dir)
    if info.source == "user":
        path = Path(user_path(info.name)).expanduser()
        return path.is_file() if info.name.startswith(CSV_PREFIX) else path.is_dir()
    return True


def user_path(name: str) -> str:
    """The PATH of a csv:PATH or folder:PATH name."""
    prefix = CSV_PREFIX if name.startswith(CSV_PREFIX) else FOLDER_PREFIX
    return _user_path(name, prefix)


DataShape = tuple[tuple[int, ...], int]
"""(input shape of one sample, number of classes)."""


def shape_of(data: DataSpec | str, known: Mapping[str, DataShape] | None = None) -> DataShape | None:
    """(input shape, class count) of a dataset without loading it: from the catalogue, or from `known`
    (shapes seen when csv:/folder: data was loaded). None while unknown, or for an unknown name."""
    name = data if isinstance(data, str) else data.name
    if known and name in known:
        shape, n_classes = known[name]
        return tuple(shape), n_classes
    try:
        info = dataset_info(name)
    except DatasetError:
        return None
    if info.input_shape is None or info.n_classes is None:
        return None
    return tuple(info.input_shape), info.n_classes
