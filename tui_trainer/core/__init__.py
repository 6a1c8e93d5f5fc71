"""The UI-free core: spec (torch-free), data, runs, training, the run pipeline and the training backend."""
