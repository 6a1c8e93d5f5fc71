"""Whether other work used the machine during the benchmark: all CPU time (/proc/stat) less this process tree's.

The load average counts the benchmark's own training processes (and the busy processes of the lag-beside-load
measurement), so it cannot tell a quiet machine from a shared one. Here the CPU seconds every core spent busy
are compared with those of this process, its children alive (walked through /proc) and its children that ended.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
QUIET_CORES = 0.15
"""Other work averaging more than this many cores makes the machine "loaded": no target is reported met."""


def _machine_busy_s() -> float:
    """CPU seconds all cores spent outside idle and iowait since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...); None once the process has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _tree_s(root: int) -> float:
    """CPU seconds of root's live descendants (utime + stime, and what their own ended children used)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        rest = _stat_fields(entry.name)
        if rest is None:
            continue
        pid = int(entry.name)
        parents[pid] = int(rest[1])
        times[pid] = sum(int(v) for v in rest[11:15]) / TICK  # utime stime cutime cstime
    total = 0.0
    for pid in times:
        p, seen = pid, 0
        while p > 1 and seen < 64:
            p, seen = parents.get(p, 0), seen + 1
            if p == root:
                total += times[pid]
                break
    return total


_claimed_s = [0.0]


def claim(cpu_s: float) -> None:
    """Count cpu_s seconds of a process outside this tree as the benchmark's own (a killed app's training
    process, which lives in a session of its own and so is no descendant once the app is gone)."""
    _claimed_s[0] += cpu_s


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (utime + stime) of a live process; None once it has ended."""
    rest = _stat_fields(pid)
    return None if rest is None else sum(int(v) for v in rest[11:13]) / TICK


def _own_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ended.ru_utime + ended.ru_stime + _tree_s(os.getpid()) + _claimed_s[0]


@dataclass
class LoadMeter:
    """Started when the benchmark starts; `foreign_cores()` is the average number of cores other work used since."""

    wall0: float = 0.0
    busy0: float = 0.0
    own0: float = 0.0

    def start(self) -> LoadMeter:
        self.wall0, self.busy0, self.own0 = time.monotonic(), _machine_busy_s(), _own_s()
        return self

    def foreign_cores(self) -> float:
        wall = max(1e-9, time.monotonic() - self.wall0)
        other = (_machine_busy_s() - self.busy0) - (_own_s() - self.own0)
        return max(0.0, other / wall)
