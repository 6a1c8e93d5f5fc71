"""Run functions for TrainerProcess tests: module-level so that the child process can unpickle them."""

from __future__ import annotations

import os
import sys
import threading


def printing_run(experiment, *, on_event, should_stop, runs_dir, resume):
    """Writes to the child's stdout and stderr (Python and file-descriptor level), then trains."""
    from tui_trainer.core.runs.session import train_and_save

    print("LEAK-stdout", flush=True)
    print("LEAK-stderr", file=sys.stderr, flush=True)
    os.write(1, b"LEAK-fd1\n")
    os.write(2, b"LEAK-fd2\n")
    return train_and_save(experiment, on_event=on_event, should_stop=should_stop, runs_dir=runs_dir, resume=resume)


def crashing_run(experiment, *, on_event, should_stop, runs_dir, resume):
    """A bug in the child: the run raises."""
    raise ValueError("boom in the child")


def where_run(experiment, *, on_event, should_stop, runs_dir, resume):
    """Reports the child's pid, thread and torch threads in a RunPhase, then ends."""
    import torch

    from tui_trainer.core.events import RunEnded, RunPhase

    on_event(RunPhase(f"{os.getpid()} {threading.current_thread().name} {torch.get_num_threads()}"))
    end = RunEnded("finished", "reported")
    on_event(end)
    return end


def flood_run(experiment, *, on_event, should_stop, runs_dir, resume):
    """Sends events as fast as it can until stopped: the parent must still get its stop through."""
    from tui_trainer.core.events import RunEnded, RunPhase

    for i in range(2_000_000):
        if should_stop():
            end = RunEnded("stopped", f"stopped after {i} events")
            on_event(end)
            return end
        on_event(RunPhase(f"event {i}"))
    end = RunEnded("finished", "never stopped")
    on_event(end)
    return end
