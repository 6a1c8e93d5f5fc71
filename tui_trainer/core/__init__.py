"""The UI-free core: config, datasets, layers, model, engine, metrics. Never imports textual, rich or plotext."""
