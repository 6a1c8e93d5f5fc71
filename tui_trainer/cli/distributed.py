"""`tui-trainer train --nproc N`: the same command under torchrun, one process per rank."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from tui_trainer.cli.parser import UsageError


def without_nproc(argv: list[str]) -> list[str]:
    """The command line with its `--nproc N` (or `--nproc=N`) taken out: what every rank runs."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def torchrun_command(nproc: int, argv: list[str]) -> list[str]:
    """torchrun (torch.distributed.run, one machine, a free port of its own) running `tui_trainer` N times."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        str(nproc),
        "-m",
        "tui_trainer",
        *without_nproc(argv),
    ]


def worker_pids(pid: int) -> list[int]:
    """The processes torchrun `pid` started (its ranks), from /proc; [] where that cannot be read."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def launch(args: argparse.Namespace) -> int:
    """Run `train` under torchrun with --nproc processes and return its exit status (130 once stopped).

    torchrun runs in a session of its own, so Ctrl+C reaches only this process: it (and SIGTERM) is passed to
    every rank as SIGTERM, the ranks stop together at their next sync and exit 0, the run "stopped",
    resumable. (A signal to torchrun itself makes it kill its ranks and print a traceback.)"""
    if args.nproc < 1:
        raise UsageError(f"--nproc must be at least 1, not {args.nproc}")
    if args.no_save and args.resume:
        raise UsageError("--resume continues writing the run directory: drop --no-save")
    process = subprocess.Popen(torchrun_command(args.nproc, args.argv), start_new_session=True)
    stopped = False

    def forward(signum: int, frame: object) -> None:
        nonlocal stopped
        if process.poll() is not None:
            return
        stopped = True
        ranks = worker_pids(process.pid)
        if not ranks:  # not started yet, or no /proc: torchrun passes it on (with its traceback)
            process.send_signal(signal.SIGTERM)
        for pid in ranks:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        status = process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 130 if stopped and status == 0 else status
