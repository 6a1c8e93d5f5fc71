"""Throttle: let something happen at most once per interval of a clock that tests can replace."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds from an arbitrary start (time.monotonic, time.perf_counter, or a test's simulated clock)."""


class Throttle:
    """At most one `ready()` per `interval` seconds of `clock`; the first call is always ready.

    Every rate cap of the app (batch events, events.jsonl lines, dashboard redraws) is one of these, so
    tests count what passes per simulated second instead of racing the wall clock.
    """

    def __init__(self, interval: float, clock: Clock = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.last = -math.inf
        """When ready() last said yes."""

    def ready(self) -> bool:
        """True (and the interval starts again) when at least `interval` passed since the last yes."""
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False
