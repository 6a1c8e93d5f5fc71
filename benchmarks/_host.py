"""The headless loops (limit, naive, engine) in a child process, on that process's one thread.

Why a separate process: libgomp slows every multi-threaded torch op in a process where another
live thread has run one (each such thread keeps its own OpenMP team). The app does that: its data
preview runs torch ops on a Textual thread-pool thread that lives on. Measured here with an idle
TrainerApp in the process, a 2-thread LeNet batch-32 loop fell from 13,000 to 5,800 samples/s (a
thread that once ran a 2-thread matmul did the same: 12,500 -> 5,700). The headless CLI has no such
thread, so the headless loops run where none exists: one thread in a process of their own, which
is also where the data for them is generated. The app's run (cores - 1 = 1 torch thread here)
stays in the app's process.

Protocol (HostProcess -> server, one request at a time, one reply each): ("threads",),
("setup", cfg) (replies once the engine waits at its first batch), ("chunk", loop, seconds,
threads), ("finish",) (stops the engine), ("close",). While the engine is parked between chunks
(inside its should_stop) the server answers the other loops' requests from there.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import traceback

from _loops import Config, LoopError, Meter, _model_and_optimizer, experiment, make_bundle, n_batches


class HostProcess:
    """The benchmark's handle on the host process (start it before Textual replaces sys.stderr)."""

    def __init__(self, device: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, device), name="bench-host", daemon=True)
        self._proc.start()
        child.close()

    async def _ask(self, *request, timeout: float = 300.0):
        self._conn.send(request)
        try:
            ok, value = await asyncio.wait_for(asyncio.to_thread(self._recv), timeout)
        except TimeoutError:
            raise LoopError(f"the host process did not answer {request[0]!r} in {timeout:.0f} s") from None
        if not ok:
            raise LoopError(f"host process, {request[0]}: {value}")
        return value

    def _recv(self):
        try:
            return self._conn.recv()
        except EOFError:
            return False, f"the host process exited (code {self._proc.exitcode})"

    async def default_threads(self) -> int:
        """torch's own thread count there (what the headless CLI trains with)."""
        return await self._ask("threads")

    async def setup(self, cfg: Config) -> None:
        await self._ask("setup", cfg)

    async def chunk(self, loop: str, seconds: float, threads: int | None):
        """(samples, training seconds, torch threads, thread CPU time / wall time) of one chunk."""
        return await self._ask("chunk", loop, seconds, threads, timeout=seconds + 120)

    async def finish(self) -> None:
        await self._ask("finish", timeout=60)

    async def close(self) -> None:
        if self._proc.is_alive():
            try:
                await self._ask("close", timeout=30)
            except LoopError:
                pass
        await asyncio.to_thread(self._proc.join, 30)


def _serve(conn, device: str) -> None:
    _Server(conn, device).serve()


class _Server:
    def __init__(self, conn, device: str) -> None:
        self.conn, self.device = conn, device
        self.bundles: dict[tuple, object] = {}
        self.loops: dict[str, tuple] = {}
        self.state = "idle"
        """idle | starting (setup pending) | parked | chunk (engine chunk pending) | finishing."""
        self.closing = False

    def reply(self, value=None, error: str | None = None) -> None:
        self.conn.send((error is None, value if error is None else error))

    def serve(self) -> None:
        while not self.closing:
            self.handle(self.conn.recv())

    def handle(self, request) -> None:
        kind = request[0]
        try:
            if kind == "threads":
                import torch

                self.reply(torch.get_num_threads())
            elif kind == "close":
                self.closing = True
                self.reply()
            elif kind == "finish":  # the engine is not running (it handles finish while parked)
                self.loops.clear()
                self.reply()
            elif kind == "setup" and self.state == "idle":
                self.setup(request[1])
            elif kind == "chunk" and request[1] in self.loops:
                self.reply(self.loop_chunk(*request[1:]))
            else:
                self.reply(error=f"cannot {request!r} now (engine {self.state})")
        except Exception:  # noqa: BLE001 - the benchmark shows it
            self.reply(error=traceback.format_exc())

    # ------------------------------------------------------------ limit and naive

    def setup(self, cfg: Config) -> None:
        key = (cfg.shape, cfg.n_train)
        if key not in self.bundles:
            self.bundles[key] = make_bundle(cfg.shape, cfg.n_train)
        bundle = self.bundles[key]
        self.setup_loops(cfg, bundle)
        self.run_engine(cfg, bundle)

    def setup_loops(self, cfg: Config, bundle) -> None:
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset

        device, bs = self.device, cfg.batch_size
        # limit: pre-made batches (views) already on the device; no .item()
        model, opt = _model_and_optimizer(cfg, device)
        x, y = bundle.train_x.to(device), bundle.train_y.to(device)
        batches = itertools.cycle([(x[i : i + bs], y[i : i + bs]) for i in range(0, n_batches(len(x), bs) * bs, bs)])

        def limit_step() -> int:
            xb, yb = next(batches)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return yb.shape[0]

        # naive: the lecture's loop
        nmodel, nopt = _model_and_optimizer(cfg, device)
        loader = DataLoader(TensorDataset(bundle.train_x, bundle.train_y), batch_size=bs, shuffle=True)
        nbatches = (b for _ in itertools.count() for b in loader)

        def naive_step() -> int:
            xb, yb = next(nbatches)
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(nmodel(xb), yb)
            nopt.zero_grad()
            loss.backward()
            nopt.step()
            loss.item()
            return yb.shape[0]

        model.train()
        nmodel.train()
        self.loops = {
            "limit": (limit_step, Meter("limit", len(x), bs, device)),
            "naive": (naive_step, Meter("naive", len(x), bs, device)),
        }

    def loop_chunk(self, name: str, seconds: float, threads: int | None):
        step, meter = self.loops[name]
        meter.start(seconds, threads)
        while not meter.due():
            meter.count(step())
        return meter.finish()

    # ------------------------------------------------------------ the engine

    def run_engine(self, cfg: Config, bundle) -> None:
        """tui-trainer's engine headless: the pipeline's run(RunRequest(experiment, runs_dir=None), data=bundle)."""
        from tui_trainer.core.pipeline.execute import run
        from tui_trainer.core.pipeline.request import RunRequest

        meter = Meter("engine", len(bundle.train_x), cfg.batch_size, self.device)

        def should_stop() -> bool:
            return self.gate(meter) if meter.training else False

        self.state = "starting"
        error = None
        try:
            request = RunRequest(experiment(cfg, self.device), runs_dir=None)
            run(request, on_event=meter.observe, should_stop=should_stop, data=bundle)
        except Exception:  # noqa: BLE001
            error = traceback.format_exc()
        state, self.state = self.state, "idle"
        if state == "finishing":
            self.loops.clear()
            self.reply(error=error) if error else self.reply()
        else:  # ended by itself: whoever waits hears why
            self.reply(error=error or f"the engine ended on its own: {meter.ended}")

    def gate(self, meter: Meter) -> bool:
        """The engine's should_stop while it trains: count the batch, or end the chunk and serve until the next."""
        if meter.in_eval:
            return False
        if meter.running:
            if not meter.due():
                meter.count()
                return False
            self.reply(meter.finish())
        else:
            self.reply()  # setup done: the engine waits at its first batch
        self.state = "parked"
        while True:
            request = self.conn.recv()
            if request[0] == "chunk" and request[1] == "engine":
                self.state = "chunk"
                meter.start(*request[2:])
                meter.count()
                return False
            if request[0] in ("finish", "close"):
                self.state = "finishing"
                self.closing = request[0] == "close"
                return True
            self.handle(request)
