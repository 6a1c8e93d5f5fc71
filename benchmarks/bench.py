#!/usr/bin/env python
"""tui-trainer performance benchmark: does the app train at the machine's speed?

    python benchmarks/bench.py [--quick] [--json] [--device cuda] [--threads N] [--only KEY ...]

Four training loops on the same model, optimizer (SGD momentum 0.9, lr 0.01), initial weights,
batch size and generated MNIST-shaped data (60,000 x 1x28x28), run interleaved in short chunks in
one benchmark run, each round visiting every loop once; figures are medians over the rounds:

  limit   pre-made batches already on the device: forward, cross-entropy, zero_grad, backward, step
  naive   the lecture's loop: DataLoader(TensorDataset(X, y), batch_size, shuffle=True), .item() each batch
  engine  tui-trainer's engine headless (core.pipeline.execute.run with the data given)
  app     the real TrainerApp under run_test(size=(120, 40)) training the same experiment through
          its real training backend, with the Train tab's plots, progress and metrics redrawing

limit, naive and engine run at torch's default thread count (what the headless CLI uses); limit@app
and engine@app are the same loops at the thread count the app's engine picked (cores - 1), so that
app / engine@app isolates what the live UI costs. The headless loops share one thread of a child
process (_host.py says why); the app runs in this process. Only one loop trains at any moment.

Plus the UI process's CPU time while the app trains (all its threads, over wall time), the UI event loop's
lag while the app trains (a 50 ms timer's lateness) on its own and beside two busy processes the bench
starts, and, in fresh subprocesses, the first painted frame of `tui-trainer` against that of an empty
Textual app, the time until the app can train, and `python -c "import torch"`. Other work on the machine is
measured (CPU time outside this process tree): when there was any, no target is reported met. See
benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # a clean checkout runs without installing

import _appchild  # noqa: E402
import _host  # noqa: E402
import _load  # noqa: E402
import _loops  # noqa: E402
import _startup  # noqa: E402

CONFIGS = {
    "mlp_bs32": _loops.Config("mlp_bs32", "mlp", 32),
    "mlp_bs256": _loops.Config("mlp_bs256", "mlp", 256),
    "lenet_bs32": _loops.Config("lenet_bs32", "lenet", 32),
    "lenet_bs256": _loops.Config("lenet_bs256", "lenet", 256),
}
CIFAR = {
    "lenet_cifar_bs32": _loops.Config("lenet_cifar_bs32", "lenet", 32, (3, 32, 32), 50_000, "cifar10"),
    "lenet_cifar_bs256": _loops.Config("lenet_cifar_bs256", "lenet", 256, (3, 32, 32), 50_000, "cifar10"),
}
LOOPS = ("limit", "naive", "engine", "limit@app", "engine@app", "app")
LAG_INTERVAL_S = 0.05
BUSY_PROCESSES = 2
"""CPU-bound processes the bench starts beside the app for `ui_lag_p99_ms` (the lag a user on a shared machine feels)."""
BUSY_SCRIPT = "while True:\n    pass"
TARGETS = {
    "engine_vs_limit": 0.95,
    "app_vs_headless": 0.90,
    "ui_cpu_share": 0.05,
    "ui_lag_p99_ms": 10.0,
    "first_frame_vs_empty": 1.5,
    "ready_vs_import_torch": 1.3,
}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def make_app_class():
    """TrainerApp plus a 50 ms lag probe: a set_interval timer whose Timer events carry their due time."""
    from textual import events

    from tui_trainer.ui.app import TrainerApp

    class BenchApp(TrainerApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.lag_ms: list[float] = []
            self.lag_window: tuple[float, float] | None = None
            self.lag_timer = self.set_interval(LAG_INTERVAL_S, name="bench-lag-probe", pause=True)

        @contextlib.contextmanager
        def lag_probed(self):
            """Record the probe's lateness while the block runs (an app chunk)."""
            self.lag_window = (time.monotonic(), float("inf"))
            self.lag_timer.resume()
            try:
                yield
            finally:
                self.lag_window = (self.lag_window[0], time.monotonic())
                self.lag_timer.pause()

        def on_timer(self, event: events.Timer) -> None:
            if (
                event.timer is self.lag_timer
                and self.lag_window
                and self.lag_window[0] <= event.time <= self.lag_window[1]
            ):
                self.lag_ms.append((time.monotonic() - event.time) * 1000)

    return BenchApp


