"""Run functions for ProcessBackend tests: module-level so that the child process can unpickle them.

Each has the backend's run signature: (request: RunRequest, *, on_event, should_stop) -> RunEnded.
"""

from __future__ import annotations

import os
import sys
import threading


def printing_run(request, *, on_event, should_stop):
    """Writes to the child's stdout and stderr (Python and file-descriptor level), then trains."""
    from tui_trainer.core.pipeline.execute import run

    print("LEAK-stdout", flush=True)
    print("LEAK-stderr", file=sys.stderr, flush=True)
    os.write(1, b"LEAK-fd1\n")
    os.write(2, b"LEAK-fd2\n")
    return run(request, on_event=on_event, should_stop=should_stop)


def crashing_run(request, *, on_event, should_stop):
    """A bug in the child: the run raises."""
    raise ValueError("boom in the child")


def where_run(request, *, on_event, should_stop):
    """Reports the child's pid, thread and torch threads in a RunPhase, then ends."""
    import torch

    from tui_trainer.core.spec.events import RunEnded, RunPhase

    on_event(RunPhase(f"{os.getpid()} {threading.current_thread().name} {torch.get_num_threads()}"))
    end = RunEnded("finished", "reported")
    on_event(end)
    return end


def flood_run(request, *, on_event, should_stop):
    """Sends events as fast as it can until stopped: the parent must still get its stop through."""
    from tui_trainer.core.spec.events import RunEnded, RunPhase

    for i in range(2_000_000):
        if should_stop():
            end = RunEnded("stopped", f"stopped after {i} events")
            on_event(end)
            return end
        on_event(RunPhase(f"event {i}"))
    end = RunEnded("finished", "never stopped")
    on_event(end)
    return end


class GatedRun:
    """The pipeline's run, but the child cannot say Ready before the file `gate` exists: unpickling this
    object (the child's first step, before it imports torch) waits for it. A test thus knows the child is
    still starting for as long as it has not created the gate, however fast the machine is."""

    def __init__(self, gate: str) -> None:
        self.gate = gate

    def __reduce__(self):
        return (_wait_for_gate, (self.gate,))

    def __call__(self, request, *, on_event, should_stop):
        from tui_trainer.core.pipeline.execute import run

        return run(request, on_event=on_event, should_stop=should_stop)


def _wait_for_gate(gate: str) -> GatedRun:
    """Runs in the child while it unpickles its run function: block until the gate file exists."""
    wake = threading.Event()
    while not os.path.exists(gate):
        wake.wait(0.01)
    return GatedRun(gate)
