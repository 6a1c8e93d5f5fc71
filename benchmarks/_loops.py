"""What the benchmark's loops share: configurations, data, models, the per-chunk Meter, and the app side.

Every loop checks the clock before each training batch (the engine in its should_stop, through a
gate that parks it between chunks), so a loop keeps its model, optimizer and position across
chunks and the per-batch check (one perf_counter) is the same in every loop. The headless loops
run in a separate process (_host.py); the app's run trains in its child process (_appchild.py)
or, with --app-train-in thread, on a training thread of the app's process here.

torch is imported lazily and no torch op runs on the main thread (the Textual app's).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass

N_TRAIN = 60_000
"""MNIST-shaped training split (CIFAR-shaped: 50,000)."""
N_VAL = 1_000
"""Small on purpose: fit() evaluates it after every epoch; that time is taken out of the engine's figures."""
SEED = 0
LR, MOMENTUM = 0.01, 0.9


@dataclass(frozen=True)
class Config:
    key: str
    """JSON key, e.g. "lenet_bs32"."""
    model: str
    """"mlp" or "lenet"."""
    batch_size: int
    shape: tuple[int, int, int] = (1, 28, 28)
    n_train: int = N_TRAIN
    dataset: str = "digits28"
    """A registry name with the same shape, only so the app's "can I train?" checks pass; the data
    actually trained on is the generated bundle, handed to the pipeline's run(..., data=...)."""


def layers(model: str):
    """The model's layer stack: MLP 784-256-128-10, or the lecture's LeNet-5 as the lenet5 preset ships it."""
    from tui_trainer.core.spec.experiment import LayerSpec
    from tui_trainer.core.spec.presets import load_preset

    if model == "mlp":
        return (
            LayerSpec("Flatten"),
            LayerSpec("Linear", {"out_features": 256}),
            LayerSpec("ReLU"),
            LayerSpec("Linear", {"out_features": 128}),
            LayerSpec("ReLU"),
            LayerSpec("Linear", {"out_features": 10}),
        )
    return load_preset("lenet5").layers


def experiment(cfg: Config, device: str):
    """The experiment every loop trains: SGD momentum 0.9, lr 0.01, default init, seed 0, many epochs."""
    from tui_trainer.core.spec.experiment import DataSpec, Experiment, TrainSpec

    train = TrainSpec(
        optimizer="sgd",
        lr=LR,
        momentum=MOMENTUM,
        batch_size=cfg.batch_size,
        epochs=10_000,
        schedule="none",
        init="default",
        seed=SEED,
        device=device,
        threads=0,
    )
    return Experiment(name=f"bench-{cfg.key}", data=DataSpec(name=cfg.dataset), layers=layers(cfg.model), train=train)


def make_bundle(shape: tuple[int, ...], n_train: int):
    """Generated tensors (normal inputs, labels = argmax of a fixed random projection: learnable)."""
    import torch

    from tui_trainer.core.data.bundle import DataBundle

    g = torch.Generator().manual_seed(SEED)
    w = torch.randn(math.prod(shape), 10, generator=g)

    def split(n: int):
        x = torch.randn(n, *shape, generator=g)
        return x, (x.flatten(1) @ w).argmax(1)

    train_x, train_y = split(n_train)
    val_x, val_y = split(N_VAL)
    return DataBundle(
        name="bench",
        train_x=train_x,
        train_y=train_y,
        val_x=val_x,
        val_y=val_y,
        class_names=tuple(str(i) for i in range(10)),
        input_shape=tuple(shape),
        description="generated",
    )


def n_batches(n: int, batch_size: int) -> int:
    """Batches per epoch as TensorBatches, DataLoader and the pre-made list all count them."""
    full, rest = divmod(n, batch_size)
    return full + (1 if rest > 1 or (rest == 1 and full == 0) else 0)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


class LoopError(RuntimeError):
    """A loop ended or failed while the benchmark waited for it."""


class Meter:
    """Samples and training seconds of one chunk of a loop that asks gate-style "go on?" before each batch.

    For the engine, observe(event) takes its events: gating starts at RunStarted, and the time from
    an epoch's last BatchEnd to its EpochEnd (the validation pass) is not training: it is
    subtracted, and should_stop calls during it pass through uncounted.
    """

    def __init__(self, name: str, n_train: int, batch_size: int, device: str) -> None:
        self.name, self.device, self.batch_size = name, device, batch_size
        self.nb = n_batches(n_train, batch_size)
        self.last_size = n_train - (self.nb - 1) * batch_size
        self.training = False
        """Set at RunStarted: before it, should_stop is not gated (set-up)."""
        self.ended = None
        """The engine's RunEnded, once it came."""
        self.points_seen = 0
        self.running = False
        self.in_eval = False
        self._eval_t0 = self._eval_s = 0.0
        self._pos = self._samples = 0
        self._t0 = self._cpu0 = self._duration = 0.0
        self._threads = 0

    def start(self, seconds: float, threads: int | None) -> None:
        """Begin a chunk on the loop's thread; threads: torch threads to set there (None: keep)."""
        import torch

        if threads:
            torch.set_num_threads(threads)
        self._threads = torch.get_num_threads()
        self._samples, self._eval_s, self._duration = 0, 0.0, seconds
        _sync(self.device)
        self.running = True
        self._cpu0, self._t0 = time.thread_time(), time.perf_counter()

    def due(self) -> bool:
        return time.perf_counter() - self._t0 >= self._duration

    def count(self, n: int | None = None) -> None:
        """One batch more: n samples, or (engine) the size of the batch at this position of the epoch."""
        if n is None:
            n = self.last_size if self._pos % self.nb == self.nb - 1 else self.batch_size
            self._pos += 1
        self._samples += n

    def finish(self) -> tuple[int, float, int, float]:
        """(samples, training seconds, torch threads, thread CPU time / wall time) of the chunk."""
        _sync(self.device)
        wall = time.perf_counter() - self._t0
        cpu = time.thread_time() - self._cpu0
        self.running = False
        return self._samples, wall - self._eval_s, self._threads, cpu / wall

    def observe(self, event) -> None:
        from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunStarted

        if isinstance(event, RunStarted):
            self.training = True
        elif isinstance(event, BatchEnd):
            self.points_seen += 1
            if event.batch == event.batches:
                self.in_eval, self._eval_t0 = True, time.perf_counter()
        elif isinstance(event, EpochEnd):
            if self.in_eval and self.running:
                self._eval_s += time.perf_counter() - self._eval_t0
            self.in_eval = False
        elif isinstance(event, RunEnded):
            self.ended = event


