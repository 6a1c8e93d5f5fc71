"""The training process itself: import torch, say Ready, then train runs and compute previews until told to quit.

Started as `python -m tui_trainer.core.backend.process.child READ_FD WRITE_FD` by pipes.spawn; the
messages are those of protocol.py.
"""

from __future__ import annotations

import dataclasses
import pickle
import signal
import sys

from tui_trainer.core.backend.process import protocol as p
from tui_trainer.core.backend.process.pipes import Duplex
from tui_trainer.core.spec.events import RunEnded, RunStatus

BUG_HINT = "this looks like a bug: please report it"


def without_history(end: RunEnded | None) -> RunEnded | None:
    """The run's end as it crosses the pipe: without its history (the EpochEnds before it carried every
    epoch). A 10,000-epoch run's history (each epoch with its ClassReport) took ~8 MB in the app's
    process for 3,000 epochs, unpickled twice (the RunEvent and Done), and the app keeps none of it."""
    return dataclasses.replace(end, history=()) if end is not None and end.history else end


class Controls:
    """The run's should_stop in the child: reads the parent's controls without blocking; parks while paused.

    Also the child's side of the connection: once the app is gone (Detach, or the pipe closed) the run goes
    on headless and nothing more is sent.
    """

    def __init__(self, conn: Duplex) -> None:
        self.conn = conn
        self.stopped = self.paused = self.quit = False
        self.detached = False
        """True once the app is gone: the run trains on, writing only its run directory."""
        self.training = False
        """True while a run trains (a SIGTERM then stops it; between runs it exits at once)."""
        self.lr: float | None = None
        """A learning rate the app asked for that the run has not taken yet."""

    def reset(self) -> None:
        """Before each run: not stopped, not paused, no rate asked for."""
        self.stopped = self.paused = False
        self.lr = None

    def take_lr(self) -> float | None:
        """The rate asked for since the last call, or None (the engine's LrRequests; called after __call__,
        which read the pipe)."""
        lr, self.lr = self.lr, None
        return lr

    def handle(self, message: p.ToChild) -> None:
        """Apply one control message (others are not expected while a run trains and are ignored)."""
        if isinstance(message, (p.Stop, p.Quit)):
            self.stopped = True
            self.quit = self.quit or isinstance(message, p.Quit)
        elif isinstance(message, p.Pause):
            self.paused = True
        elif isinstance(message, p.Resume):
            self.paused = False
        elif isinstance(message, p.SetLr):
            self.lr = message.lr
        elif isinstance(message, p.Detach):
            self.app_gone()

    def app_gone(self) -> None:
        """The app went away: train on headless; a paused run has nobody to resume it, so it stops (resumable)."""
        self.detached = self.quit = True
        self.stopped = self.stopped or self.paused

    def terminate(self) -> None:
        """SIGTERM (e.g. `kill PID` of a headless run): the run stops at its next batch, resumable, then the
        process exits; between runs it exits at once."""
        self.stopped = self.quit = True
        if not self.training:
            raise SystemExit(0)

    def send(self, message: p.FromChild) -> None:
        """Send to the app while it is there; a closed pipe means it is gone."""
        if self.detached:
            return
        try:
            self.conn.send(message)
        except OSError:  # BrokenPipeError: the app exited
            self.app_gone()

    def _read(self, block: bool) -> bool:
        """Handle one waiting control message (wait for one when block); False when none came or the app is gone."""
        if self.detached or not (block or self.conn.poll()):
            return False
        try:
            self.handle(self.conn.recv())
        except (EOFError, OSError):  # the app is gone
            self.app_gone()
            return False
        return True

    def __call__(self) -> bool:
        while self._read(block=False):
            pass
        if self.paused and not self.stopped:
            self.send(p.PauseAck(True))
            while self.paused and not self.stopped:  # parked: no CPU until the parent says more
                self._read(block=True)
            self.send(p.PauseAck(False))
        return self.stopped


def evaluate(request, controls: Controls, threads: int):  # noqa: ANN001, ANN201 - RobustnessRequest -> Result
    """A robustness evaluation in the child: progress goes to the app, a Stop ends it after its current chunk."""
    import torch

    from tui_trainer.core.analysis.robustness import evaluate_robustness
    from tui_trainer.core.spec.robustness import RobustnessResult

    controls.reset()
    torch.set_num_threads(threads)
    controls.training = True
    try:
        return evaluate_robustness(
            request,
            lambda progress: controls.send(p.EvaluationProgress(progress)),
            lambda: controls() or controls.detached,  # nobody is left to read it once the app is gone
        )
    except Exception as exc:  # a bug: the app shows it and stays alive
        return RobustnessResult(request.run_dir, problem=f"{type(exc).__name__}: {exc} ({BUG_HINT})")
    finally:
        controls.training = False


def serve(conn: Duplex) -> None:
    """The child's main: import torch, say Ready, then answer Train, Preview and Evaluate until Quit or EOF."""
    try:
        init = conn.recv()
        run = pickle.loads(init.run_function)
        import torch

        from tui_trainer.core.backend.base import boundary_here, lr_finding_here
        from tui_trainer.core.data.preview import preview_or_message
        from tui_trainer.core.pipeline.execute import run as pipeline_run
        from tui_trainer.core.training.devices import available_devices

        run = run or pipeline_run
        default_threads = init.threads or torch.get_num_threads()
        conn.send(p.Ready(("auto", *available_devices())))
    except BaseException as exc:  # noqa: BLE001 - the parent shows it
        conn.send(p.Broken(f"{type(exc).__name__}: {exc}"))
        return
    controls = Controls(conn)
    signal.signal(signal.SIGTERM, lambda _sig, _frame: controls.terminate())

    def send_event(event) -> None:
        controls.send(p.RunEvent(without_history(event) if isinstance(event, RunEnded) else event))

    while not controls.quit:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the app is gone
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a class that cannot be imported here
            conn.send(p.Unreadable(f"{type(exc).__name__}: {exc}"))
            continue
        if isinstance(message, p.Preview):
            conn.send(p.PreviewDone(preview_or_message(message.data)))
            continue
        if isinstance(message, p.BoundaryOf):
            conn.send(p.BoundaryDone(boundary_here(message.run_dir)))
            continue
        if isinstance(message, p.FindLr):
            torch.set_num_threads(message.experiment.train.threads or default_threads)
            conn.send(p.LrFound(lr_finding_here(message.experiment)))
            continue
        if isinstance(message, p.Evaluate):
            controls.send(p.EvaluationDone(evaluate(message.request, controls, default_threads)))
            continue
        if isinstance(message, p.Inspect):
            from tui_trainer.core.analysis.saved import inspect_or_message

            conn.send(p.InspectDone(inspect_or_message(message.run_dir, message.checkpoint, message.sample)))
            continue
        if not isinstance(message, p.Train):
            controls.handle(message)  # a late stop or pause between runs: nothing to do
            continue
        request = message.request
        controls.reset()
        threads = request.experiment.train.threads if request.experiment is not None else 0
        torch.set_num_threads(threads or default_threads)
        controls.training = True
        try:
            end = run(request, on_event=send_event, should_stop=controls)
        except Exception as exc:  # a bug or an unexpected failure: the app shows it and stays alive
            end = RunEnded(RunStatus.FAILED, f"{type(exc).__name__}: {exc}", BUG_HINT)
            send_event(end)
        finally:
            controls.training = False
        controls.send(p.Done(without_history(end)))


if __name__ == "__main__":
    serve(Duplex(int(sys.argv[1]), int(sys.argv[2])))
