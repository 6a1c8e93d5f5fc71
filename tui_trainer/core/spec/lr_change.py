"""Changing the learning rate by hand while a run trains: checking the new value, and how a run's changes read."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

MAX_LR = 10.0
"""The largest rate accepted by hand (the lr field's own upper bound)."""


def parse_lr(text: str | float) -> float:
    """The learning rate typed (or computed) by the user; ValueError with a sentence for users when it is
    not a number, not finite, not above 0 or above MAX_LR."""
    raw = str(text).strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"the learning rate must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"the learning rate must be a finite number, not {raw}")
    if value <= 0:
        raise ValueError(f"the learning rate must be greater than 0, not {raw}")
    if value > MAX_LR:
        raise ValueError(f"the learning rate must be at most {MAX_LR:g}, not {raw}")
    return value


def change_dict(epoch: int, batch: int, step: int, old_lr: float, lr: float) -> dict[str, Any]:
    """One change as summary.json's "lr_changes" holds it."""
    return {"epoch": epoch, "batch": batch, "step": step, "old_lr": old_lr, "lr": lr}


def read_changes(summary: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """summary.json's "lr_changes" (the well-formed entries only; [] when absent)."""
    out = []
    for item in (summary or {}).get("lr_changes") or []:
        if not isinstance(item, dict):
            continue
        try:
            out.append(
                change_dict(
                    int(item["epoch"]), int(item["batch"]), int(item["step"]), float(item["old_lr"]), float(item["lr"])
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


def changes_words(changes: Iterable[Mapping[str, Any]]) -> str:
    """How a run's settings say it: "lr changed by hand at epoch 3 (0.1 -> 0.05)"; "" without changes."""
    parts = [f"epoch {c['epoch']} ({c['old_lr']:.3g} -> {c['lr']:.3g})" for c in changes]
    if not parts:
        return ""
    return "lr changed by hand at " + ", ".join(parts)


def steps_and_rates(changes: Iterable[Mapping[str, Any]]) -> dict[int, float]:
    """{optimizer steps done: the rate set then} (the exported script applies each before that step's batch)."""
    return {int(c["step"]): float(c["lr"]) for c in changes}
