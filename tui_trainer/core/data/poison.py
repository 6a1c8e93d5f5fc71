"""Bad training data on purpose: seeded label noise, a backdoor trigger, and the review's label overrides."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.spec.poisoning import TRIGGER_SIZE, poisoning_problems

if TYPE_CHECKING:
    import numpy as np
    import torch

    from tui_trainer.core.spec.experiment import DataSpec

NOISE_STREAM = 1
"""The label noise draws from default_rng([data_seed, NOISE_STREAM]) (the split uses data_seed alone)."""
BACKDOOR_STREAM = 2
"""The backdoor picks its images from default_rng([data_seed, BACKDOOR_STREAM])."""


@dataclass(frozen=True)
class Tampering:
    """What was done to a training split, as plain values (positions index the training split as trained)."""

    flipped: tuple[int, ...] = ()
    """Training samples whose label the noise changed."""
    true_labels: tuple[int, ...] = ()
    """Their labels before the noise, in the order of flipped."""
    poisoned: tuple[int, ...] = ()
    """Training images stamped with the backdoor trigger and relabelled to its target."""
    trigger_value: float = 0.0
    """The raw pixel value of the white trigger (the brightest value of the raw training images)."""
    relabelled: int = 0
    """Labels the overrides file changed."""
    dropped: int = 0
    """Training samples the overrides file dropped."""


def flip_labels(
    labels: np.ndarray, n_classes: int, fraction: float, kind: str, source: int, target: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(noisy labels, flipped positions sorted): exactly round(fraction * eligible) labels changed, seeded.

    symmetric and pair: every sample is eligible; symmetric moves a label to another class drawn uniformly,
    pair moves class i to i+1 (the last to the first). targeted: the samples of class `source` are eligible
    and become `target`. Every flipped label differs from the one it had.
    """
    import numpy as np

    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng([seed, NOISE_STREAM])
    eligible = np.flatnonzero(labels == source) if kind == "targeted" else np.arange(len(labels))
    count = int(round(fraction * len(eligible)))
    picked = np.sort(rng.choice(eligible, size=count, replace=False)) if count else np.zeros(0, dtype=np.int64)
    noisy = labels.copy()
    if kind == "symmetric":
        noisy[picked] = (labels[picked] + rng.integers(1, n_classes, size=count)) % n_classes
    elif kind == "pair":
        noisy[picked] = (labels[picked] + 1) % n_classes
    else:
        noisy[picked] = target
    return noisy, picked.astype(np.int64)


def stamp_trigger(images: torch.Tensor, value: float) -> torch.Tensor:
    """A copy of (N, C, H, W) raw images with a TRIGGER_SIZE square of `value` in the bottom-right corner."""
    out = images.clone()
    out[..., -TRIGGER_SIZE:, -TRIGGER_SIZE:] = value
    return out


def pick_poisoned(labels: np.ndarray, fraction: float, target: int, seed: int) -> np.ndarray:
    """Sorted positions of round(fraction * N) training samples whose label is not the target (fewer when fewer
    are), seeded: the images a backdoor stamps."""
    import numpy as np

    labels = np.asarray(labels, dtype=np.int64)
    others = np.flatnonzero(labels != target)
    count = min(len(others), int(round(fraction * len(labels))))
    rng = np.random.default_rng([seed, BACKDOOR_STREAM])
    return np.sort(rng.choice(others, size=count, replace=False)).astype(np.int64)


def read_overrides(path: str, n_train: int, n_classes: int) -> tuple[dict[int, int], list[int]]:
    """({position: label}, [dropped positions]) of a label_overrides.json; DatasetError when it cannot be
    read or does not fit this training split (n_train samples, n_classes classes)."""
    where = Path(path).expanduser()
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"cannot read label_overrides {where}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise DatasetError(f"label_overrides {where} is not a JSON file") from None
    try:
        relabel = {int(k): int(v) for k, v in dict(doc.get("relabel", {})).items()}
        drop = sorted({int(i) for i in doc.get("drop", [])})
        expected = int(doc.get("n_train", n_train))
    except (TypeError, ValueError, AttributeError):
        raise DatasetError(
            f"label_overrides {where}: relabel must map positions to classes, drop list positions"
        ) from None
    if expected != n_train:
        raise DatasetError(
            f"label_overrides {where} was written for a training split of {expected} samples, this one has "
            f"{n_train}: use the same dataset, val_fraction and data_seed as the reviewed run"
        )
    bad = [i for i in [*relabel, *drop] if not 0 <= i < n_train] + [
        v for v in relabel.values() if not 0 <= v < n_classes
    ]
    if bad:
        raise DatasetError(f"label_overrides {where}: {bad[0]} is not a training position or class of this data")
    return relabel, drop


def tamper(
    spec: DataSpec, train_x: torch.Tensor, train_y: torch.Tensor, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor, Tampering]:
    """The training split as the options make it: labels flipped (label_noise), images poisoned (backdoor),
    then the overrides applied; raw (unnormalised) inputs in and out. DatasetError for options that do not fit."""
    import numpy as np
    import torch

    is_image = train_x.dim() == 4
    problems = poisoning_problems(spec, "image" if is_image else "tabular", n_classes)
    if problems:
        raise DatasetError(str(problems[0]))
    y = train_y.numpy().copy()
    flipped = np.zeros(0, dtype=np.int64)
    true_labels = np.zeros(0, dtype=np.int64)
    if spec.label_noise > 0:
        noisy, flipped = flip_labels(
            y, n_classes, spec.label_noise, spec.noise_kind, spec.noise_from, spec.noise_to, spec.data_seed
        )
        true_labels, y = y[flipped], noisy
    poisoned = np.zeros(0, dtype=np.int64)
    value = 0.0
    x = train_x
    if spec.poison_fraction > 0:
        poisoned = pick_poisoned(y, spec.poison_fraction, spec.poison_target, spec.data_seed)
        value = float(train_x.max()) if len(train_x) else 1.0
        x = train_x.clone()
        index = torch.from_numpy(poisoned)
        x[index] = stamp_trigger(train_x.index_select(0, index), value)
        y[poisoned] = spec.poison_target
    relabelled = dropped = 0
    if spec.label_overrides:
        relabel, drop = read_overrides(spec.label_overrides, len(y), n_classes)
        for position, label in relabel.items():
            relabelled += int(y[position] != label)
            y[position] = label
        if drop:
            keep = np.ones(len(y), dtype=bool)
            keep[drop] = False
            new_position = np.cumsum(keep) - 1
            x = x[torch.from_numpy(keep)]
            y = y[keep]
            kept_flips = keep[flipped]
            flipped, true_labels = new_position[flipped[kept_flips]], true_labels[kept_flips]
            poisoned = new_position[poisoned[keep[poisoned]]]
            dropped = len(drop)
        still_wrong = y[flipped] != true_labels  # a flip the overrides put right is no longer a wrong label
        flipped, true_labels = flipped[still_wrong], true_labels[still_wrong]
    record = Tampering(
        flipped=tuple(int(i) for i in flipped),
        true_labels=tuple(int(v) for v in true_labels),
        poisoned=tuple(int(i) for i in poisoned),
        trigger_value=value,
        relabelled=relabelled,
        dropped=dropped,
    )
    return x, torch.from_numpy(y), record
