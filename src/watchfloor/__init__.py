"""Watchfloor: a shared watch floor against the supply of illicit drugs."""

__version__ = "0.1.0"
