"""review.json and label_overrides.json: the review's findings and the queue's decisions, as files (torch-free)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_trainer.core.runs.files import OVERRIDES, REVIEW, RunError, atomic_write_text

REVIEW_FORMAT = 1
MAX_DRAWN = 300
"""review.json carries the pixels (or features) of at most this many flagged samples, least believed first."""


@dataclass(frozen=True)
class Flagged:
    """One suspicious training label."""

    index: int
    """Its position in the training split (as the reviewed run trained it)."""
    given: int
    """The label it was trained with."""
    suggested: int
    """The class confident learning believes instead."""
    self_confidence: float
    """The out-of-sample probability of the given label."""
    suggested_confidence: float
    flipped: bool | None = None
    """True when the label noise flipped it (its true label is then `true_label`); None when no noise was injected."""
    true_label: int | None = None
    image: tuple[tuple[int, ...], ...] = ()
    """Grey pixel rows 0-255 (at most 16 wide) for images; () otherwise or past MAX_DRAWN."""
    features: tuple[float, ...] = ()
    """The standardised features of a tabular sample (at most 8)."""


@dataclass(frozen=True)
class Review:
    """What `tui-trainer review` found about a run's training labels."""

    run_dir: str
    folds: int
    epochs: int
    n_train: int
    class_names: tuple[str, ...]
    thresholds: tuple[float, ...]
    flagged: tuple[Flagged, ...]
    out_of_sample_accuracy: float
    """Share of training samples whose out-of-sample prediction agrees with the given label."""
    n_flipped: int | None = None
    """Labels the noise flipped (None: no noise injected)."""
    precision: float | None = None
    """Share of the flagged labels that really were flipped."""
    recall: float | None = None
    """Share of the flipped labels that were flagged."""
    data: dict[str, Any] = field(default_factory=dict)
    """The reviewed data's name, val_fraction and data_seed (what label_overrides.json must fit)."""

    def words(self) -> str:
        """One line: what was flagged, and against the truth when noise was injected."""
        text = (
            f"review: {len(self.flagged)} of {self.n_train} training labels flagged ({self.folds}-fold, "
            f"{self.epochs} epochs each; out-of-sample agreement with the given labels {self.out_of_sample_accuracy:.1%})"
        )
        if self.n_flipped is not None and self.precision is not None and self.recall is not None:
            text += (
                f"; against the {self.n_flipped} labels the noise flipped: precision {self.precision:.1%}, "
                f"recall {self.recall:.1%}"
            )
        return text

    def as_dict(self) -> dict[str, Any]:
        """The review.json document (and `review --json`)."""
        return {
            "format": REVIEW_FORMAT,
            "run_dir": self.run_dir,
            "folds": self.folds,
            "epochs": self.epochs,
            "n_train": self.n_train,
            "class_names": list(self.class_names),
            "thresholds": list(self.thresholds),
            "out_of_sample_accuracy": self.out_of_sample_accuracy,
            "n_flagged": len(self.flagged),
            "n_flipped": self.n_flipped,
            "precision": self.precision,
            "recall": self.recall,
            "data": dict(self.data),
            "flagged": [
                {
                    "index": f.index,
                    "given": f.given,
                    "suggested": f.suggested,
                    "self_confidence": f.self_confidence,
                    "suggested_confidence": f.suggested_confidence,
                    "flipped": f.flipped,
                    "true_label": f.true_label,
                    **({"image": [list(row) for row in f.image]} if f.image else {}),
                    **({"features": list(f.features)} if f.features else {}),
                }
                for f in self.flagged
            ],
        }


def review_from_dict(doc: dict[str, Any]) -> Review:
    """A Review back from as_dict(); ValueError (KeyError, TypeError) when the document does not fit."""
    flagged = tuple(
        Flagged(
            index=int(f["index"]),
            given=int(f["given"]),
            suggested=int(f["suggested"]),
            self_confidence=float(f["self_confidence"]),
            suggested_confidence=float(f["suggested_confidence"]),
            flipped=f.get("flipped"),
            true_label=f.get("true_label"),
            image=tuple(tuple(int(v) for v in row) for row in f.get("image", ())),
            features=tuple(float(v) for v in f.get("features", ())),
        )
        for f in doc["flagged"]
    )
    return Review(
        run_dir=str(doc["run_dir"]),
        folds=int(doc["folds"]),
        epochs=int(doc["epochs"]),
        n_train=int(doc["n_train"]),
        class_names=tuple(str(c) for c in doc["class_names"]),
        thresholds=tuple(float(t) for t in doc["thresholds"]),
        flagged=flagged,
        out_of_sample_accuracy=float(doc["out_of_sample_accuracy"]),
        n_flipped=doc.get("n_flipped"),
        precision=doc.get("precision"),
        recall=doc.get("recall"),
        data=dict(doc.get("data", {})),
    )


def write_review(run_dir: str | Path, review: Review) -> Path:
    """Write review.json into the run directory (atomically); RunError when it cannot."""
    path = Path(run_dir) / REVIEW
    try:
        atomic_write_text(path, json.dumps(review.as_dict()) + "\n")
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def read_review(run_dir: str | Path) -> Review:
    """The run's review.json; RunError (a message for users) when there is none or it is damaged."""
    path = Path(run_dir) / REVIEW
    try:
        return review_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise RunError(f"{path.parent} has no review yet: run tui-trainer review {path.parent}") from None
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError):
        raise RunError(f"{path} is damaged: review the run again") from None


def write_overrides(run_dir: str | Path, review: Review, relabel: dict[int, int], drop: list[int]) -> Path:
    """Write the queue's decisions as label_overrides.json into the reviewed run's directory; the data option
    label_overrides = that path retrains on the corrected labels. RunError when it cannot be written."""
    path = Path(run_dir) / OVERRIDES
    doc = {
        "format": 1,
        **review.data,
        "n_train": review.n_train,
        "relabel": {str(k): int(v) for k, v in sorted(relabel.items())},
        "drop": sorted(int(i) for i in drop),
    }
    try:
        atomic_write_text(path, json.dumps(doc, indent=1) + "\n")
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
