"""Keeping Python's garbage collector from freezing the UI: freeze what start-up made, collect rarely."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 50)
"""Instead of Python's (700, 10, 10): docs/architecture.md, "Throttles" says why."""


def settle_memory() -> None:
    """Collect once, freeze the survivors and make collections rarer, for the whole process.

    Full collections scan every long-lived Textual object and freeze the UI while they do; frozen
    objects are never scanned again (docs/architecture.md, "Throttles").
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
