"""Reusable widgets: plots, confusion matrix, metrics, forms."""
