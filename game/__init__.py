"""Tightrope: a terminal decision game and story engine."""

__version__ = "0.1.0"
