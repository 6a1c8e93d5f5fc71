"""Classification metrics: confusion matrix, per-class precision/recall/F1/support, averages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Averages:
    """Precision, recall and F1 averaged over classes."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class ClassReport:
    """Everything the metrics panel shows, as plain Python values."""

    class_names: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    """confusion[true][predicted] = count; rows are the true classes."""
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    support: tuple[int, ...]
    accuracy: float
    macro: Averages
    """Unweighted mean over classes (each class counts the same)."""
    weighted: Averages
    """Mean over classes weighted by support."""

    def most_confused(self, k: int = 3) -> list[tuple[str, str, int]]:
        """The k largest off-diagonal cells as (true class, predicted class, count), count > 0."""
        cells = [
            (count, t, p) for t, row in enumerate(self.confusion) for p, count in enumerate(row) if t != p and count > 0
        ]
        cells.sort(key=lambda c: (-c[0], c[1], c[2]))
        return [(self.class_names[t], self.class_names[p], count) for count, t, p in cells[:k]]

    def to_dict(self) -> dict:
        """A JSON-ready dict with classes, confusion_matrix, per_class, macro, weighted, accuracy."""
        return {
            "accuracy": self.accuracy,
            "classes": list(self.class_names),
            "confusion_matrix": [list(row) for row in self.confusion],
            "per_class": [
                {"class": name, "precision": p, "recall": r, "f1": f, "support": s}
                for name, p, r, f, s in zip(self.class_names, self.precision, self.recall, self.f1, self.support)
            ],
            "macro": vars(self.macro),
            "weighted": vars(self.weighted),
        }


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def report_from_confusion(confusion: list[list[int]], class_names: tuple[str, ...]) -> ClassReport:
    """Per-class and averaged metrics from a confusion matrix (0 where a ratio is undefined, as sklearn)."""
    n = len(confusion)
    support = [sum(confusion[t]) for t in range(n)]
    predicted = [sum(confusion[t][p] for t in range(n)) for p in range(n)]
    correct = [confusion[c][c] for c in range(n)]
    precision = [_ratio(correct[c], predicted[c]) for c in range(n)]
    recall = [_ratio(correct[c], support[c]) for c in range(n)]
    f1 = [_ratio(2 * p * r, p + r) for p, r in zip(precision, recall)]
    total = sum(support)

    def avg(values: list[float], weights: list[int] | None) -> float:
        if weights is None:
            return sum(values) / n if n else 0.0
        return _ratio(sum(v * w for v, w in zip(values, weights)), total)

    return ClassReport(
        class_names=tuple(class_names),
        confusion=tuple(tuple(int(x) for x in row) for row in confusion),
        precision=tuple(precision),
        recall=tuple(recall),
        f1=tuple(f1),
        support=tuple(support),
        accuracy=_ratio(sum(correct), total),
        macro=Averages(avg(precision, None), avg(recall, None), avg(f1, None)),
        weighted=Averages(avg(precision, support), avg(recall, support), avg(f1, support)),
    )