def _resolver(aloop: asyncio.AbstractEventLoop):
    def resolve(fut: asyncio.Future, result=None, error: BaseException | None = None) -> None:
        def settle() -> None:
            if not fut.done():
                fut.set_exception(error) if error is not None else fut.set_result(result)

        aloop.call_soon_threadsafe(settle)

    return resolve


class Chunked(Meter):
    """The app's run (thread mode): trains on the ThreadBackend's training thread, parked in its should_stop
    between chunks.

    attach() (before the run starts) gives a future set at its first batch; chunk(seconds) lets it
    train that long and returns what Meter.finish returns; stop() makes should_stop say True.
    """

    def __init__(self, name: str, n_train: int, batch_size: int, device: str) -> None:
        super().__init__(name, n_train, batch_size, device)
        self._go = threading.Event()
        self._stop = False
        self._future: asyncio.Future | None = None
        self._seconds = 0.0
        self.thread = None

    def attach(self) -> asyncio.Future:
        aloop = asyncio.get_running_loop()
        self._resolve = _resolver(aloop)
        self._aloop = aloop
        self._future = aloop.create_future()
        return self._future

    async def chunk(self, seconds: float, timeout: float = 120.0):
        self._future = self._aloop.create_future()
        self._seconds = seconds
        self._go.set()
        return await asyncio.wait_for(self._future, seconds + timeout)

    def stop(self) -> None:
        self._stop = True
        self._go.set()

    def ended_unexpectedly(self, error: BaseException | None) -> None:
        """The run returned or raised (on the worker thread)."""
        if not self._stop and self._future is not None:
            self._resolve(self._future, error=error or LoopError(f"{self.name}: the run ended early: {self.ended}"))

    def gate(self) -> bool:
        if self.in_eval:
            return self._stop
        if self.running:
            if not self.due():
                self.count()
                return False
            self._resolve(self._future, self.finish())
        else:
            self._resolve(self._future, None)  # first batch reached: ready
        self._go.wait()
        self._go.clear()
        if self._stop:
            return True
        self.start(self._seconds, None)  # torch threads: as train_here set them
        self.count()
        return False


# ---------------------------------------------------------------- shared pieces


def _model_and_optimizer(cfg: Config, device: str):
    """The same initial weights fit() builds (seed, build_model, default init) and the same SGD."""
    import torch

    from tui_trainer.core.training.model import build_model

    torch.manual_seed(SEED)
    model = build_model(layers(cfg.model), cfg.shape, 10).to(device)
    return model, torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)


class AppEngine:
    """The run function given to the app's ThreadBackend: its real train_here, handed our bundle.

    train_here (torch threads, lazy imports) runs unchanged; only core.pipeline.execute.run is
    wrapped, for calls from this run's thread, so that it trains on the generated bundle (the same
    tensors as the headless loops: same generator seed). The gate sits in should_stop before the
    backend's own.
    """

    def __init__(self) -> None:
        self.chunked: Chunked | None = None
        self.config: Config | None = None
        self._bundles: dict[tuple, object] = {}

    def __call__(self, request, *, on_event, should_stop):
        import tui_trainer.core.pipeline.execute as execute_mod
        from tui_trainer.core.backend.thread import train_here

        ch, cfg = self.chunked, self.config
        ch.thread = threading.current_thread()
        real = execute_mod.run
        owner = threading.get_ident()

        def with_bundle(req, **kwargs):
            if threading.get_ident() == owner and kwargs.get("data") is None:
                # generated here, on the training thread after train_here set its threads, where
                # the real app loads its dataset; before RunStarted, so never timed
                key = (cfg.shape, cfg.n_train)
                if key not in self._bundles:
                    self._bundles[key] = make_bundle(cfg.shape, cfg.n_train)
                kwargs["data"] = self._bundles[key]
            return real(req, **kwargs)

        def events(event) -> None:
            ch.observe(event)
            on_event(event)

        def stop() -> bool:
            if ch.training and ch.gate():
                return True
            return should_stop()

        execute_mod.run = with_bundle
        error = None
        try:
            return train_here(request, on_event=events, should_stop=stop)
        except BaseException as exc:
            error = exc
            raise
        finally:
            execute_mod.run = real
            ch.ended_unexpectedly(error)
