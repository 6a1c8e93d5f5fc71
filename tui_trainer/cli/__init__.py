"""The command line: `tui-trainer` opens the app; train / summary / export / runs / datasets / presets run
headless and print plain text; watch follows a run on the dashboard."""

from __future__ import annotations

from tui_trainer.cli.main import main

__all__ = ["main"]
