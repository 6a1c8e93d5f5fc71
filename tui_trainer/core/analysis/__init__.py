"""Looking inside a model, where training runs: the samples it gets wrong, its filters and feature maps."""
