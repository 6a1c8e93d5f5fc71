"""A dataset preview as plain values: a few images, 2-D points or rows, computed where torch lives."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tui_trainer.core.spec.experiment import DataSpec

Pixel = tuple[int, int, int]
MAX_POINTS = 600
N_IMAGES = 8


@dataclass(frozen=True)
class PreviewData:
    """What the preview shows, as plain values (it crosses the thread boundary)."""

    kind: str
    """"image", "2d", "tabular", "message" (why there is no preview) or "note" (one is coming)."""
    summary: str = ""
    class_names: tuple[str, ...] = ()
    images: tuple[tuple[tuple[Pixel, ...], ...], ...] = ()
    """Per image, rows of RGB pixels (0-255), at most 16 wide."""
    labels: tuple[int, ...] = ()
    points: tuple[tuple[float, float], ...] = ()
    text: str = ""
    axes: tuple[str, ...] = ()
    """The feature columns' names (a CSV's header) for the axes or the rows' heading, else ()."""


def _summary(bundle) -> str:  # noqa: ANN001 - a DataBundle (torch lives in the worker only)
    test = "" if bundle.test_x is None else f", {len(bundle.test_x):,} test"
    text = (
        f"{len(bundle.train_x):,} train, {len(bundle.val_x):,} validation{test} samples; "
        f"input {'x'.join(map(str, bundle.input_shape))}; {bundle.n_classes} classes"
    )
    tampering = bundle.tampering
    if tampering is not None:
        said = []
        if tampering.flipped:
            said.append(f"{len(tampering.flipped):,} training labels flipped")
        if tampering.poisoned:
            said.append(f"{len(tampering.poisoned):,} images poisoned (the first one shown: trigger bottom-right)")
        if tampering.relabelled or tampering.dropped:
            said.append(f"overrides: {tampering.relabelled} relabelled, {tampering.dropped} dropped")
        text += "".join(f"; {words}" for words in said)
    return text


def _sample(bundle, k: int):  # noqa: ANN001, ANN202 - returns a LongTensor of row indices
    """k training rows spread over the classes: a seeded shuffle (loaders may sort by class)."""
    import torch

    n = len(bundle.train_x)
    rows = torch.randperm(n, generator=torch.Generator().manual_seed(0))[: min(k, n)]
    poisoned = bundle.tampering.poisoned if bundle.tampering is not None else ()
    if poisoned and len(bundle.input_shape) == 3:  # a backdoored set shows a triggered image first
        rows = torch.cat([torch.tensor([poisoned[0]]), rows[rows != poisoned[0]]])[: min(k, n)]
    return rows


def _images(bundle) -> PreviewData:  # noqa: ANN001
    import torch

    rows = _sample(bundle, N_IMAGES)
    x = bundle.train_x[rows].float()
    c, h, w = x.shape[1:]
    factor = max(1, -(-max(h, w) // 16))
    if factor > 1:
        import torch.nn.functional as F

        x = F.avg_pool2d(x, factor, ceil_mode=True)
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    x = ((x - lo) / (hi - lo).clamp_min(1e-6) * 255).round().to(torch.uint8)
    if c != 3:
        x = x[:, :1].expand(-1, 3, -1, -1)
    pixels = x.permute(0, 2, 3, 1).tolist()
    images = tuple(tuple(tuple(tuple(p) for p in row) for row in image) for image in pixels)
    labels = tuple(int(v) for v in bundle.train_y[rows].tolist())
    return PreviewData("image", _summary(bundle), bundle.class_names, images, labels)


def _points(bundle) -> PreviewData:  # noqa: ANN001
    rows = _sample(bundle, MAX_POINTS)
    xy = bundle.train_x[rows, :2].tolist()
    labels = tuple(int(v) for v in bundle.train_y[rows].tolist())
    return PreviewData(
        "2d",
        _summary(bundle),
        bundle.class_names,
        labels=labels,
        points=tuple((float(a), float(b)) for a, b in xy),
        axes=tuple(bundle.feature_names[:2]),
    )


def _rows(bundle) -> PreviewData:  # noqa: ANN001
    import torch

    counts = torch.bincount(bundle.train_y, minlength=bundle.n_classes).tolist()
    per_class = ", ".join(f"{name} {count}" for name, count in zip(bundle.class_names, counts, strict=False))
    n_features = bundle.train_x.shape[1]
    shown = min(n_features, 6)
    names = [_column_name(bundle.feature_names, i) for i in range(shown)]
    widths = [max(6, len(name)) for name in names]
    header = " ".join(f"{name:>{w}}" for name, w in zip(names, widths, strict=True))
    header += " ..." if n_features > shown else ""
    lines = [f"training samples per class: {per_class}", "a few rows (standardised):", f"{header}  label"]
    rows = _sample(bundle, 5)
    for row, label in zip(bundle.train_x[rows, :shown].tolist(), bundle.train_y[rows].tolist(), strict=True):
        values = " ".join(f"{v:{w}.2f}" for v, w in zip(row, widths, strict=True))
        values += "    " if n_features > shown else ""
        lines.append(f"{values}  {bundle.class_names[int(label)]}")
    return PreviewData(
        "tabular", _summary(bundle), bundle.class_names, text="\n".join(lines), axes=tuple(bundle.feature_names)
    )


COLUMN_WIDTH = 12
"""The most characters of a column's name in the rows' heading."""


def _column_name(names: tuple[str, ...], index: int) -> str:
    """Feature index's column name (a CSV's header, clipped), or x1, x2, ... when the data has none."""
    if index < len(names) and names[index]:
        name = names[index]
        return name if len(name) <= COLUMN_WIDTH else name[: COLUMN_WIDTH - 1] + "…"
    return f"x{index + 1}"


def load_preview(spec: DataSpec) -> PreviewData:
    """Load the dataset (in a worker thread) and take a few samples as plain values.

    torchvision sets never download for a preview: when their files are missing the message says
    where to put them. Raises DatasetError for anything the user can fix.
    """
    from tui_trainer.core.data import DatasetError, dataset_info, load_dataset

    info = dataset_info(spec.name)
    try:
        bundle = load_dataset(dataclasses.replace(spec, download=False))
    except DatasetError as exc:
        if info.source == "torchvision":
            hint = (
                "; download is on: the first run (s) downloads them"
                if spec.download
                else "; or switch download on below"
            )
            raise DatasetError(f"{exc}{hint}") from None
        raise
    if len(bundle.input_shape) == 3:
        return _images(bundle)
    if bundle.input_shape == (2,) and (info.kind == "2d" or bundle.feature_names):  # a CSV of two features too
        return _points(bundle)
    return _rows(bundle)


def preview_or_message(spec: DataSpec) -> PreviewData:
    """load_preview, with every failure turned into a "message" preview (a preview never raises)."""
    from tui_trainer.core.data import DatasetError

    try:
        return load_preview(spec)
    except DatasetError as exc:
        return PreviewData("message", text=str(exc))
    except Exception as exc:  # noqa: BLE001 - a preview must never take the app down
        return PreviewData("message", text=f"cannot preview {spec.name}: {type(exc).__name__}: {exc}")
