"""The app's screens (tab panes): setup, model, hyperparameters, train, help."""
