"""User CSV files (csv:PATH): numeric feature columns plus one label column of strings or numbers."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.prepare import RawData
from tui_trainer.core.data.registry import user_path

if TYPE_CHECKING:
    from tui_trainer.core.spec.experiment import DataSpec


def _dialect(sample: str) -> type[csv.Dialect]:
    """Comma-separated unless the file's first lines are clearly separated by ; or tabs."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of every non-blank row of the file, header first."""
    if not path.exists():
        raise DatasetError(f"CSV file {path} does not exist: check the path after csv:")
    if not path.is_file():
        raise DatasetError(f"{path} is not a file: csv: needs a CSV file (use folder: for image folders)")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, _dialect(handle.read(8192)))
            handle.seek(0)
            rows = [(reader.line_num, [cell.strip() for cell in row]) for row in reader]
    except UnicodeDecodeError:
        raise DatasetError(f"{path} is not a text file in UTF-8: save it as UTF-8 CSV") from None
    except csv.Error as exc:
        raise DatasetError(f"{path} is not valid CSV: {exc}") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    return [(line, row) for line, row in rows if any(row)]


def _label_index(path: Path, header: list[str], label_column: str) -> int:
    if not label_column:
        return len(header) - 1
    if label_column in header:
        return header.index(label_column)
    lowered = [h.lower() for h in header]
    if label_column.strip().lower() in lowered:
        return lowered.index(label_column.strip().lower())
    raise DatasetError(
        f"{path} has no column {label_column!r} for the labels; its columns are "
        f"{', '.join(header)} (set label_column to one of them, or leave it empty for the last)"
    )


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _class_names(labels: list[str]) -> tuple[tuple[str, ...], dict[str, int]]:
    """Sorted unique labels (numerically when all are numbers) and the label text -> class id map."""
    values = {label: _number(label) for label in set(labels)}
    if all(v is not None for v in values.values()):
        # Numeric labels: "1", "1.0" are one class; names print integers without ".0"; sorted by value.
        by_value = sorted({v for v in values.values() if v is not None})
        names = tuple(str(int(v)) if v.is_integer() else f"{v:g}" for v in by_value)
        index = {label: by_value.index(v) for label, v in values.items() if v is not None}
        return names, index
    names = tuple(sorted(values))
    return names, {name: i for i, name in enumerate(names)}


def load_csv(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """Features and labels from csv:PATH; the label column is spec.label_column or the last one."""
    import numpy as np

    path = Path(user_path(spec.name)).expanduser()
    rows = _read_rows(path)
    if not rows:
        raise DatasetError(f"{path} is empty: it needs a header row, then one row per sample")
    header, body = rows[0][1], rows[1:]
    if len(header) < 2:
        raise DatasetError(
            f"{path} has {len(header)} column: it needs at least one feature column and a "
            "label column, separated by commas, under a header row"
        )
    if not body:
        raise DatasetError(f"{path} has a header row but no data rows")
    label_at = _label_index(path, header, spec.label_column)
    feature_at = [i for i in range(len(header)) if i != label_at]
    features = np.empty((len(body), len(feature_at)), dtype=np.float32)
    labels: list[str] = []
    for r, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise DatasetError(
                f"{path} row {line} has {len(row)} values but the header has {len(header)} "
                "columns: every row needs one value per column"
            )
        for j, col in enumerate(feature_at):
            value = _number(row[col])
            if value is None:
                what = "is empty" if not row[col] else f"is {row[col]!r}, not a number"
                raise DatasetError(
                    f"{path} row {line}, column {header[col]!r} {what}: feature columns must "
                    f"hold numbers (is the label column {header[label_at]!r} the right one?)"
                )
            features[r, j] = value
        if not row[label_at]:
            raise DatasetError(f"{path} row {line}: the label column {header[label_at]!r} is empty")
        labels.append(row[label_at])
    names, index = _class_names(labels)
    if len(names) < 2:
        raise DatasetError(
            f"{path}: every row has the label {names[0]!r} in column {header[label_at]!r}; "
            "a classifier needs at least 2 classes (is that the right label column?)"
        )
    if len(names) == len(body) > 10:
        raise DatasetError(
            f"{path}: every row has its own label in column {header[label_at]!r}: a classifier "
            "needs classes shared by many rows (is that the right label column?)"
        )
    y = np.array([index[label] for label in labels], dtype=np.int64)
    description = (
        f"{path.name}: {len(body)} rows, {len(feature_at)} feature{'s' if len(feature_at) != 1 else ''}, {len(names)} classes "
        f"(labels from column {header[label_at]!r})"
    )
    return RawData(features, y, names, description, feature_names=tuple(header[i] for i in feature_at))
