#!/usr/bin/env python
"""The first frame in instructions: valgrind counts what the app and an empty Textual app execute until then.

    python benchmarks/first_frame_ir.py [--against CHECKOUT ...] [--json]

A first frame's wall time moves by a third between two starts on a shared machine, so a change of a few percent
cannot be seen in bench.py's first_frame_vs_empty without dozens of starts. The instructions executed until the
first frame is written (valgrind's callgrind "Ir", all threads of the UI process, PYTHONHASHSEED=0) repeat to
within 0.01 % from one run to the next: this script compares versions with one start of each. --against runs the
same app from another checkout (a `git worktree` of an older commit, say) through PYTHONPATH, beside this one.
The training process the app starts runs natively, outside valgrind, as usual. Each start takes 10-30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # a clean checkout runs without installing

import _startup  # noqa: E402

PRELUDE = textwrap.dedent(
    """
    import os, sys
    from textual.drivers.linux_driver import LinuxDriver

    write = LinuxDriver.write

    def first_frame_exits(self, data):
        write(self, data)
        if any(marker in data for marker in ("tui-trainer", "1 Data")):
            os._exit(0)

    LinuxDriver.write = first_frame_exits
    """
)
APP = PRELUDE + "from tui_trainer.cli import main\nmain([])\n"
EMPTY = PRELUDE + _startup.EMPTY_APP_SCRIPT


def instructions(script: str, cwd: str, pythonpath: str | None = None) -> int:
    """Instructions (callgrind Ir) of `python -c script` on a 120x40 pty, until it exits at its first frame."""
    with tempfile.TemporaryDirectory(prefix="tui-ir-") as out:
        counts = os.path.join(out, "callgrind.out")
        env = dict(_startup._env(), PYTHONHASHSEED="0")
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={counts}", sys.executable, "-c", script]
        _, _, output = _startup._in_pty(cmd, env, cwd, lambda buf: False, 300.0)
        _startup._wait_for_training_children(set())
        text = Path(counts).read_text() if os.path.exists(counts) else ""
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
    if not found:
        raise SystemExit(f"error: valgrind counted nothing; the start ended with {output[-300:]!r}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--against", nargs="+", default=[], metavar="CHECKOUT", help="other checkouts to count beside")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the lines")
    args = p.parse_args(argv)
    if not any((Path(d) / "valgrind").exists() for d in os.environ.get("PATH", "").split(os.pathsep)):
        print("error: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    _startup._warm_up()
    with tempfile.TemporaryDirectory(prefix="tui-ir-cwd-") as cwd:
        empty = instructions(EMPTY, cwd)
        apps = {"this checkout": instructions(APP, cwd)}
        for checkout in args.against:
            apps[checkout] = instructions(APP, cwd, pythonpath=str(Path(checkout).resolve()))
    result = {
        "empty_app_ir": empty,
        "app_ir": apps,
        "app_vs_empty": {name: round(ir / empty, 4) for name, ir in apps.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"empty Textual app: {empty / 1e6:,.1f} M instructions to its first frame")
    mine = apps["this checkout"]
    for name, ir in apps.items():
        versus = "" if name == "this checkout" else f"; this checkout / it {mine / ir:.4f}"
        print(f"{name}: {ir / 1e6:,.1f} M ({ir / empty:.3f}x the empty app{versus})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
