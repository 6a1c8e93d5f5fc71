"""Modal screens: dialogs, the layer form, the code view."""
