"""Sweep analysis: aggregate run directories, figures, reports."""
