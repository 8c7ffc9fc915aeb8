"""CLI commands: agreement (intercoder reliability). Registered on the main app by :func:`register`."""

from __future__ import annotations


def register(app) -> None:
    """Add this module's commands to the `baolian` app."""
