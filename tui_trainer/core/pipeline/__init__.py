"""The one run pipeline: prepare (every problem as a Problem) then execute (fit + run directory + events).

The CLI, the app's training process, its thread fallback, sweeps and evaluations all train through
`prepare` and `execute` (or `run`, both in one); `checks` is the torch-free part the UI uses before
it asks for a run.
"""

from __future__ import annotations

from tui_trainer.core.pipeline.checks import model_summary, start_problems
from tui_trainer.core.pipeline.request import RunRequest

__all__ = ["RunRequest", "model_summary", "start_problems"]
