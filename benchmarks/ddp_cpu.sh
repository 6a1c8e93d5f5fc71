#!/usr/bin/env bash
# DDP on the CPU: LeNet-5 on digits28, 2 epochs, batch 64, in one process (1 and 2 torch threads) and in two
# processes (`train --nproc 2`, gloo, 1 thread each); prints wall time and each epoch's seconds (metrics.csv).
# Usage: benchmarks/ddp_cpu.sh [REPS]   (PYTHON=... picks the interpreter; the runs go to a temporary folder)
set -euo pipefail
PY=${PYTHON:-python}
reps=${1:-2}
out=$(mktemp -d)
common=(--dataset digits28 --preset lenet5 --set epochs=2 --set batch_size=64)
for rep in $(seq "$reps"); do
  for mode in one-1-thread one-2-threads two-processes; do
    runs="$out/$mode-$rep"
    start=$(date +%s.%N)
    case $mode in
      one-1-thread) OMP_NUM_THREADS=1 $PY -m tui_trainer train "${common[@]}" --set threads=1 --runs-dir "$runs" >/dev/null 2>&1 ;;
      one-2-threads) $PY -m tui_trainer train "${common[@]}" --set threads=2 --runs-dir "$runs" >/dev/null 2>&1 ;;
      two-processes) $PY -m tui_trainer train "${common[@]}" --set threads=1 --nproc 2 --runs-dir "$runs" >/dev/null 2>&1 ;;
    esac
    end=$(date +%s.%N)
    $PY - "$runs" "$rep" "$mode" "$start" "$end" <<'PY'
import csv, glob, sys
runs, rep, mode, start, end = sys.argv[1:]
rows = list(csv.DictReader(open(glob.glob(f"{runs}/*/metrics.csv")[0])))
seconds = " ".join(f"{float(r['seconds']):.2f}" for r in rows)
load = open("/proc/loadavg").read().split()[0]
print(f"{rep} {mode:14} wall {float(end) - float(start):5.1f} s  epoch seconds {seconds}  "
      f"val acc {float(rows[-1]['val_accuracy']):.4f}  train loss {float(rows[-1]['train_loss']):.6f}  load {load}")
PY
  done
done
rm -rf "$out"
