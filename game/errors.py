"""Errors every layer may raise and only the entry point reports (a leaf: imports nothing of ours)."""

from __future__ import annotations


class UsageError(Exception):
    """A problem with what the user asked for: the CLI prints it as one line and exits 2."""
