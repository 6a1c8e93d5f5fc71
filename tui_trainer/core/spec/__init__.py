"""The torch-free specification layer: experiments, layers, model summaries, presets, events, metrics.

The UI process imports only this layer (and the torch-free dataset catalogue); nothing here imports
torch, torchvision or scikit-learn (import-linter checks it).
"""
