"""The app's run when it trains in its child process (the default): a chunk gate inside that process.

The app's ProcessBackend gets ChildRun as its run function; the child calls it with each RunRequest
instead of the pipeline's run (which it then calls itself, with the generated bundle as its data= and
a gate in front of should_stop, like _loops.AppEngine does for the thread mode). The gate talks to
the benchmark over a socket of its own (ProcessChunked connects it): ("config", cfg) once per run,
then ("go", seconds) or ("stop",) from the benchmark; ("ready",) at the first batch,
("chunk", figures, points_seen) after each chunk and ("ended", text) from the child.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import threading
from multiprocessing.connection import Client, Listener

from _loops import LoopError, Meter, make_bundle


class ChildRun:
    """Picklable: the address and key of the benchmark's socket; everything else happens in the child."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self.address, self.authkey = address, authkey

    def __call__(self, request, *, on_event, should_stop):
        from tui_trainer.core.pipeline.execute import run

        conn = Client(self.address, authkey=self.authkey)
        _, cfg, device = conn.recv()
        meter = Meter("app", cfg.n_train, cfg.batch_size, device)
        bundle = make_bundle(cfg.shape, cfg.n_train)  # before RunStarted: never timed

        def gate() -> bool:
            if meter.in_eval:
                return False
            if meter.running:
                if not meter.due():
                    meter.count()
                    return False
                conn.send(("chunk", meter.finish(), meter.points_seen))
            else:
                conn.send(("ready",))
            message = conn.recv()
            if message[0] == "stop":
                return True
            meter.start(message[1], None)  # torch threads: as the training process set them
            meter.count()
            return False

        def events(event) -> None:
            meter.observe(event)
            on_event(event)

        def stop() -> bool:
            return (meter.training and gate()) or should_stop()

        ended = "returned"
        try:
            result = run(request, on_event=events, should_stop=stop, data=bundle)
            ended = repr(meter.ended or result)
            return result
        except BaseException as exc:
            ended = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            try:
                conn.send(("ended", ended))
            except OSError:
                pass
            conn.close()


class ProcessChunked:
    """The benchmark's side of ChildRun, with the interface bench.py uses for _loops.Chunked."""

    def __init__(self) -> None:
        self.authkey = secrets.token_bytes(16)
        self.address = os.path.join(tempfile.mkdtemp(prefix="tui-trainer-bench-"), "gate.sock")
        self.listener = Listener(self.address, family="AF_UNIX", authkey=self.authkey)
        self.run_function = ChildRun(self.address, self.authkey)
        self.conn = None
        self.ended = None
        self.points_seen = 0
        self._lock = threading.Lock()

    def attach(self, cfg, device: str) -> asyncio.Future:
        """Before the app's run starts: a future set when the run waits at its first batch."""
        self.ended, self.points_seen = None, 0

        async def first_batch() -> None:
            self.conn = await asyncio.to_thread(self.listener.accept)
            self.conn.send(("config", cfg, device))
            await self._expect("ready", timeout=300)

        return asyncio.ensure_future(first_batch())

    async def _expect(self, kind: str, timeout: float):
        try:
            message = await asyncio.wait_for(asyncio.to_thread(self._recv), timeout)
        except TimeoutError:
            raise LoopError(f"app (process): no {kind!r} from the training process in {timeout:.0f} s") from None
        if message[0] != kind:
            self.ended = message[1] if message[0] == "ended" else message
            raise LoopError(f"app (process): expected {kind!r}, got {message!r}")
        return message

    def _recv(self):
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return ("ended", "the training process closed the gate")

    async def chunk(self, seconds: float, timeout: float = 120.0):
        self.conn.send(("go", seconds))
        _, figures, self.points_seen = await self._expect("chunk", seconds + timeout)
        return figures

    def stop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.send(("stop",))
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
