"""Core commands: reference catalog, identify, train."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Attach the core commands to the root group."""
