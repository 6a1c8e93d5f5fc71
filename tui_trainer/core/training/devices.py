"""Training devices: which ones this machine has, and the concrete device for a config value."""

from __future__ import annotations

from tui_trainer.core.spec.memory import AvailableMemory


def available_devices() -> list[str]:
    """Devices this machine can train on: "cpu" plus "cuda:N" and/or "mps" when present."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(name: str) -> str:
    """The concrete device for a config value; ValueError with a readable message when absent."""
    import torch

    if name == "auto":
        acc = torch.accelerator.current_accelerator(check_available=True)
        if acc is None:
            return "cpu"
        return f"cuda:{torch.cuda.current_device()}" if acc.type == "cuda" else acc.type
    devices = available_devices()
    wanted = "cuda:0" if name == "cuda" else name
    if wanted not in devices:
        raise ValueError(f"device {name!r} is not available on this machine (available: {', '.join(devices)})")
    return wanted


def cuda_free_memory(device: str) -> AvailableMemory | None:
    """The free memory of a CUDA device (torch.cuda.mem_get_info), or None when it cannot be read."""
    import torch

    try:
        free, _total = torch.cuda.mem_get_info(torch.device(device))
    except (RuntimeError, AssertionError, ValueError):
        return None
    return AvailableMemory(int(free), f"free on {device}")
