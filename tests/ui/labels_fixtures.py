"""What the label-review UI tests share: a small Review with drawn samples, written into a run directory."""

from __future__ import annotations

from pathlib import Path

from tui_trainer.core.runs.review_file import Flagged, Review, write_review
from tui_trainer.core.spec.experiment import Experiment, dumps

DIGITS = tuple(str(d) for d in range(10))


def image(seed: int) -> tuple[tuple[int, ...], ...]:
    """An 8x8 grey test image: a bright diagonal band that moves with the seed."""
    return tuple(tuple(255 if (x + y + seed) % 8 < 2 else 20 for x in range(8)) for y in range(8))


def small_review(run_dir: Path, n: int = 6) -> Review:
    """A review of n flagged digits: sample i given class i % 10, suggested (i + 3) % 10, every second one flipped."""
    flagged = tuple(
        Flagged(
            index=10 * i + 1,
            given=i % 10,
            suggested=(i + 3) % 10,
            self_confidence=0.01 * i,
            suggested_confidence=0.9 - 0.05 * i,
            flipped=i % 2 == 0,
            true_label=(i + 3) % 10 if i % 2 == 0 else None,
            image=image(i),
        )
        for i in range(n)
    )
    return Review(
        run_dir=str(run_dir),
        folds=5,
        epochs=10,
        n_train=100,
        class_names=DIGITS,
        thresholds=(0.8,) * 10,
        flagged=flagged,
        out_of_sample_accuracy=0.8,
        n_flipped=20,
        precision=0.5,
        recall=0.15,
        data={"dataset": "digits", "val_fraction": 0.2, "data_seed": 0},
    )


def reviewed_run(root: Path, experiment: Experiment, n: int = 6) -> tuple[Path, Review]:
    """A run directory holding experiment.toml and a review.json."""
    run_dir = root / "2026-12-01_10-00-00_mlp_digits"
    run_dir.mkdir(parents=True)
    (run_dir / "experiment.toml").write_text(dumps(experiment), encoding="utf-8")
    review = small_review(run_dir, n)
    write_review(run_dir, review)
    return run_dir, review
