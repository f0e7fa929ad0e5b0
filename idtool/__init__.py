"""idtool: identify wildlife products in photos and say what CITES requires.

Visual identification is probable cause, not proof.
"""

from __future__ import annotations

__version__ = "0.1.0"

DISCLAIMER = (
    "Visual identification is probable cause, not proof. Confirm with a forensic "
    "laboratory or a qualified expert before any legal action."
)

__all__ = ["DISCLAIMER", "__version__"]
