"""Training with torch: the engine, batches, model building, optimizers, devices, evaluation, speed-ups."""
