"""Analyses of a trained run, computed where training runs: robustness (adversarial examples, corruptions)."""
