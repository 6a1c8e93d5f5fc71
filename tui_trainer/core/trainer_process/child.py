"""The training process itself: import torch, say ready, then train runs and answer calls until told to quit.

Started as `python -m tui_trainer.core.trainer_process.child READ_FD WRITE_FD` by pipes.spawn.
"""

from __future__ import annotations

import pickle
import sys

from tui_trainer.core.events import RunEnded
from tui_trainer.core.trainer_process.errors import TrainerProcessError
from tui_trainer.core.trainer_process.pipes import Duplex


class _Controls:
    """The child's should_stop: reads the parent's commands without blocking; parks while paused."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.stopped = self.paused = self.quit = False

    def reset(self) -> None:
        self.stopped = self.paused = False

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind in ("stop", "quit"):
            self.stopped = True
            self.quit = self.quit or kind == "quit"
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False

    def __call__(self) -> bool:
        while self.conn.poll():
            self._handle(self.conn.recv())
        while self.paused and not self.stopped:
            if self.conn.poll(0.1):
                self._handle(self.conn.recv())
        return self.stopped


def serve(conn) -> None:
    """The child's main: import torch, say ready, then train each run asked for until told to quit."""
    try:
        _, threads, pickled_run = conn.recv()
        run = pickle.loads(pickled_run)
        import torch

        from tui_trainer.core.devices import available_devices
        from tui_trainer.core.runs.session import train_and_save

        run = run or train_and_save
        conn.send(("ready", ("auto", *available_devices())))
    except BaseException as exc:  # noqa: BLE001 - the parent shows it
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    controls = _Controls(conn)

    def send_event(event) -> None:
        conn.send(("event", event))

    while not controls.quit:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the app is gone
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a function that cannot be imported here
            conn.send(("unreadable", f"{type(exc).__name__}: {exc}"))
            continue
        if message[0] == "call":
            _answer(conn, message[1], message[2])
            continue
        if message[0] != "run":
            controls._handle(message)  # a late stop/pause between runs: nothing to do
            continue
        _, experiment, runs_dir, resume = message
        controls.reset()
        torch.set_num_threads(experiment.train.threads or threads)
        try:
            end = run(experiment, on_event=send_event, should_stop=controls, runs_dir=runs_dir, resume=resume)
        except (BrokenPipeError, EOFError):
            return
        except Exception as exc:  # a bug or an unexpected failure: the app shows it and stays alive
            end = RunEnded("failed", f"{type(exc).__name__}: {exc}", "this looks like a bug: please report it")
            send_event(end)
        try:
            conn.send(("done", end))
        except OSError:
            return


def _answer(conn, function, args) -> None:
    """Run a call() request and send back (True, result) or (False, the exception)."""
    try:
        reply = (True, function(*args))
    except Exception as exc:  # noqa: BLE001 - raised again in the parent
        reply = (False, exc)
    try:
        conn.send(("result", reply))
    except Exception as exc:  # noqa: BLE001 - the result or exception cannot be pickled
        conn.send(("result", (False, TrainerProcessError(f"{type(exc).__name__}: {exc}"))))


if __name__ == "__main__":
    serve(Duplex(int(sys.argv[1]), int(sys.argv[2])))