class Bench:
    """Runs every configuration's loops interleaved, beside one live TrainerApp; keeps the raw figures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.samples: dict[str, dict[str, list[float]]] = {}
        """config -> loop -> samples/s of each recorded chunk (round order)."""
        self.threads: dict[str, int] = {}
        """loop -> torch threads it trained with (read on its own thread)."""
        self.train_cpu: dict[str, dict[str, list[float]]] = {}
        """config -> loop -> CPU time / wall time of the training thread in each chunk."""
        self.ui_cpu: dict[str, float] = {}
        """config -> median CPU time / wall time of the UI (main) thread during app chunks."""
        self.ui_process_cpu: dict[str, float] = {}
        """config -> CPU time of the whole UI process (every thread) / wall time while the app trains unpaused."""
        self.ui_process_cpu_in_chunks: dict[str, float] = {}
        """config -> the same, median over the rounds' app chunks (a diagnostic: it misses redraws)."""
        self.lag_ms: list[float] = []
        """Lateness of the 50 ms timer in the app during app chunks, all configurations."""
        self.lag_busy_ms: list[float] = []
        """The same during app chunks beside BUSY_PROCESSES busy processes."""
        self.app_points: dict[str, int] = {}
        """config -> points in the dashboard's batch-loss series at the end (what a redraw plots)."""
        self.profile = None

    async def run(self) -> None:
        import cProfile

        from tui_trainer.ui.tabs.train import TrainPane

        a = self.args
        host = _host.HostProcess(a.device)  # before run_test: Textual's stand-in stderr cannot be passed on
        self.gate = None
        self.app_engine = None
        runs_dir = tempfile.mkdtemp(prefix="tui-trainer-bench-")  # runs are saved as in the app
        if a.app_train_in == "process":  # the default: the app's run trains in its warm child process
            from tui_trainer.core.backend.process import ProcessBackend

            self.gate = _appchild.ProcessChunked()
            backend = ProcessBackend(run=self.gate.run_function)
            backend.warm_up()  # as open_backend does for `tui-trainer`: the child imports torch meanwhile
        else:
            from tui_trainer.core.backend.thread import ThreadBackend

            self.app_engine = _loops.AppEngine()
            devices = ("auto", "cpu") if a.device == "cpu" else ("auto", "cpu", a.device)
            backend = ThreadBackend(run=self.app_engine, devices=devices)  # no torch import to list devices
        app = make_app_class()(backend=backend, runs_dir=runs_dir, tune_gc=True)
        if a.profile_ui:
            self.profile = cProfile.Profile()
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                headless_threads = await host.default_threads()
                for key in a.only:
                    cfg = CONFIGS.get(key) or CIFAR[key]
                    await self.run_config(app, pilot, host, cfg, a.threads or headless_threads)
                    self.app_points[key] = len(app.query_one(TrainPane).current.batch_loss.xs)
        finally:
            await host.close()
            if self.gate is not None:
                self.gate.close()
        if self.profile is not None:
            self.profile.dump_stats(a.profile_ui)
            log(f"UI-thread profile of the steady windows written to {a.profile_ui}")

    async def run_config(self, app, pilot, host: _host.HostProcess, cfg, threads: int) -> None:
        device = self.args.device
        t0 = time.perf_counter()
        if self.gate is not None:
            app_run = self.gate
        else:
            app_run = _loops.Chunked("app", cfg.n_train, cfg.batch_size, device)
            self.app_engine.config, self.app_engine.chunked = cfg, app_run
        try:
            await host.setup(cfg)
            ready = app_run.attach(cfg, device) if self.gate is not None else app_run.attach()
            app.set_experiment(_loops.experiment(cfg, device))
            app.action_show_tab("train")  # the dashboard a user watches
            blockers = app.blockers()
            if blockers:
                raise RuntimeError(f"the app will not train: {blockers}")
            app.action_start()  # what the s key does
            await asyncio.wait_for(ready, 300)
            log(f"{cfg.key}: loops ready in {time.perf_counter() - t0:.1f} s")
            await self.rounds(app, host, app_run, cfg, threads)
            await self.steady(app_run, cfg)
            await self.beside_busy(app, app_run)
        finally:
            app_run.stop()
            while app.runs.running:
                await pilot.pause(0.05)
            await host.finish()
        med = {n: statistics.median(v) for n, v in self.samples[cfg.key].items()}
        log(
            f"{cfg.key}: "
            + "  ".join(f"{n} {v:,.0f}/s" for n, v in med.items())
            + f"  ({time.perf_counter() - t0:.0f} s)"
        )

    async def rounds(self, app, host: _host.HostProcess, app_run, cfg, threads: int) -> None:
        a = self.args
        ui_share: list[float] = []
        process_share: list[float] = []

        async def chunk(name: str, app_threads: int | None):
            if name.endswith("@app"):
                return await host.chunk(name[:-4], a.chunk_s, app_threads)
            if name != "app":
                return await host.chunk(name, a.chunk_s, threads)
            with app.lag_probed():
                ui_cpu0, process0, wall0 = time.thread_time(), process_cpu(), time.perf_counter()
                got = await app_run.chunk(a.chunk_s)  # torch threads: as the app's backend set them
                wall = time.perf_counter() - wall0
                ui_share.append((time.thread_time() - ui_cpu0) / wall)
                process_share.append((process_cpu() - process0) / wall)
            await asyncio.sleep(a.settle_s)  # the dashboard catches up before another loop runs
            return got

        # warm-up round, not recorded; the app first, to learn the thread count its engine uses
        app_threads = None
        for name in ("app", "limit", "naive", "engine", "limit@app", "engine@app"):
            got = await chunk(name, app_threads)
            if name == "app":
                app_threads = got[2]
        app.lag_ms.clear()
        ui_share.clear()
        process_share.clear()
        if app_run.ended is not None or app_run.points_seen == 0:
            raise RuntimeError("the app's run did not train")

        names = [n for n in LOOPS if not (n.endswith("@app") and app_threads == threads)]
        per = self.samples.setdefault(cfg.key, {n: [] for n in LOOPS})
        cpu = self.train_cpu.setdefault(cfg.key, {n: [] for n in LOOPS})
        for r in range(a.rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:  # rotate the order every round
                samples, seconds, used, share = await chunk(name, app_threads)
                per[name].append(samples / seconds)
                cpu[name].append(share)
                self.threads[name] = used
            for name in ("limit@app", "engine@app"):
                if name not in names:  # same thread count: the headless figures stand for both
                    per[name].append(per[name[:-4]][-1])
                    cpu[name].append(cpu[name[:-4]][-1])
                    self.threads[name] = self.threads[name[:-4]]
        self.ui_cpu[cfg.key] = statistics.median(ui_share)
        self.ui_process_cpu_in_chunks[cfg.key] = statistics.median(process_share)
        self.lag_ms += app.lag_ms
        app.lag_ms.clear()

    async def steady(self, app_run, cfg) -> None:
        """The UI process's CPU while the app trains without a pause for --steady-s seconds (ui_cpu_share): the
        rounds' chunks are shorter than the dashboard's redraw period, and its redraws fall in the pauses after
        them, so their CPU undercounts the dashboard (the more, the shorter the chunks: quick mode)."""
        if self.profile is not None:
            self.profile.enable()
        cpu0, wall0 = process_cpu(), time.perf_counter()
        await app_run.chunk(self.args.steady_s)
        self.ui_process_cpu[cfg.key] = (process_cpu() - cpu0) / (time.perf_counter() - wall0)
        if self.profile is not None:
            self.profile.disable()
        await asyncio.sleep(self.args.settle_s)

    async def beside_busy(self, app, app_run) -> None:
        """The app trains while BUSY_PROCESSES busy processes run: its timer's lateness (what a user on a shared
        machine feels). App chunks for --busy-s seconds in all; their speed is not recorded."""
        a = self.args
        # each in a session of its own, as other users' work is (an SSH login each): the kernel's autogroups share
        # the CPU between sessions first, then between a session's processes
        busy = [
            subprocess.Popen([sys.executable, "-c", BUSY_SCRIPT], start_new_session=True) for _ in range(BUSY_PROCESSES)
        ]
        try:
            for _ in range(max(1, round(a.busy_s / a.chunk_s))):
                with app.lag_probed():
                    await app_run.chunk(a.chunk_s)
                await asyncio.sleep(a.settle_s)
        finally:
            for proc in busy:
                proc.kill()
                proc.wait()
        self.lag_busy_ms += app.lag_ms
        app.lag_ms.clear()


def process_cpu() -> float:
    """CPU seconds of this whole process (every thread: the UI's, its pipe readers')."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def paired(per: dict[str, list[float]], num: str, den: str) -> dict[str, float]:
    """Median (and quartiles) of the per-round ratios num/den: chunks of one round ran seconds apart."""
    ratios = [n / d for n, d in zip(per[num], per[den])]
    return {"median": statistics.median(ratios), "p25": percentile(ratios, 25), "p75": percentile(ratios, 75)}


def summarise(
    bench: Bench, startup: dict[str, list[float]] | None, args, wall_s: float, load_start: float, foreign: float
) -> dict:
    import textual
    import torch

    out: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "textual": textual.__version__,
        },
        "device": args.device,
        "app_train_in": args.app_train_in,
        "quick": args.quick,
        "rounds": args.rounds,
        "chunk_s": args.chunk_s,
        "threads": bench.threads,
        "loadavg_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "other_work_cores": round(foreign, 3),
    }
    ratio_keys = {
        "engine_vs_limit": ("engine", "limit"),
        "engine_vs_limit_app_threads": ("engine@app", "limit@app"),
        "engine_vs_naive": ("engine", "naive"),
        "app_vs_engine": ("app", "engine@app"),
        "app_vs_headless": ("app", "engine"),
        "naive_vs_limit": ("naive", "limit"),
    }
    spreads = {}
    for key, (num, den) in ratio_keys.items():
        out[key] = {}
        for cfg, per in bench.samples.items():
            r = paired(per, num, den)
            out[key][cfg] = round(r["median"], 3)
            spreads.setdefault(key, {})[cfg] = [round(r["p25"], 3), round(r["p75"], 3)]
    out["ratio_p25_p75"] = spreads
    out["ui_cpu_share"] = {cfg: round(v, 3) for cfg, v in bench.ui_process_cpu.items()}
    lag, busy = bench.lag_ms, bench.lag_busy_ms
    out["ui_lag_p50_ms_quiet"] = round(percentile(lag, 50), 2)
    out["ui_lag_p99_ms_quiet"] = round(percentile(lag, 99), 2)
    out["ui_lag_max_ms_quiet"] = round(max(lag), 2) if lag else None
    out["ui_lag_samples_quiet"] = len(lag)
    out["ui_lag_p50_ms"] = round(percentile(busy, 50), 2)
    out["ui_lag_p99_ms"] = round(percentile(busy, 99), 2)
    out["ui_lag_max_ms"] = round(max(busy), 2) if busy else None
    out["ui_lag_samples"] = len(busy)
    if startup:
        for key, values in startup.items():
            out[key] = round(statistics.median(values), 3)
        out["ready_vs_import_torch"] = round(out["ready_s"] / out["import_torch_s"], 3)
        out["startup_runs"] = {k: [round(v, 3) for v in vals] for k, vals in startup.items()}
    out["medians_samples_per_s"] = {
        cfg: {n: round(statistics.median(v)) for n, v in per.items()} for cfg, per in bench.samples.items()
    }
    out["app_plot_points"] = bench.app_points
    out["diagnostics"] = {
        "train_thread_cpu_share": {
            cfg: {n: round(statistics.median(v), 3) for n, v in per.items()} for cfg, per in bench.train_cpu.items()
        },
        "ui_thread_cpu_share_in_app_chunks": {cfg: round(v, 3) for cfg, v in bench.ui_cpu.items()},
        "ui_process_cpu_share_in_app_chunks": {cfg: round(v, 3) for cfg, v in bench.ui_process_cpu_in_chunks.items()},
    }
    met: dict[str, bool] = {}
    if bench.samples:
        met["engine_vs_limit>=0.95"] = all(v >= TARGETS["engine_vs_limit"] for v in out["engine_vs_limit"].values())
        met["app_vs_headless>=0.90"] = all(v >= TARGETS["app_vs_headless"] for v in out["app_vs_headless"].values())
        met["ui_cpu_share<=0.05"] = all(v <= TARGETS["ui_cpu_share"] for v in out["ui_cpu_share"].values())
        met["ui_lag_p99_ms<=10 beside 2 busy"] = out["ui_lag_p99_ms"] <= TARGETS["ui_lag_p99_ms"]
    if startup:
        met["first_frame<=1.5*empty_app"] = out["first_frame_vs_empty"] <= TARGETS["first_frame_vs_empty"]
        met["ready_s<=1.3*import_torch_s"] = out["ready_vs_import_torch"] <= TARGETS["ready_vs_import_torch"]
    # Other work ran beside the bench: its figures say what happened, not what the machine can do.
    out["loaded"] = foreign > _load.QUIET_CORES
    out["targets_met"] = {k: (None if out["loaded"] else v) for k, v in met.items()}
    out["targets_as_measured"] = met
    out["wall_s"] = round(wall_s, 1)
    return out


def table(result: dict) -> str:
    lines = []
    th = result["threads"]
    if result.get("medians_samples_per_s"):
        head = f"{'samples/s, median':<18}" + "".join(f"{n + ' ' + str(th.get(n, '?')) + 't':>14}" for n in LOOPS)
        lines += [head, "-" * len(head)]
        for cfg, med in result["medians_samples_per_s"].items():
            lines.append(f"{cfg:<18}" + "".join(f"{med[n]:>14,}" for n in LOOPS))
        lines.append("")
        keys = [
            "engine_vs_limit",
            "engine_vs_limit_app_threads",
            "engine_vs_naive",
            "app_vs_engine",
            "app_vs_headless",
            "naive_vs_limit",
        ]
        head = f"{'ratio (median of rounds)':<31}" + "".join(f"{c:>13}" for c in result["medians_samples_per_s"])
        lines += [head, "-" * len(head)]
        for key in keys:
            lines.append(f"{key:<31}" + "".join(f"{result[key][c]:>13.3f}" for c in result["medians_samples_per_s"]))
        d = result["diagnostics"]
        cfgs = list(result["medians_samples_per_s"])
        lines.append(
            f"{'UI process CPU/wall (steady)':<31}" + "".join(f"{result['ui_cpu_share'][c]:>13.3f}" for c in cfgs)
        )
        lines.append(
            f"{'UI thread CPU/wall (chunks)':<31}"
            + "".join(f"{d['ui_thread_cpu_share_in_app_chunks'][c]:>13.3f}" for c in cfgs)
        )
        for n in ("engine@app", "app"):
            lines.append(
                f"{'train thread CPU/wall ' + n:<31}"
                + "".join(f"{d['train_thread_cpu_share'][c][n]:>13.3f}" for c in cfgs)
            )
        lines.append("")
        lines.append(
            f"UI lag while the app trains (50 ms timer, {result['ui_lag_samples_quiet']} ticks): "
            f"p50 {result['ui_lag_p50_ms_quiet']:.1f} ms  p99 {result['ui_lag_p99_ms_quiet']:.1f} ms  "
            f"max {result['ui_lag_max_ms_quiet']:.1f} ms"
        )
        lines.append(
            f"  beside {BUSY_PROCESSES} busy processes ({result['ui_lag_samples']} ticks): "
            f"p50 {result['ui_lag_p50_ms']:.1f} ms  p99 {result['ui_lag_p99_ms']:.1f} ms  max {result['ui_lag_max_ms']:.1f} ms"
        )
    if "first_frame_s" in result:
        lines.append(
            f"start-up (medians of {len(result['startup_runs']['first_frame_s'])} first frames, "
            f"{len(result['startup_runs']['ready_s'])} starts to ready): first frame {result['first_frame_s']:.2f} s"
            f" (an empty Textual app {result['empty_app_first_frame_s']:.2f} s; side by side {result['first_frame_vs_empty']:.2f}x)"
            f"  (first refresh callback {result['first_refresh_s']:.2f} s)  ready to train {result['ready_s']:.2f} s"
            f"  import torch {result['import_torch_s']:.2f} s  ready/import {result['ready_vs_import_torch']:.2f}"
        )
    if result["loaded"]:
        lines.append(
            f"targets: not judged: other work used {result['other_work_cores']:.2f} cores on average during the run "
            f"(more than {_load.QUIET_CORES}); rerun on a quiet machine"
        )
    else:
        lines.append("targets: " + "  ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["targets_met"].items()))
    lines.append(f"other work on the machine during the run: {result['other_work_cores']:.2f} cores on average")
    lines.append(
        f"{result['rounds']} rounds x {result['chunk_s']} s chunks; device {result['device']}; "
        f"app trains in a {result['app_train_in']}; "
        f"{result['machine']['cpu_count']} CPUs; wall {result['wall_s']} s"
    )
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter rounds (<= 60 s here)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]: data resident there")
    p.add_argument("--threads", type=int, default=0, help="torch threads for limit/naive/engine (0: torch's default)")
    p.add_argument("--rounds", type=int, default=None, help="recorded rounds per configuration (15; quick 5)")
    p.add_argument("--chunk-s", type=float, default=None, help="seconds per chunk (0.5; quick 0.2)")
    p.add_argument("--settle-s", type=float, default=None, help="pause after each app chunk (0.3; quick 0.2)")
    p.add_argument("--only", nargs="+", default=None, choices=[*CONFIGS, *CIFAR], help="configurations to run")
    p.add_argument("--cifar", action="store_true", help="also LeNet on CIFAR-shaped data (50,000 x 3x32x32)")
    p.add_argument(
        "--app-train-in",
        choices=("process", "thread"),
        default="process",
        help="where the app's run trains: its child process (the app's default) or a thread of the app",
    )
    p.add_argument(
        "--busy-s", type=float, default=None, help="seconds of app chunks beside the busy processes (10; quick 4)"
    )
    p.add_argument(
        "--steady-s", type=float, default=None, help="seconds the app trains unpaused for ui_cpu_share (6; quick 4)"
    )
    p.add_argument("--startup-reps", type=int, default=None, help="start-up measurements (3; quick 1; 0 skips)")
    p.add_argument("--no-train", action="store_true", help="start-up timings only")
    p.add_argument(
        "--profile-ui",
        metavar="FILE",
        default=None,
        help="cProfile the UI (main) thread in the steady windows into FILE (slows the app: diagnosis only)",
    )
    a = p.parse_args(argv)
    a.rounds = a.rounds or (5 if a.quick else 15)
    a.chunk_s = a.chunk_s or (0.2 if a.quick else 0.5)
    a.settle_s = a.settle_s if a.settle_s is not None else (0.2 if a.quick else 0.3)
    a.busy_s = a.busy_s if a.busy_s is not None else (4.0 if a.quick else 10.0)
    a.steady_s = a.steady_s if a.steady_s is not None else (4.0 if a.quick else 6.0)
    a.startup_reps = a.startup_reps if a.startup_reps is not None else (1 if a.quick else 3)
    a.only = a.only or [*CONFIGS, *(CIFAR if a.cifar else {})]
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.pop("NO_COLOR", None)  # the app renders in colour, as for a user
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    load = _load.LoadMeter().start()
    if args.device.startswith("cuda") and not args.no_train:
        import torch

        if not torch.cuda.is_available():
            print(f"error: --device {args.device}: torch sees no CUDA device here", file=sys.stderr)
            return 2
    startup = None
    if args.startup_reps:
        startup = _startup.measure(args.startup_reps, log)
    bench = Bench(args)
    if not args.no_train:
        asyncio.run(bench.run())
    result = summarise(bench, startup, args, time.perf_counter() - started, load_start, load.foreign_cores())
    print(table(result))
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
