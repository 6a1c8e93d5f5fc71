"""Worker processes on this machine: fresh interpreters running `tui-trainer sweep-worker`, the CPU cores split
between them (torch threads per worker) or one GPU each (CUDA_VISIBLE_DEVICES)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass

from tui_trainer.core.sweep.folder import SweepFolder
from tui_trainer.core.sweep.study import SweepError


@dataclass(frozen=True)
class WorkerPlan:
    """One worker to start: its index, torch threads, device and the CUDA device it alone sees."""

    index: int
    threads: int
    device: str | None
    """The trials' device in that worker (None: the experiment's own)."""
    visible: str | None = None
    """CUDA_VISIBLE_DEVICES for it (None: left as it is)."""


def parse_devices(text: str) -> list[str]:
    """--devices cuda:0,cuda:1 (or cpu entries) as a list; SweepError for anything else."""
    devices = [d.strip() for d in text.split(",") if d.strip()]
    if not devices:
        raise SweepError("--devices needs cuda:N[,cuda:M...] (or cpu)")
    for d in devices:
        if not (d == "cpu" or (d.startswith("cuda:") and d[5:].isdigit())):
            raise SweepError(f"--devices takes cuda:N or cpu entries, not {d!r}")
    if len(set(devices) - {"cpu"}) != sum(d != "cpu" for d in devices):
        raise SweepError("--devices names a GPU twice: one worker per GPU")
    return devices


def plan_workers(workers: int, devices: list[str] | None = None, cores: int | None = None) -> list[WorkerPlan]:
    """One plan per worker: with devices, one worker per device (a GPU worker sees only its GPU, as cuda:0);
    on the CPU, the cores split evenly (at least one thread each)."""
    cores = cores or os.cpu_count() or 1
    if devices:
        cpu_workers = max(1, sum(d == "cpu" for d in devices))
        plans = []
        for i, d in enumerate(devices):
            if d == "cpu":
                plans.append(WorkerPlan(i, max(1, cores // cpu_workers), "cpu", ""))
            else:
                plans.append(WorkerPlan(i, max(1, cores // len(devices)), "cuda", d[5:]))
        return plans
    return [WorkerPlan(i, max(1, cores // workers), None) for i in range(workers)]


def worker_command(folder: SweepFolder, plan: WorkerPlan, seed: int | None) -> list[str]:
    """The command line of one worker (this interpreter, this package)."""
    cmd = [sys.executable, "-m", "tui_trainer", "sweep-worker", str(folder.path), "--threads", str(plan.threads)]
    if plan.device:
        cmd += ["--device", plan.device]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return cmd


def start_workers(folder: SweepFolder, plans: list[WorkerPlan], seed: int | None = 0) -> list[subprocess.Popen]:
    """Start each planned worker in a session of its own (a Ctrl-C reaches only the sweep, which stops them),
    its output in the sweep folder's logs/worker-N.log. seed: worker i's sampler seed is seed + i."""
    procs = []
    for plan in plans:
        env = dict(os.environ)
        env["OMP_NUM_THREADS"] = str(plan.threads)
        if plan.visible is not None:
            env["CUDA_VISIBLE_DEVICES"] = plan.visible
        log = folder.log_file(plan.index)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            procs.append(
                subprocess.Popen(
                    worker_command(folder, plan, None if seed is None else seed + plan.index),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            )
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to each running worker: it stops its trial (failed, "stopped") and exits."""
    for proc in procs:
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
