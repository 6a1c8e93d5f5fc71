"""The learning-rate finder's result and its two rules (fastai's valley and steepest descent), torch-free."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

START_LR = 1e-7
"""The sweep's first rate (fastai's lr_find)."""
END_LR = 10.0
"""The sweep's last rate."""
STEPS = 100
"""Batches the sweep trains, one rate each, spaced evenly on a log scale."""
BETA = 0.98
"""Weight of the past in the smoothed loss (an exponential moving average, bias-corrected)."""
DIVERGE = 4.0
"""The sweep stops once the smoothed loss passes this many times its best."""
RULES = ("valley", "steep")


@dataclass(frozen=True)
class LrFinding:
    """One sweep: the rates tried and the smoothed loss at each, the suggested rate, the rule and why."""

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    """The smoothed training loss after each rate's batch."""
    suggestion: float | None
    """The suggested learning rate (None when the sweep is too short to suggest one)."""
    rule: str
    """"valley" (fastai's default) or "steep" (the steepest descent), the rule that suggested it."""
    why: str
    """One line: where the rule found the suggestion (without the rule's name)."""
    steepest: float | None = None
    """The steepest-descent rate, shown beside the valley's."""
    stopped: str = ""
    """Why the sweep ended before its last rate ("" when it ran through)."""

    def to_dict(self) -> dict[str, Any]:
        """The `lr-find --json` object."""
        return {
            "lrs": list(self.lrs),
            "losses": list(self.losses),
            "suggestion": self.suggestion,
            "rule": self.rule,
            "why": self.why,
            "steepest": self.steepest,
            "stopped": self.stopped,
        }


def sweep_rates(start: float = START_LR, end: float = END_LR, steps: int = STEPS) -> list[float]:
    """The rates of the sweep: start to end in `steps` steps evenly spaced on a log scale."""
    if steps < 2:
        return [start]
    ratio = end / start
    return [start * ratio ** (i / (steps - 1)) for i in range(steps)]


def _trimmed(lrs: list[float], losses: list[float]) -> tuple[list[float], list[float]]:
    """What the rules read (as fastai's): without the first tenth (the average is still warming up) and the last
    five points (the divergence), when enough is left."""
    skip = len(lrs) // 10
    if len(lrs) - skip - 5 >= 5:
        return lrs[skip:-5], losses[skip:-5]
    return lrs, losses


def valley(lrs: list[float], losses: list[float]) -> tuple[float, str] | None:
    """fastai's valley: the longest stretch over which the loss keeps falling (a longest decreasing
    subsequence); the suggestion sits halfway into its middle third. (rate, why) or None."""
    n = len(losses)
    if n < 3:
        return None
    longest = [1] * n
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
            if longest[end] < longest[i]:
                end, start = i, i - longest[i]
    third = (end - start) / 3  # start: one before the fall's first point (fastai's arithmetic)
    index = max(0, min(n - 1, start + int(third) + int(third / 2)))
    why = (
        f"the loss falls over {lrs[max(0, start)]:.1e}..{lrs[end]:.1e} (its longest fall); "
        f"the suggestion lies halfway into the middle third of it"
    )
    return lrs[index], why


def steep(lrs: list[float], losses: list[float]) -> tuple[float, str] | None:
    """The steepest descent: the rate where the loss falls fastest against log10(lr). (rate, why) or None."""
    if len(losses) < 3:
        return None
    slopes = [
        (losses[i + 1] - losses[i - 1]) / (math.log10(lrs[i + 1]) - math.log10(lrs[i - 1]))
        for i in range(1, len(lrs) - 1)
    ]
    best = min(range(len(slopes)), key=slopes.__getitem__)
    why = f"the loss falls fastest there ({slopes[best]:.2f} per tenfold rate)"
    return lrs[best + 1], why


def suggest(lrs: list[float], losses: list[float], rule: str = "valley") -> LrFinding:
    """The finding of a sweep's (rates, smoothed losses) by rule ("valley" falls back to "steep" when it
    finds no fall), with the steepest-descent rate beside it."""
    finite = [(lr, loss) for lr, loss in zip(lrs, losses, strict=True) if math.isfinite(loss)]
    xs, ys = _trimmed([lr for lr, _ in finite], [loss for _, loss in finite])
    steepest = steep(xs, ys)
    picked = valley(xs, ys) if rule == "valley" else steepest
    if picked is None and rule == "valley":
        picked, rule = steepest, "steep"
    if picked is None:
        return LrFinding(tuple(lrs), tuple(losses), None, rule, "the sweep is too short to suggest a rate")
    return LrFinding(tuple(lrs), tuple(losses), picked[0], rule, picked[1], steepest=steepest[0] if steepest else None)
