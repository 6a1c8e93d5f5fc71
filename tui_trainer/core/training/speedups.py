"""Opt-in speed-ups of the training step: mixed precision, channels-last images, torch.compile.

All three are off by default, and off they change nothing: the step is the plain
forward / cross-entropy / zero_grad / backward / (clip) / step of the lecture, so CPU runs stay
exactly reproducible. They pay off on GPUs (tensor cores, fewer kernel launches). Mixed precision
is float16 with a gradient scaler on CUDA and bfloat16 everywhere else (see amp_dtype_name): on a
CPU bfloat16 is only fast with bfloat16 instructions; on Apple's MPS float16 would need a gradient
scaler against underflowing gradients, while bfloat16 has float32's exponent range and needs none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.spec.experiment import TrainSpec


def amp_dtype_name(device: str) -> str:
    """The mixed-precision dtype for a device string ("cuda", "cuda:1", "mps", "cpu", ...).

    "float16" on CUDA only, where a GradScaler guards its narrow exponent range (scaled_amp);
    "bfloat16" everywhere else (CPU, MPS, ...), which keeps float32's range and needs no scaler."""
    return "float16" if scaled_amp(device) else "bfloat16"


def scaled_amp(device: str) -> bool:
    """Whether mixed precision on this device runs through a gradient scaler (CUDA float16 only)."""
    return device.split(":", 1)[0] == "cuda"


class SpeedUps:
    """How one run computes logits and applies a loss: the model as built, or sped up as asked.

    forward(x) gives logits (compiled when asked, falling back to the plain model with a note if
    compiling fails); autocast() is the mixed-precision context (a no-op when off); backward_step()
    does backward, gradient clipping and the optimizer step (through a gradient scaler for float16);
    inputs(x) puts a batch in the memory format the model expects.
    """

    def __init__(self, model: nn.Module, t: TrainSpec, device: str) -> None:
        import torch

        self.model = model
        self.device_type = torch.device(device).type
        self.mixed_precision = t.mixed_precision
        self.amp_dtype = getattr(torch, amp_dtype_name(self.device_type))
        self.scaler = (
            torch.amp.GradScaler(self.device_type) if t.mixed_precision and scaled_amp(self.device_type) else None
        )
        self.channels_last = t.channels_last and any(p.dim() == 4 for p in model.parameters())
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        self._forward: Callable[[Any], Any] = model
        self._compiled = False
        if t.compile:
            self._forward = torch.compile(model)
            self._compiled = True

    @property
    def description(self) -> str:
        """What is on, for the run's start message ("" when nothing is)."""
        parts = []
        if self.mixed_precision:
            parts.append(f"mixed precision ({amp_dtype_name(self.device_type)})")
        if self.channels_last:
            parts.append("channels-last")
        if self._compiled:
            parts.append("torch.compile")
        return ", ".join(parts)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """The batch in the model's memory format (channels-last for image batches when asked)."""
        if self.channels_last and x.dim() == 4:
            import torch

            return x.contiguous(memory_format=torch.channels_last)
        return x

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Mixed precision around a forward pass and its loss (nothing when off)."""
        if not self.mixed_precision:
            yield
            return
        import torch

        with torch.autocast(self.device_type, dtype=self.amp_dtype):
            yield

    def forward(self, x: torch.Tensor, on_event: Callable[[Any], None]) -> torch.Tensor:
        """Logits of a training batch; a compile that fails falls back to the plain model, once
        (on_event hears why, as a RunPhase)."""
        if not self._compiled:
            return self._forward(x)
        try:
            return self._forward(x)
        except Exception as exc:  # noqa: BLE001 - e.g. no C compiler for inductor on this machine
            from tui_trainer.core.spec.events import RunPhase

            self._forward, self._compiled = self.model, False
            first_line = (str(exc).splitlines() or [""])[0][:120]
            on_event(RunPhase(f"torch.compile failed ({type(exc).__name__}: {first_line}); training without it"))
            return self.model(x)

    def backward_step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, grad_clip: float) -> None:
        """Backward pass, optional gradient-norm clipping, optimizer step (scaled for float16)."""
        import torch

        if self.scaler is None:
            loss.backward()
            if grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), grad_clip)
            optimizer.step()
            return
        self.scaler.scale(loss).backward()
        if grad_clip:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), grad_clip)
        self.scaler.step(optimizer)
        self.scaler.update()
