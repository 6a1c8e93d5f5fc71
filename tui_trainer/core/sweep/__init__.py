"""Hyperparameter sweeps with Optuna: a search space over an experiment, studies in a shared storage, worker
processes whose trials are normal runs through the one run pipeline."""
