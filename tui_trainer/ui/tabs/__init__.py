"""The app's six tab panes: data, model, hparams, train, runs, help."""
