"""`tui-trainer train --nproc N`: the same command under torchrun, one process per rank."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

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


def launch(args: argparse.Namespace) -> int:
    """Run `train` under torchrun with --nproc processes and return its exit status. SIGTERM to this process is
    passed on to torchrun, which passes it to every rank; Ctrl+C reaches them all from the terminal (this
    process only waits): the run ends "stopped" at the ranks' next sync, resumable."""
    if args.nproc < 1:
        raise UsageError(f"--nproc must be at least 1, not {args.nproc}")
    if args.no_save and args.resume:
        raise UsageError("--resume continues writing the run directory: drop --no-save")
    process = subprocess.Popen(torchrun_command(args.nproc, args.argv))

    def forward(signum: int, frame: object) -> None:
        if signum == signal.SIGTERM and process.poll() is None:
            process.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
