"""What a failure during training means, in one line for the user: out of memory with sizes, a full disk with
the file, else the error itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_trainer.core.runs.files import DiskFull
from tui_trainer.core.spec.memory import format_bytes

if TYPE_CHECKING:
    from tui_trainer.core.spec.memory import MemoryEstimate

OOM_HINT = "use a smaller batch size or a smaller model"
BUG_HINT = "this looks like a bug: please report it"
REASON_CHARS = 300
"""A failure's reason is cut to this many characters (one line in summary.json, the CLI and the app)."""
_CPU_OOM = ("can't allocate memory", "not enough memory", "out of memory", "cannot allocate memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's OutOfMemoryError and the CPU allocator's "can't allocate memory" RuntimeErrors."""
    import torch

    if isinstance(exc, torch.OutOfMemoryError | MemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(words in str(exc).lower() for words in _CPU_OOM)


def one_line(exc: BaseException) -> str:
    """The exception as one line: its type and the first line of its message, cut to REASON_CHARS."""
    text = " ".join(str(exc).split("\n", 1)[0].split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= REASON_CHARS else line[: REASON_CHARS - 3] + "..."


def describe_failure(exc: BaseException, estimate: MemoryEstimate | None, device: str) -> tuple[str, str]:
    """(reason, hint) for an exception that ended a run; estimate (core/spec/memory.py) sizes an out of memory."""
    if isinstance(exc, DiskFull):  # a run file could not be written: its message names it
        return str(exc), exc.hint
    if is_out_of_memory(exc):
        reason = f"out of memory on {device}"
        if estimate is not None:
            reason += (
                f": the model has {estimate.params:,} parameters and needs about {format_bytes(estimate.total)} "
                f"to train ({estimate.parts()})"
            )
        return reason, OOM_HINT
    return one_line(exc), BUG_HINT
