"""Keeping Python's garbage collector from freezing the UI: no collections during start-up, then freeze what it
made and collect rarely."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

GC_THRESHOLDS = (50_000, 20, 50)
"""Instead of Python's (700, 10, 10): docs/architecture.md, "Throttles" says why."""
FULL_SETTLE_GROWTH = 0.10
"""A settle also frees the frozen objects that died once the frozen set grew this much (a share of
its size after the last such settle): each such settle scans every object (150-300 ms here)."""


@contextmanager
def held_collections() -> Iterator[None]:
    """No collections until the app's first settle (MemorySettler.settle enables them), or until the block ends:
    start-up makes tens of thousands of objects (imports, the widget tree) that all live on, and Python's default
    thresholds scan them over and over before the first frame."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class MemorySettler:
    """Collects, freezes the survivors and makes collections rarer, for the whole process.

    Full collections scan every long-lived Textual object and freeze the UI while they do; frozen
    objects are never scanned again (docs/architecture.md, "Throttles"). Nor are they ever collected:
    a frozen widget replaced later (the footer's keys, a redrawn table's cells, a closed screen) is
    garbage in reference cycles that no collection sees, and freezing at every run start grew the UI
    by about 1 MB a run. So a settle is cheap (collect what is not frozen, freeze the survivors) while
    the frozen set stays within FULL_SETTLE_GROWTH of its size after the last full settle; past it the
    settle unfreezes everything and collects again, which frees what died meanwhile. Python's own rule
    for its full collections is alike (a quarter more long-lived objects).
    """

    def __init__(self, growth: float = FULL_SETTLE_GROWTH) -> None:
        """growth: how much the frozen set may grow (share) before a settle frees its dead objects."""
        self.growth = growth
        self.frozen_after_full: int | None = None
        """How many objects were frozen after the last full settle (None: none yet)."""

    def settle(self) -> bool:
        """Collect and freeze the survivors (after start-up, at every run start); True when the frozen set
        had grown by `growth`, so this one also unfroze it and freed the frozen objects that had died."""
        if self.frozen_after_full is not None:
            gc.collect()
            gc.freeze()
            if gc.get_freeze_count() <= self.frozen_after_full * (1 + self.growth):
                gc.set_threshold(*GC_THRESHOLDS)
                return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.frozen_after_full = gc.get_freeze_count()
        gc.set_threshold(*GC_THRESHOLDS)
        gc.enable()  # held since start-up (held_collections)
        return True
