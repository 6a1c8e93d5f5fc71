"""Analyses of a trained model, computed where training runs: the samples it gets wrong, its filters and feature
maps (inspection), its robustness (adversarial examples, corruptions)."""
