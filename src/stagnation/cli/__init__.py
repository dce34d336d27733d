"""The ``stagnation`` command line (being split into one module per group of commands)."""

from stagnation.cli._pipeline import app, main

__all__ = ["app", "main"]
