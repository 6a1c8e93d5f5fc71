"""One run across several processes (torchrun): the process group, each rank's shard, gathered metrics."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tui_trainer.core.spec.memory import EVAL_CHUNK
from tui_trainer.core.spec.metrics import ClassReport, report_from_confusion

if TYPE_CHECKING:
    import torch
    from torch import nn

SYNC_EVERY = 10
"""In a distributed run the ranks agree every this many batches (and at each epoch's last one) on the
window's loss, a stop asked for on any of them, and a loss that is no longer finite: one small all-reduce,
at the same batch on every rank (a decision by each rank's own clock would let them part and hang)."""


STOP_BARRIER_S = 60
"""How long a rank waits at the end of a run for the others before it leaves the group anyway."""


@dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job: RANK of WORLD_SIZE, LOCAL_RANK on its machine."""

    rank: int
    world_size: int
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes the run directory and prints."""
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed | None:
        """The job torchrun started this process in (its RANK, WORLD_SIZE, LOCAL_RANK), or None when it is
        not one or has a single process."""
        try:
            world = int(os.environ.get("WORLD_SIZE", "1"))
            rank = int(os.environ.get("RANK", "0"))
            local = int(os.environ.get("LOCAL_RANK", "0"))
        except ValueError:
            return None
        if world <= 1:
            return None
        return cls(rank, world, local)

    def device(self, device: str) -> str:
        """Where this rank trains: its own GPU (cuda:LOCAL_RANK) when the run is on CUDA, else the device."""
        return f"cuda:{self.local_rank}" if device.startswith("cuda") else device

    def start(self, device: str) -> None:
        """Join the process group (NCCL on CUDA, gloo on the CPU) once, where torchrun's rendezvous says."""
        import torch
        import torch.distributed as dist

        if dist.is_initialized():
            return
        if device.startswith("cuda"):
            torch.cuda.set_device(self.device(device))
            dist.init_process_group("nccl", rank=self.rank, world_size=self.world_size)
        else:
            dist.init_process_group("gloo", rank=self.rank, world_size=self.world_size)

    def stop(self) -> None:
        """Leave the process group (at the end of the run), every rank together: rank 0 still writes the run's
        summary when the others are done, and a gloo group torn down on one side while the other still used it
        aborted a rank at exit ("terminate called without an active exception", seen once in CI)."""
        import torch.distributed as dist

        if dist.is_initialized():
            try:
                if dist.get_backend() == "gloo":  # bounded: a rank that failed alone must not hold the others
                    dist.monitored_barrier(timeout=timedelta(seconds=STOP_BARRIER_S))
                else:
                    dist.barrier()
            except Exception:  # noqa: BLE001 - a rank that is gone: leave anyway
                pass
            dist.destroy_process_group()

    def shard(self, indices: torch.Tensor) -> torch.Tensor:
        """This rank's part of one global batch (every world_size-th sample, starting at its rank)."""
        return indices[self.rank :: self.world_size]

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """The element-wise sum of `values` over every rank (the same result on each)."""
        import torch.distributed as dist

        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values

    def wrap(self, model: nn.Module, device: str) -> nn.Module:
        """The model as DistributedDataParallel: gradients averaged over the ranks at every backward."""
        from torch.nn.parallel import DistributedDataParallel

        if device.startswith("cuda"):
            return DistributedDataParallel(model, device_ids=[self.device(device)])
        return DistributedDataParallel(model)

    def evaluate(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, class_names: tuple[str, ...]
    ) -> tuple[float, ClassReport]:
        """Mean cross-entropy and the report on a whole split, each rank evaluating a contiguous part and the
        sums and confusion counts added up: the numbers of a one-process evaluation (the loss to float
        rounding, the counts exactly)."""
        import torch
        import torch.nn.functional as F

        from tui_trainer.core.training.evaluation import confusion_counts

        n = x.shape[0]
        per_rank = -(-n // self.world_size)
        start, end = min(n, self.rank * per_rank), min(n, (self.rank + 1) * per_rank)
        n_classes = len(class_names)
        loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
        counts = torch.zeros((n_classes, n_classes), dtype=torch.long, device=x.device)
        model.eval()
        with torch.inference_mode():
            for chunk in range(start, end, EVAL_CHUNK):
                stop = min(end, chunk + EVAL_CHUNK)
                logits = model(x[chunk:stop])
                loss_sum += F.cross_entropy(logits.float(), y[chunk:stop], reduction="sum").double()
                counts += confusion_counts(y[chunk:stop], logits.argmax(1), n_classes)
        model.train()
        totals = self.sum(torch.cat([loss_sum.reshape(1), counts.flatten().double()]))
        confusion = totals[1:].round().long().reshape(n_classes, n_classes)
        return float(totals[0]) / max(1, n), report_from_confusion(confusion.cpu().tolist(), class_names)
