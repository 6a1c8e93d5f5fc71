"""The warm training process: a child interpreter that imports torch, trains runs and computes previews."""

from __future__ import annotations

from tui_trainer.core.backend.process.parent import ProcessBackend, ProcessRun
from tui_trainer.core.backend.process.pipes import SUPPORTED

__all__ = ["SUPPORTED", "ProcessBackend", "ProcessRun"]
